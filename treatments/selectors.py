"""Reads of the treatments domain: the rules' inputs, stale outcomes, lots, reports."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, lru_cache

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, JSONObject

from patients.models import (
    SEGMENT_VALUE_FIELDS,
    VISIT_MEASURE_FIELDS,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Patient,
    PinnedTargetMuscle,
    PriorTreatment,
    Titre,
    Visit,
)
from registry.scoping import writable_center_ids
from treatments.models import (
    AdverseEvent,
    BlockCriteriaSet,
    DiagnosisRuleSet,
    LotNumber,
    NerveReference,
    Outcome,
    RuleSet,
    Series,
    TailoringEpisode,
    TitreThreshold,
)
from treatments.rules import (
    SEED_1,
    SEED_1_BLOCKS,
    BlockCriteria,
    BlockState,
    PatientIn,
    PriorTreatmentIn,
    SegmentIn,
    SeriesIn,
    StudyIn,
    TailoringIn,
    ThresholdIn,
    TitreIn,
    VisitIn,
    block_evolution,
    segment_block,
    thresholds_for_centre,
    titre_significance,
)
from treatments.rules import (
    RuleSet as Rules,
)
from treatments.rules.course import Dosing, series_dosing
from treatments.rules.outcome import block_evolution_dict


@dataclass(frozen=True)
class Thresholds:
    """Every current titre threshold, general and per centre, and the global revision
    they stand at (clinical-rules.md §5); ``for_centre`` gives a patient's."""

    rows: tuple[ThresholdIn, ...]
    revision: int | None

    def for_centre(self, center: int | None) -> tuple[ThresholdIn, ...]:
        return _for_centre(self.rows, center)


@lru_cache(maxsize=256)  # a few centres × the current revision
def _for_centre(rows: tuple[ThresholdIn, ...], center: int | None) -> tuple[ThresholdIn, ...]:
    return thresholds_for_centre(rows, center=center)


@dataclass(frozen=True)
class OutcomeInputs:
    patient: PatientIn
    rules: Rules
    thresholds: tuple[ThresholdIn, ...]
    thresholds_revision: int | None
    block_criteria: BlockCriteria
    read_version: int | None = None  # the outcome's data_version, read before the data


def rules_by_diagnosis() -> dict[str, Rules]:
    """Each diagnosis' default rule set (``DiagnosisRuleSet``), in one query."""
    return {row.diagnosis: row.rule_set.as_rules()
            for row in DiagnosisRuleSet.objects.select_related("rule_set")}


def rules_for_diagnosis(diagnosis: str) -> Rules:
    """The default rule set of one diagnosis (the paper's when it has none), in one query."""
    row = DiagnosisRuleSet.objects.select_related("rule_set").filter(diagnosis=diagnosis).first()
    return row.rule_set.as_rules() if row else SEED_1


def criteria_sets() -> dict[str, BlockCriteria]:
    """Every block criteria set by code (a handful of rows), in one query."""
    return {row.code: row.as_criteria() for row in BlockCriteriaSet.objects.all()}


def block_criteria_named(code: str) -> BlockCriteria:
    """``?criteria=<code>``: the criteria set, or a ValidationError naming ``criteria``."""
    found = BlockCriteriaSet.objects.filter(code=code).first()
    if found is None:
        known = ", ".join(BlockCriteriaSet.objects.values_list("code", flat=True))
        raise ValidationError({"criteria": f"Unknown criteria set {code!r}; choose from {known}."})
    return found.as_criteria()


def current_thresholds() -> Thresholds:
    """The current row of each (centre, antigen, isotype, method, unit), in one query."""
    return _thresholds(list(
        TitreThreshold.objects.filter(current=True).order_by("revision")
        .values_list("antigen", "isotype", "method", "unit", "value", "center_id", "revision")))


def _thresholds(rows: list[tuple]) -> Thresholds:
    # The newest row is always current (a change adds a row), so the global revision is
    # the highest current one.
    return Thresholds(
        rows=tuple(ThresholdIn(antigen=a, isotype=i, method=m, unit=u, value=v, center=c)
                   for a, i, m, u, v, c, _ in rows),
        revision=rows[-1][-1] if rows else None,
    )


def _float(value) -> float | None:
    return None if value is None else float(value)


