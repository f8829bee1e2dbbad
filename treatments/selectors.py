"""Reads of the treatments domain: the rules' inputs, stale outcomes, lots, reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef
from django.db.models.functions import JSONObject

from patients.models import (
    SEGMENT_VALUE_FIELDS,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Patient,
    PinnedTargetMuscle,
    PriorTreatment,
    Titre,
    Visit,
)
from treatments.models import (
    AdverseEvent,
    BlockCriteriaSet,
    LotNumber,
    NerveReference,
    Outcome,
    RuleSet,
    Series,
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
    ThresholdIn,
    TitreIn,
    VisitIn,
    segment_block,
    titre_significance,
)
from treatments.rules import (
    RuleSet as Rules,
)


@dataclass(frozen=True)
class OutcomeInputs:
    patient: PatientIn
    rules: Rules
    thresholds: tuple[ThresholdIn, ...]
    block_criteria: BlockCriteria


def default_rules() -> Rules:
    rule_set = RuleSet.objects.filter(is_default=True).first()
    return rule_set.as_rules() if rule_set else SEED_1


def block_criteria(code: str | None = None) -> BlockCriteria:
    queryset = BlockCriteriaSet.objects.all()
    row = queryset.filter(code=code).first() if code else queryset.filter(is_default=True).first()
    return row.as_criteria() if row else SEED_1_BLOCKS


def thresholds() -> tuple[ThresholdIn, ...]:
    return tuple(
        ThresholdIn(antigen=t.antigen, isotype=t.isotype, method=t.method, unit=t.unit,
                    value=t.value)
        for t in TitreThreshold.objects.all()
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


def patients_rules_input(patient_ids: Sequence[int]) -> dict[int, PatientIn]:
    """The rules' plain data of many patients in nine queries, whatever their number and
    the length of their histories. Rows are read as tuples, never as model instances: a
    24-series history has some 700 MRC grades, and building a model object for each one
    cost more than the rules themselves (bench/README.md)."""
    ids = list(patient_ids)
    # The prior treatments the rules read (§2 "stable on treatment"), in the patient row:
    # an array of small objects, not a query more.
    treatments = ArraySubquery(
        PriorTreatment.objects.filter(patient=OuterRef("pk")).order_by("started_on", "id")
        .values(json=JSONObject(kind="kind", started_on="started_on", ended_on="ended_on"))
    )
    rows = list(Patient.objects.filter(pk__in=ids).values_list("pk", "diagnosis", treatments))
    diagnoses = {pk: diagnosis for pk, diagnosis, _ in rows}
    prior = {pk: _prior_treatments(items) for pk, _, items in rows}
    if not diagnoses:
        return {}
    limits = lower_limits()
    pinned = _grouped(
        PinnedTargetMuscle.objects.filter(patient_id__in=ids).order_by("id")
        .values_list("patient_id", "muscle", "side")
    )
    stopping = AdverseEvent.objects.filter(series=OuterRef("pk"), led_to_stop=True)
    series = _grouped(
        Series.objects.filter(patient_id__in=ids).annotate(stopped=Exists(stopping))
        .order_by("patient_id", "number")
        .values_list("patient_id", "number", "started_on", "days", "status", "stopped")
    )
    visits = _grouped(
        Visit.objects.filter(patient_id__in=ids).order_by("patient_id", "visited_on", "id")
        .values_list("patient_id", "id", "visited_on", "kind", "series__number",
                     "functional_score", "prineas_score")
    )
    grades: dict[int, dict[tuple[str, str], int]] = {}
    # Unordered: one grade per visit, muscle and side (a constraint), and the rules never
    # depend on the order of a grid. Sorting some 150,000 grades of a batch by id spilled
    # to disk and was half of this query's time (bench/README.md).
    for visit_id, muscle, side, grade in (
        MrcGrade.objects.filter(visit__patient_id__in=ids).order_by()
        .values_list("visit_id", "muscle", "side", "grade")
    ):
        grades.setdefault(visit_id, {})[(muscle, side)] = grade
    titres = _grouped(
        Titre.objects.filter(patient_id__in=ids).order_by("patient_id", "sampled_on", "id")
        .values_list("patient_id", "sampled_on", "antigen", "isotype", "method", "value",
                     "unit")
    )
    studies = _grouped(
        NerveStudy.objects.filter(patient_id__in=ids).order_by("patient_id", "studied_on", "id")
        .values_list("patient_id", "id", "studied_on")
    )
    segments = _grouped(
        NerveSegment.objects.filter(study__patient_id__in=ids).order_by("id")
        .values_list("study_id", "nerve", "side", "distal_site", "proximal_site",
                     *SEGMENT_VALUE_FIELDS)
    )
    return {
        patient_id: PatientIn(
            diagnosis=diagnosis,
            pinned_targets=tuple((m, s) for _, m, s in pinned.get(patient_id, ())),
            prior_treatments=prior.get(patient_id, ()),
            series=tuple(
                SeriesIn(number=number, started_on=started_on, days=days, status=status,
                         stopped_for_adverse_event=stopped)
                for _, number, started_on, days, status, stopped in series.get(patient_id, ())
            ),
            visits=tuple(
                VisitIn(id=pk, visited_on=on, kind=kind, series_number=number,
                        mrc=grades.get(pk, {}), functional_score=functional,
                        prineas_score=prineas)
                for _, pk, on, kind, number, functional, prineas in visits.get(patient_id, ())
            ),
            titres=tuple(
                TitreIn(sampled_on=on, antigen=antigen, isotype=isotype, method=method,
                        value=value, unit=unit)
                for _, on, antigen, isotype, method, value, unit in titres.get(patient_id, ())
            ),
            studies=tuple(
                StudyIn(studied_on=on, segments=tuple(
                    _segment_from_row(row, limits) for row in segments.get(study_id, ())
                ))
                for _, study_id, on in studies.get(patient_id, ())
            ),
        )
        for patient_id, diagnosis in diagnoses.items()
    }


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
    rules: Rules
    thresholds: tuple[ThresholdIn, ...]
    block_criteria: BlockCriteria


def outcome_batch_inputs(*, patient_ids: Sequence[int]) -> OutcomeBatchInputs:
    """Everything a batch of recomputes reads, in twelve queries whatever the batch."""
    return OutcomeBatchInputs(
        patients=patients_rules_input(patient_ids),
        rules=default_rules(),
        thresholds=thresholds(),
        block_criteria=block_criteria(),
    )


def outcome_inputs(*, patient_id: int) -> OutcomeInputs | None:
    """Everything one recompute reads, in a fixed number of queries whatever the history."""
    batch = outcome_batch_inputs(patient_ids=[patient_id])
    patient = batch.patients.get(patient_id)
    if patient is None:
        return None
    return OutcomeInputs(patient=patient, rules=batch.rules, thresholds=batch.thresholds,
                         block_criteria=batch.block_criteria)


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


def age_on(birth_year: int | None, day: date | None) -> int | None:
    if birth_year is None or day is None:
        return None
    return day.year - birth_year


# --- One reader per judgement (clinical-rules.md preamble: "each judgement is computed in
# one place (the rules) and read from there"). Every surface — API, pages, admin, exports —
# reads a judgement through one of these, never by comparing values itself.


def titre_input(titre) -> TitreIn:
    """The rules' view of a ``Titre`` (a model instance or an object with its fields)."""
    return TitreIn(sampled_on=titre.sampled_on, antigen=titre.antigen, isotype=titre.isotype,
                   method=titre.method, value=titre.value, unit=titre.unit)