def segment_input(g: NerveSegment, lower_limits: dict[str, float]) -> SegmentIn:
    return SegmentIn(
        nerve=g.nerve, side=g.side, distal_site=g.distal_site, proximal_site=g.proximal_site,
        distal_amplitude_mv=_float(g.distal_amplitude_mv),
        proximal_amplitude_mv=_float(g.proximal_amplitude_mv),
        distal_area_mvms=_float(g.distal_area_mvms),
        proximal_area_mvms=_float(g.proximal_area_mvms),
        distal_duration_ms=_float(g.distal_duration_ms),
        proximal_duration_ms=_float(g.proximal_duration_ms),
        velocity_m_s=_float(g.velocity_m_s),
        lower_limit_amplitude_mv=lower_limits.get(g.nerve),
    )


def lower_limits() -> dict[str, float]:
    return {r.nerve: float(r.lower_limit_amplitude_mv) for r in NerveReference.objects.all()}


def _grouped(rows, key_index: int = 0) -> dict[int, list[tuple]]:
    groups: dict[int, list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[key_index], []).append(row)
    return groups


# The §9 measures of a visit, in the order of ``VisitIn``'s fields after ``prineas_score``
# (its rows are built positionally); every one of VISIT_MEASURE_FIELDS is one of them.
_VISIT_IN_FIELDS = tuple(f.name for f in dataclass_fields(VisitIn))
_VISIT_IN_MEASURES = _VISIT_IN_FIELDS[_VISIT_IN_FIELDS.index("prineas_score") + 1:]
if (_VISIT_IN_FIELDS[:7] != ("id", "visited_on", "kind", "series_number", "mrc",
                             "functional_score", "prineas_score")
        or set(_VISIT_IN_MEASURES) != set(VISIT_MEASURE_FIELDS)):  # pragma: no cover
    raise ImportError("VisitIn's fields are not those _patients_input builds it with")

Reads = Callable[[list[int]], list[QuerySet]]  # the querysets of some patients' reads


def fetch_together(reads: Reads, patient_ids: Sequence[int]) -> list[list[tuple]]:
    """The rows of ``reads(patient_ids)``, ``values_list`` querysets, in one round trip on
    PostgreSQL: each list equals ``list(queryset)``.

    Their statements are sent as one (client-side binding, psycopg's default and
    Django's: the parameters are merged into the text) and read back result by result
    (``nextset``), each row through its queryset's own converters. A recompute reads a
    dozen tables, and on a busy machine each round trip was a wait of its own; compiling
    the dozen querysets to SQL was 40 % of a one-patient recompute, so the SQL is compiled
    once per number of patients and reused with their ids as parameters
    (``_compiled``; bench/README.md). Elsewhere (SQLite, or server-side binding
    configured): one query each."""
    ids = list(dict.fromkeys(patient_ids))  # as ``__in`` does: each id once
    if connection.vendor != "postgresql" or connection.settings_dict.get(
            "OPTIONS", {}).get("server_side_binding"):
        return [list(queryset) for queryset in reads(ids)]
    compiled = _compiled(reads, len(ids), connection.alias)
    if compiled is None:  # the ids are not plain parameters: compile this one
        compiled = _compile(reads(ids))
        positions: tuple[tuple[int, int], ...] = ()
    else:
        positions = compiled[2]
    sql, template, _, compilers = compiled
    params = list(template)
    for index, position in positions:
        params[index] = ids[position]
    results: list[list[tuple]] = []
    with connection.cursor() as cursor:
        if sql:
            cursor.execute(sql, params)
        first = True
        for compiler in compilers:
            if compiler is None:  # an empty ``__in``: no statement, no rows
                results.append([])
                continue
            if not first:
                cursor.nextset()
            first = False
            rows = cursor.fetchall()
            if _plain_rows(compiler):  # psycopg's tuples are the queryset's rows
                results.append(rows)
            else:
                results.append(list(compiler.results_iter(results=[rows],
                                                          tuple_expected=True)))
    return results


def _plain_rows(compiler) -> bool:
    """Whether ``compiler``'s rows need none of its converters (``results_iter`` would
    give them back as fetched): worked out once per compiled statement (``_compiled``
    keeps the compilers) instead of at every read, where it was ~5 % of a one-patient
    recompute (cProfile). Most of the recompute's reads need none (not the JSON ones)."""
    plain = getattr(compiler, "_fetch_together_plain", None)
    if plain is None:
        fields = [column[0] for column in compiler.select[0:compiler.col_count]]
        plain = not compiler.get_converters(fields) and not compiler.has_composite_fields(
            fields)
        compiler._fetch_together_plain = plain
    return plain


_PLACEHOLDER_ID = -(2 ** 62)  # stands for the n-th id as _PLACEHOLDER_ID - n


def _compile(querysets: list[QuerySet]) -> tuple[str, tuple, tuple, tuple]:
    statements: list[str] = []
    params: list = []
    compilers: list = []
    for queryset in querysets:
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, parameters = compiler.as_sql()
        except EmptyResultSet:
            compilers.append(None)
            continue
        compilers.append(compiler)
        statements.append(sql)
        params.extend(parameters)
    return "; ".join(statements), tuple(params), (), tuple(compilers)


@lru_cache(maxsize=32)
def _compiled(reads: Reads, count: int, alias: str
              ) -> tuple[str, tuple, tuple[tuple[int, int], ...], tuple] | None:
    """``reads`` compiled for ``count`` patients: the SQL, the parameters with a
    placeholder id for each patient, and where those placeholders are; None if the
    placeholders do not come out as parameters, each as often (then no reuse)."""
    placeholders = [_PLACEHOLDER_ID - n for n in range(count)]
    sql, params, _, compilers = _compile(reads(placeholders))
    wanted = {value: n for n, value in enumerate(placeholders)}
    positions = tuple((index, wanted[value]) for index, value in enumerate(params)
                      if isinstance(value, int) and value in wanted)
    uses = [0] * count
    for _, n in positions:
        uses[n] += 1
    if count and (len(set(uses)) != 1 or uses[0] == 0 or str(_PLACEHOLDER_ID) in sql):
        return None
    return sql, params, positions, compilers


def _reference_querysets() -> list[QuerySet]:
    """Rule sets by diagnosis, current thresholds, block criteria sets, lower limits."""
    return [
        # The parameters as their JSON text: the key of the rule sets and criteria sets
        # already built (``_rules_built``, ``_criteria_built``).
        DiagnosisRuleSet.objects.order_by().values_list(
            "diagnosis", "rule_set__version", Cast("rule_set__parameters", TextField())),
        TitreThreshold.objects.filter(current=True).order_by("revision").values_list(
            "antigen", "isotype", "method", "unit", "value", "center_id", "revision"),
        BlockCriteriaSet.objects.order_by().values_list(
            "code", Cast("parameters", TextField())),
        NerveReference.objects.order_by().values_list("nerve", "lower_limit_amplitude_mv"),
    ]


def _patient_querysets(ids: list[int]) -> list[QuerySet]:
    """The nine reads of ``patients_rules_input`` after the patients' own row."""
    stopping = AdverseEvent.objects.filter(series=OuterRef("pk"), led_to_stop=True)
    return [
        PinnedTargetMuscle.objects.filter(patient_id__in=ids).order_by("id")
        .values_list("patient_id", "muscle", "side"),
        Series.objects.filter(patient_id__in=ids).annotate(stopped=Exists(stopping))
        .order_by("patient_id", "number")
        .values_list("patient_id", "number", "started_on", "days", "status", "stopped",
                     "route", "regimen", "expected_interval_days", "dose_g_per_kg",
                     "id", "weight_kg"),
        Visit.objects.filter(patient_id__in=ids).order_by("patient_id", "visited_on", "id")
        .values_list("patient_id", "id", "visited_on", "kind", "series__number",
                     "functional_score", "prineas_score", *_VISIT_IN_MEASURES),
        # Unordered: one grade per visit, muscle and side (a constraint), and the rules
        # never depend on the order of a grid. Sorting some 150,000 grades of a batch by
        # id spilled to disk and was half of this query's time (bench/README.md).
        MrcGrade.objects.filter(visit__patient_id__in=ids).order_by()
        .values_list("visit_id", "muscle", "side", "grade"),
        Titre.objects.filter(patient_id__in=ids).order_by("patient_id", "sampled_on", "id")
        .values_list("patient_id", "sampled_on", "antigen", "isotype", "method", "value",
                     "unit", "id"),
        NerveStudy.objects.filter(patient_id__in=ids).order_by("patient_id", "studied_on", "id")
        .values_list("patient_id", "id", "studied_on"),
        NerveSegment.objects.filter(study__patient_id__in=ids).order_by("id")
        .values_list("study_id", "nerve", "side", "distal_site", "proximal_site",
                     *SEGMENT_VALUE_FIELDS),
    ]