def titre_significance_reader() -> Callable[[object], bool | None]:
    """A function telling a titre's significance (clinical-rules.md §5) with
    ``rules.titre_significance`` and the stored thresholds, read once, on first use."""

    @cache
    def loaded() -> tuple[ThresholdIn, ...]:
        return thresholds()

    def significance(titre) -> bool | None:
        if titre.value is None:
            return None
        return titre_significance(titre_input(titre), thresholds=loaded())

    return significance


def segment_block_reader(*, criteria_code: str | None = None
                         ) -> Callable[[NerveSegment], BlockState]:
    """A function telling a segment's block state (clinical-rules.md §4) with
    ``rules.segment_block`` under the named (else the default) criteria set and the
    reference lower limits, both read once, on first use."""

    @cache
    def loaded() -> tuple[BlockCriteria, dict[str, float]]:
        return block_criteria(criteria_code), lower_limits()

    def state(segment: NerveSegment) -> BlockState:
        criteria, limits = loaded()
        return segment_block(segment_input(segment, limits), criteria=criteria)

    return state


def outcome_visit_scores(result: dict | None) -> dict[int, int | None]:
    """Each visit's score as the stored outcome computed it (clinical-rules.md §2)."""
    return {row["id"]: row.get("score") for row in (result or {}).get("visits") or []
            if row.get("id") is not None}


def outcome_series_results(result: dict | None) -> dict[int, dict]:
    """Each series' computed row of the stored outcome (pre/post score, grade, interval
    and its flag: clinical-rules.md §2, §6), by series number."""
    return {row["number"]: row for row in (result or {}).get("series") or []
            if row.get("number") is not None}