def patients_rules_input(patient_ids: Sequence[int]) -> dict[int, PatientIn]:
    """The rules' plain data of many patients in nine queries, whatever their number and
    the length of their histories (one round trip on PostgreSQL). Rows are read as
    tuples, never as model instances: a 24-series history has some 700 MRC grades, and
    building a model object for each one cost more than the rules themselves
    (bench/README.md)."""
    ids = list(patient_ids)
    rows = fetch_together(_rules_input_reads, ids)
    if connection.vendor != "postgresql":
        patients = _patients_and_prior_treatments(ids)
    else:
        patients = _patients_and_prior_treatments_rows(rows.pop(0))
    limits = {nerve: float(limit) for nerve, limit in rows.pop(0)}
    return _patients_input(patients, limits, rows)


def _rules_input_reads(ids: list[int]) -> list[QuerySet]:
    head = _patients_and_prior_treatments_queryset(ids)
    return [*([head] if head is not None else []), _reference_querysets()[-1],
            *_patient_querysets(ids)]


def _patients_input(patients, limits: dict[str, float], rows: list[list[tuple]]
                    ) -> dict[int, PatientIn]:
    diagnoses, prior, tailoring = patients
    if not diagnoses:
        return {}
    pinned_rows, series_rows, visit_rows, grade_rows, titre_rows, study_rows, segment_rows = rows
    pinned = _grouped(pinned_rows)
    series = _grouped(series_rows)
    visits = _grouped(visit_rows)
    grades: dict[int, dict[tuple[str, str], int]] = {}
    for visit_id, muscle, side, grade in grade_rows:
        grades.setdefault(visit_id, {})[(muscle, side)] = grade
    titres = _grouped(titre_rows)
    studies = _grouped(study_rows)
    segments = _grouped(segment_rows)
    return {
        patient_id: PatientIn(
            diagnosis=diagnosis, center=center, primary_measure=primary_measure,
            pinned_targets=tuple((m, s) for _, m, s in pinned.get(patient_id, ())),
            prior_treatments=prior.get(patient_id, ()),
            tailoring=tailoring.get(patient_id, ()),
            series=tuple(
                SeriesIn(number=number, started_on=started_on, days=days, status=status,
                         stopped_for_adverse_event=stopped, route=route, regimen=regimen,
                         expected_interval_days=interval, dose_g_per_kg=dose, id=pk,
                         weight_kg=weight)
                for (_, number, started_on, days, status, stopped, route, regimen, interval,
                     dose, pk, weight)
                in series.get(patient_id, ())
            ),
            visits=tuple(
                # Positional: the measures are read in ``VisitIn``'s order (_VISIT_IN_MEASURES).
                VisitIn(pk, on, kind, number, grades.get(pk, {}), functional, prineas,
                        *measures)
                for _, pk, on, kind, number, functional, prineas, *measures
                in visits.get(patient_id, ())
            ),
            titres=tuple(
                TitreIn(sampled_on=on, antigen=antigen, isotype=isotype, method=method,
                        value=value, unit=unit, id=pk)
                for _, on, antigen, isotype, method, value, unit, pk in titres.get(patient_id, ())
            ),
            studies=tuple(
                StudyIn(studied_on=on, segments=tuple(
                    _segment_from_row(row, limits) for row in segments.get(study_id, ())
                ))
                for _, study_id, on in studies.get(patient_id, ())
            ),
        )
        for patient_id, (diagnosis, center, primary_measure) in diagnoses.items()
    }


def _patients_and_prior_treatments_queryset(ids: list[int]) -> QuerySet | None:
    """On PostgreSQL, the patients' rows with their prior treatments and tailoring
    episodes as arrays of small objects (not a query more); elsewhere None."""
    if connection.vendor != "postgresql":
        return None
    treatments = ArraySubquery(
        PriorTreatment.objects.filter(patient=OuterRef("pk")).order_by("started_on", "id")
        .values(json=JSONObject(kind="kind", started_on="started_on", ended_on="ended_on"))
    )
    episodes = ArraySubquery(
        TailoringEpisode.objects.filter(patient=OuterRef("pk")).order_by("started_on", "id")
        .values(json=JSONObject(id="id", kind="kind", started_on="started_on",
                                ended_on="ended_on"))
    )
    return Patient.objects.filter(pk__in=ids).values_list(
        "pk", "diagnosis", "center_id", "primary_measure", treatments, episodes)


def _patients_and_prior_treatments_rows(rows: list[tuple]) -> tuple[
    dict[int, tuple[str, int, str | None]], dict[int, tuple[PriorTreatmentIn, ...]],
    dict[int, tuple[TailoringIn, ...]],
]:
    return ({pk: (diagnosis, center, measure)
             for pk, diagnosis, center, measure, _, _ in rows},
            {pk: _prior_treatments(items) for pk, _, _, _, items, _ in rows},
            {pk: _tailoring(items) for pk, _, _, _, _, items in rows})


def _patients_and_prior_treatments(ids: list[int]) -> tuple[
    dict[int, tuple[str, int, str | None]], dict[int, tuple[PriorTreatmentIn, ...]],
    dict[int, tuple[TailoringIn, ...]],
]:
    """Each patient's diagnosis and centre, the prior treatments the rules read (§2
    "stable on treatment") and the tailoring episodes (§10). On PostgreSQL the treatments
    and episodes come in the patient row, arrays of small objects (not a query more);
    elsewhere (SQLite, ``make run``) in queries of their own."""
    patients = Patient.objects.filter(pk__in=ids)
    grouped = _grouped(
        PriorTreatment.objects.filter(patient_id__in=ids).order_by("patient_id", "started_on", "id")
        .values_list("patient_id", "kind", "started_on", "ended_on")
    )
    episodes_by_patient = _grouped(
        TailoringEpisode.objects.filter(patient_id__in=ids)
        .order_by("patient_id", "started_on", "id")
        .values_list("patient_id", "id", "kind", "started_on", "ended_on")
    )
    return (
        {pk: (diagnosis, center, measure) for pk, diagnosis, center, measure in
         patients.values_list("pk", "diagnosis", "center_id", "primary_measure")},
        {pk: tuple(PriorTreatmentIn(kind=kind, started_on=started, ended_on=ended)
                   for _, kind, started, ended in items)
         for pk, items in grouped.items()},
        {pk: tuple(TailoringIn(id=id_, kind=kind, started_on=started, ended_on=ended)
                   for _, id_, kind, started, ended in items)
         for pk, items in episodes_by_patient.items()},
    )


def _tailoring(items: list[dict] | None) -> tuple[TailoringIn, ...]:
    return tuple(
        TailoringIn(id=item["id"], kind=item["kind"], started_on=date.fromisoformat(
            item["started_on"]), ended_on=_date(item["ended_on"]))
        for item in items or ()
    )


def _prior_treatments(items: list[dict] | None) -> tuple[PriorTreatmentIn, ...]:
    return tuple(
        PriorTreatmentIn(kind=item["kind"], started_on=_date(item["started_on"]),
                         ended_on=_date(item["ended_on"]))
        for item in items or ()
    )


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _segment_from_row(row: tuple, limits: dict[str, float]) -> SegmentIn:
    """``segment_input`` for a ``values_list`` row (study id first)."""
    _, nerve, side, distal_site, proximal_site, *values = row
    return SegmentIn(
        nerve=nerve, side=side, distal_site=distal_site, proximal_site=proximal_site,
        **{name: _float(value) for name, value in zip(SEGMENT_VALUE_FIELDS, values,
                                                      strict=True)},
        lower_limit_amplitude_mv=limits.get(nerve),
    )


@dataclass(frozen=True)
class OutcomeBatchInputs:
    patients: dict[int, PatientIn]
    rules: dict[str, Rules]  # by diagnosis
    thresholds: Thresholds
    criteria: dict[str, BlockCriteria]  # by code
    versions: dict[int, int] = field(default_factory=dict)  # outcome data_version by patient

    def rules_for(self, patient: PatientIn) -> Rules:
        # Every diagnosis of the catalogue gets a default row (reference_data); one added
        # to the catalogue since is judged by the paper's rules until it gets its own.
        return self.rules.get(patient.diagnosis, SEED_1)

    def criteria_for(self, rules: Rules) -> BlockCriteria:
        return self.criteria.get(rules.block_criteria, SEED_1_BLOCKS)


def outcome_batch_inputs(*, patient_ids: Sequence[int]) -> OutcomeBatchInputs:
    """Everything a batch of recomputes reads, in thirteen statements whatever the batch,
    sent together in one round trip on PostgreSQL (``fetch_together``): first the
    outcomes' ``data_version`` (``OutcomeBatchInputs.versions``; a patient without an
    outcome row is not in it), then the data they are computed from."""
    ids = list(patient_ids)
    rows = fetch_together(_batch_reads, ids)
    read_versions = dict(rows.pop(0))
    patients = (_patients_and_prior_treatments(ids) if connection.vendor != "postgresql"
                else _patients_and_prior_treatments_rows(rows.pop(0)))
    rule_rows, threshold_rows, criteria_rows, limit_rows = rows[:4]
    inputs = _patients_input(patients, {nerve: float(limit) for nerve, limit in limit_rows},
                             rows[4:])
    # Only the rule sets and criteria sets the batch's patients are judged by are built
    # (``rules_for`` and ``criteria_for`` fall back to the paper's for any other): one
    # patient's recompute built all of them, a tenth of its time.
    diagnoses = {patient.diagnosis for patient in inputs.values()}
    rules = {diagnosis: _rules_built(version, parameters)
             for diagnosis, version, parameters in rule_rows if diagnosis in diagnoses}
    codes = {SEED_1.block_criteria, *(r.block_criteria for r in rules.values())}
    return OutcomeBatchInputs(
        patients=inputs,
        rules=rules,
        thresholds=_thresholds(threshold_rows),
        criteria={code: _criteria_built(code, parameters)
                  for code, parameters in criteria_rows if code in codes},
        versions=read_versions,
    )


# A rule set or criteria set built from its stored row, by the row's values (its JSON text
# whole): read again at every recompute, never taken from here unless identical; both
# are frozen. One patient's recompute decoded and built them all again each time.
@lru_cache(maxsize=64)
def _rules_built(version: str, parameters: str) -> Rules:
    return RuleSet(version=version, parameters=json.loads(parameters)).as_rules()


@lru_cache(maxsize=64)
def _criteria_built(code: str, parameters: str) -> BlockCriteria:
    return BlockCriteriaSet(code=code, parameters=json.loads(parameters)).as_criteria()


def _batch_reads(ids: list[int]) -> list[QuerySet]:
    head = _patients_and_prior_treatments_queryset(ids)
    return [
        Outcome.objects.filter(patient_id__in=ids).order_by()
        .values_list("patient_id", "data_version"),
        *([head] if head is not None else []),
        *_reference_querysets(),
        *_patient_querysets(ids),
    ]


def outcome_inputs(*, patient_id: int) -> OutcomeInputs | None:
    """Everything one recompute reads, in a fixed number of queries whatever the history
    (one round trip on PostgreSQL), with the outcome's ``data_version`` read first
    (``read_version``: None when the patient has no outcome row)."""
    batch = outcome_batch_inputs(patient_ids=[patient_id])
    patient = batch.patients.get(patient_id)
    if patient is None:
        return None
    rules = batch.rules_for(patient)
    return OutcomeInputs(patient=patient, rules=rules,
                         thresholds=batch.thresholds.for_centre(patient.center),
                         thresholds_revision=batch.thresholds.revision,
                         block_criteria=batch.criteria_for(rules),
                         read_version=batch.versions.get(patient_id))


def patient_studies_input(*, patient_id: int) -> tuple[StudyIn, ...]:
    """The patient's nerve studies as the rules read them, in three queries (``?criteria=``
    recomputes their block summary for one answer, never stored)."""
    limits = lower_limits()
    segments = _grouped(
        NerveSegment.objects.filter(study__patient_id=patient_id).order_by("id")
        .values_list("study_id", "nerve", "side", "distal_site", "proximal_site",
                     *SEGMENT_VALUE_FIELDS)
    )
    return tuple(
        StudyIn(studied_on=on, segments=tuple(
            _segment_from_row(row, limits) for row in segments.get(study_id, ())))
        for study_id, on in NerveStudy.objects.filter(patient_id=patient_id)
        .order_by("studied_on", "id").values_list("id", "studied_on")
    )


def stale_patient_ids(*, limit: int = 1000) -> list[int]:
    return list(
        Outcome.objects.stale().order_by("patient_id").values_list("patient_id", flat=True)[:limit]
    )


def lot_recipients(*, lot: str, patients=None) -> list[dict]:
    """Which patients received lot ``lot`` (clinical-rules.md §6), with series and dates."""
    rows = (
        LotNumber.objects.filter(lot__iexact=lot.strip())
        .select_related("series__patient")
        .order_by("series__patient__code", "series__number")
    )
    if patients is not None:
        rows = rows.filter(series__patient__in=patients)
    return [
        {
            "patient": row.series.patient_id,
            "code": row.series.patient.code,
            "series": row.series.number,
            "series_id": row.series_id,
            "started_on": row.series.started_on,
            "lot": row.lot,
        }
        for row in rows
    ]


def blocks_under(*, patient_id: int, criteria: BlockCriteria) -> dict:
    """The outcome's ``conduction_blocks`` recomputed under another criteria set, for one
    answer (``?criteria=``; clinical-rules.md §4); nothing is stored."""
    return block_evolution_dict(
        block_evolution(patient_studies_input(patient_id=patient_id), criteria=criteria))


def segment_criteria_by_diagnosis() -> dict[str, BlockCriteria]:
    """Each diagnosis' default criteria set (its rule set's), in two queries: a nerve
    study's segments are judged by it unless ``?criteria=`` names another."""
    sets = criteria_sets()
    return {diagnosis: sets.get(rules.block_criteria, SEED_1_BLOCKS)
            for diagnosis, rules in rules_by_diagnosis().items()}


# --- One reader per judgement (clinical-rules.md preamble: "each judgement is computed in
# one place (the rules) and read from there"). Every surface — API, pages, admin, exports —
# reads a judgement through one of these, never by comparing values itself.


def titre_input(titre) -> TitreIn:
    """The rules' view of a ``Titre`` (a model instance or an object with its fields)."""
    return TitreIn(sampled_on=titre.sampled_on, antigen=titre.antigen, isotype=titre.isotype,
                   method=titre.method, value=titre.value, unit=titre.unit)


def titre_significance_reader() -> Callable[[object, int | None], bool | None]:
    """A function telling a titre's significance (clinical-rules.md §5) with
    ``rules.titre_significance`` and the current thresholds of the patient's centre (its
    own rows win over the general ones), read once, on first use."""

    @cache
    def loaded() -> Thresholds:
        return current_thresholds()

    def significance(titre, center_id: int | None) -> bool | None:
        if titre.value is None:
            return None
        return titre_significance(titre_input(titre),
                                  thresholds=loaded().for_centre(center_id))

    return significance


def segment_block_reader(*, criteria: BlockCriteria | None = None
                         ) -> Callable[[NerveSegment, str], BlockState]:
    """A function telling a segment's block state (clinical-rules.md §4) with
    ``rules.segment_block``: under ``criteria`` when given (``?criteria=``), else under the
    criteria set of the rule set of the patient's diagnosis; the per-diagnosis sets and the
    lower limits are read once, on first use."""

    @cache
    def loaded() -> tuple[dict[str, BlockCriteria], dict[str, float]]:
        return ({} if criteria is not None else segment_criteria_by_diagnosis()), lower_limits()

    def state(segment: NerveSegment, diagnosis: str) -> BlockState:
        by_diagnosis, limits = loaded()
        chosen = criteria or by_diagnosis.get(diagnosis, SEED_1_BLOCKS)
        return segment_block(segment_input(segment, limits), criteria=chosen)

    return state


def outcome_visit_scores(result: dict | None) -> dict[int, int | None]:
    """Each visit's score as the stored outcome computed it (clinical-rules.md §2)."""
    return {row["id"]: row.get("score") for row in (result or {}).get("visits") or []
            if row.get("id") is not None}


def outcome_visit_rows(result: dict | None) -> dict[int, dict]:
    """Each visit's computed row of the stored outcome (score, grade, §9 scores), by id."""
    return {row["id"]: row for row in (result or {}).get("visits") or []
            if row.get("id") is not None}


def outcome_series_results(result: dict | None) -> dict[int, dict]:
    """Each series' computed row of the stored outcome (pre/post score, grade, interval
    and its flag: clinical-rules.md §2, §6), by series number."""
    return {row["number"]: row for row in (result or {}).get("series") or []
            if row.get("number") is not None}


def outcome_series_row(rows: list[dict] | None, number: int) -> dict:
    """One series' row of a stored outcome's ``series`` list (clinical-rules.md §2, §6,
    §10), or an empty one."""
    return next((row for row in rows or () if row.get("number") == number), {})


def series_dosing_for(
    *, patient: Patient, route: str, dose_g_per_kg: Decimal, weight_kg: Decimal,
    height_cm: Decimal | None, dose_basis: str, started_on: date | None,
    rules: Rules | None = None,
) -> Dosing:
    """A series' dosing values (clinical-rules.md §10) for ``patient`` under the rule set
    of its diagnosis now (or ``rules``, already read: an import's bulk path): what the
    service stores when a series is saved, and what the series form shows as the user
    types (one rule, ``treatments.rules.course``). Raises ``DosingError`` naming the
    input to correct."""
    age = started_on.year - patient.birth_year if isinstance(started_on, date) else None
    return series_dosing(
        route=route, dose_g_per_kg=dose_g_per_kg, weight_kg=weight_kg, height_cm=height_cm,
        basis=dose_basis, sex=patient.sex, age_years=age,
        rules=rules or rules_for_diagnosis(patient.diagnosis),
    )


def outcome_tailoring_results(result: dict | None) -> dict[int, dict]:
    """Each tailoring episode's computed row of the stored outcome (result, relapse_on,
    window: clinical-rules.md §10), by episode id."""
    return {row["id"]: row for row in (result or {}).get("tailoring") or []
            if row.get("id") is not None}


# --- The worklist (ui.md ``/worklist/``, api.md ``worklist/``): what a clinic acts on this
# week, read from the stored outcomes (their ``summary``), never recomputed here.

WORKLIST_DUE_DAYS = 7  # "series due within 7 days" (api.md)


def care_patients(user):
    """The patients of the centres where the user gives care (clinician or data manager):
    the worklist's. A researcher has no worklist (none of their centres is care)."""
    ids = writable_center_ids(user)
    patients = Patient.objects.all()
    return patients if ids is None else patients.filter(center_id__in=ids)


def open_queries(*, patients) -> list[dict]:
    """The open data-quality queries of ``patients`` (clinical-rules.md §11), as
    ``{patient, code, …}`` rows: read by the queries app, which registers its reader in
    ``treatments.hooks`` (treatments imports nothing of it)."""
    from treatments.hooks import worklist_queries

    return worklist_queries(patients)


def worklist(*, patients, today: date) -> dict[str, list[dict]]:
    """``due`` (the next series due from ``today`` to ``today`` + 7 days, not overdue),
    ``overdue``, ``stale`` (outcomes pending recompute) and ``queries`` (open) for the
    patients given (already scoped by the caller). One query for the first three, whatever
    the number of patients: the outcome rows with their patient's code.

    ``next_series_due`` (ISO date) and ``overdue`` (bool) are the stored summary's keys
    (clinical-rules.md §10 "Schedule"), written by the recompute."""
    until = (today + timedelta(days=WORKLIST_DUE_DAYS)).isoformat()
    rows = list(
        Outcome.objects.filter(patient__in=patients)
        .annotate(due=KT("summary__next_series_due"))
        .filter(Q(due__gte=today.isoformat(), due__lte=until) | Q(summary__overdue=True)
                | Q(computed_data_version__lt=F("data_version")))
        .order_by("patient__code", "patient_id")
        .values_list("patient_id", "patient__code", "due", "summary__overdue",
                     "computed_data_version",
                     "data_version", "computed_at")
    )
    due, overdue, stale = [], [], []
    for patient_id, code, next_due, late, computed, version, computed_at in rows:
        if late is True:
            overdue.append({"patient": patient_id, "code": code, "next_series_due": next_due,
                            "days_overdue": (today - date.fromisoformat(next_due)).days
                            if next_due else None})
        elif next_due is not None and today.isoformat() <= next_due <= until:
            due.append({"patient": patient_id, "code": code, "next_series_due": next_due})
        if computed < version:
            stale.append({"patient": patient_id, "code": code, "computed_at": computed_at})
    due.sort(key=lambda row: (row["next_series_due"], row["code"]))
    overdue.sort(key=lambda row: (row["next_series_due"] or "", row["code"]))
    return {"due": due, "overdue": overdue, "stale": stale,
            "queries": open_queries(patients=patients)}
