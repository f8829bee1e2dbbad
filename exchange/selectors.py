"""Reads of the exports: the cohort, then each dataset's rows, streamed in batches of patients.

A batch of patient ids is read from a server-side cursor; each dataset then reads that
batch's rows in one or two queries (the stored outcome when it has computed columns), so
memory stays bounded by the batch, whatever the registry's size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from patients.models import (
    VISIT_MEASURE_FIELDS,
    AffectedNerve,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PinnedTargetMuscle,
    PriorTreatment,
    Titre,
    Visit,
)
from queries.models import Query
from registry.scoping import (
    can_see_identifiers,
    export_center_ids,
    scope_patients,
    scope_reportable_patients,
    scope_research_consent,
)
from treatments.models import AdverseEvent, LotNumber, Outcome, Series, TailoringEpisode
from treatments.rules import TitreIn
from treatments.selectors import (
    outcome_series_results,
    outcome_tailoring_results,
    outcome_visit_rows,
    segment_block_reader,
    titre_significance_reader,
)

Row = dict[str, Any]


def export_cohort(
    *, user, center: str | None = None, diagnosis: str | None = None
) -> QuerySet[Patient]:
    """The patients an export holds: the user's exporting centres, consent given."""
    patients = scope_reportable_patients(Patient.objects.all(), user)
    centers = export_center_ids(user)
    if centers is not None:
        patients = patients.filter(center_id__in=centers)
    if center:
        patients = patients.filter(center__code=center)
    if diagnosis:
        patients = patients.filter(diagnosis=diagnosis)
    return patients.order_by("code")


@dataclass
class ExportContext:
    """What the row readers share within one export.

    ``identifier_centers``: the centres whose patients' identifiers are written (``None``:
    every centre); an empty list writes the identifier columns empty.
    """

    identifiers: bool = False
    identifier_centers: list[int] | None = field(default_factory=list)
    #: The patients whose identifiers were written since the service last took them (the
    #: access log: ``exchange.services.ExportJob.rows`` records them batch by batch).
    identified: list[Patient] = field(default_factory=list)

    def shows_identity(self, center_id: int) -> bool:
        return self.identifiers and (
            self.identifier_centers is None or center_id in self.identifier_centers
        )

    @cached_property
    def titre_significance(self):
        return titre_significance_reader()

    @cached_property
    def segment_block(self):
        return segment_block_reader()


def batches(cohort: QuerySet[Patient], size: int | None = None) -> Iterator[list[int]]:
    """Patient ids in code order, ``size`` at a time, from a server-side cursor."""
    size = size or settings.EXPORT_BATCH_SIZE
    ids = cohort.order_by("code").values_list("pk", flat=True).iterator(chunk_size=size)
    while batch := list(islice(ids, size)):
        yield batch


def _outcome_parts(ids: list[int], *keys: str) -> dict[int, tuple]:
    """Parts of the stored outcomes' JSON, per patient id (one query)."""
    paths = [f"result__{key}" for key in keys]
    return {
        row[0]: row[1:]
        for row in Outcome.objects.filter(patient_id__in=ids).values_list("patient_id", *paths)
    }


def patient_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    patients = Patient.objects.filter(pk__in=ids).select_related("center", "consent")
    if context.identifiers:
        patients = patients.select_related("identity")
    for p in patients.order_by("code"):
        consent = getattr(p, "consent", None)
        row = {
            "patient": p.code, "center": p.center.code, "sex": p.sex,
            "birth_year": p.birth_year, "diagnosis": p.diagnosis, "onset_year": p.onset_year,
            "neuropathy_pattern": p.neuropathy_pattern,
            "primary_measure": p.primary_measure,
            "consent_given_on": consent.given_on if consent else None,
            "consent_version": consent.version if consent else "", "notes": p.notes,
        }
        if context.shows_identity(p.center_id):
            identity = getattr(p, "identity", None)
            if identity is not None:
                row.update(name=identity.name, date_of_birth=identity.date_of_birth,
                           hospital_number=identity.hospital_number)
                context.identified.append(p)
        yield row


def _values(queryset: QuerySet, names: tuple[str, ...], paths: tuple[str, ...]
            ) -> Iterator[Row]:
    for values in queryset.values_list(*paths):
        yield dict(zip(names, values, strict=True))


def affected_nerve_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    yield from _values(
        AffectedNerve.objects.filter(patient_id__in=ids).order_by("patient__code", "id"),
        ("patient", "side", "nerve"), ("patient__code", "side", "nerve"),
    )


def target_muscle_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    yield from _values(
        PinnedTargetMuscle.objects.filter(patient_id__in=ids).order_by("patient__code", "id"),
        ("patient", "muscle", "side"), ("patient__code", "muscle", "side"),
    )


def titre_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    names = ("patient", "sampled_on", "antigen", "isotype", "method", "value", "unit")
    rows = Titre.objects.filter(patient_id__in=ids).order_by("patient__code", "sampled_on", "id")
    for row in _values(rows, (*names, "center"), ("patient__code", *names[1:],
                                                   "patient__center_id")):
        titre = TitreIn(**{name: row[name] for name in names[1:]})
        row["significant"] = context.titre_significance(titre, row.pop("center"))
        yield row


def paraprotein_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    names = ("patient", "measured_on", "isotype", "light_chain", "serum_level_g_l")
    rows = Paraprotein.objects.filter(patient_id__in=ids).order_by(
        "patient__code", "measured_on", "id")
    yield from _values(rows, names, ("patient__code", *names[1:]))


def prior_treatment_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    names = ("patient", "kind", "started_on", "ended_on", "notes")
    rows = PriorTreatment.objects.filter(patient_id__in=ids).order_by(
        "patient__code", "started_on", "id")
    yield from _values(rows, names, ("patient__code", *names[1:]))


def tailoring_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    """Episodes with the stored outcome's result (clinical-rules.md §10), two queries."""
    computed = {patient_id: outcome_tailoring_results({"tailoring": parts[0]})
                for patient_id, parts in _outcome_parts(ids, "tailoring").items()}
    rows = TailoringEpisode.objects.filter(patient_id__in=ids).order_by(
        "patient__code", "started_on", "id").values_list(
        "id", "patient_id", "patient__code", "kind", "started_on", "ended_on", "notes")
    for pk, patient_id, code, kind, started_on, ended_on, notes in rows:
        result = computed.get(patient_id, {}).get(pk, {})
        yield {"patient": code, "kind": kind, "started_on": started_on, "ended_on": ended_on,
               "notes": notes, "result": result.get("result"),
               "relapse_on": result.get("relapse_on")}


def series_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    outcomes = {patient_id: (outcome_series_results({"series": computed}), computed, wear_off)
                for patient_id, (computed, wear_off)
                in _outcome_parts(ids, "series", "wear_off_intervals").items()}
    names = ("patient", "series", "started_on", "days", "dose_g_per_kg", "weight_kg",
             "product", "status", "stop_reason", "route", "regimen", "expected_interval_days",
             "height_cm", "dose_basis", "grams_given", "dosing_weight_kg", "total_grams",
             "prescribed_grams")
    paths = ("patient__code", "number", *names[2:])
    rows = Series.objects.filter(patient_id__in=ids).order_by("patient__code", "number")
    for patient_id, *values in rows.values_list("patient_id", *paths):
        row = dict(zip(names, values, strict=True))
        by_number, computed, wear_off = outcomes.get(patient_id, ({}, None, None))
        worn_off = {w.get("after_series") for w in wear_off or []}
        series = by_number.get(row["series"], {})
        row.update(
            dose_intensity=series.get("dose_intensity"),
            interval_days=series.get("interval_days"), pre_score=series.get("pre_score"),
            post_score=series.get("post_score"), grade=series.get("grade"),
            beneficial=series.get("beneficial"),
            wear_off_after=(row["series"] in worn_off) if computed is not None else None,
        )
        yield row


def lot_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    yield from _values(
        LotNumber.objects.filter(series__patient_id__in=ids).order_by(
            "series__patient__code", "series__number", "id"),
        ("patient", "series", "lot"), ("series__patient__code", "series__number", "lot"),
    )


def adverse_event_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    yield from _values(
        AdverseEvent.objects.filter(series__patient_id__in=ids).order_by(
            "series__patient__code", "series__number", "id"),
        ("patient", "series", "kind", "severity", "led_to_stop", "notes"),
        ("series__patient__code", "series__number", "kind", "severity", "led_to_stop", "notes"),
    )


def visit_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    computed_rows = {patient_id: outcome_visit_rows({"visits": computed})
                     for patient_id, (computed,) in _outcome_parts(ids, "visits").items()}
    names = ("patient", "visited_on", "kind", "series", "examiner", "functional_score",
             "prineas_score", *VISIT_MEASURE_FIELDS, "notes")
    paths = ("patient__code", "visited_on", "kind", "series__number", *names[4:])
    rows = Visit.objects.filter(patient_id__in=ids).order_by("patient__code", "visited_on", "id")
    for pk, patient_id, *values in rows.values_list("pk", "patient_id", *paths):
        row = dict(zip(names, values, strict=True))
        computed = computed_rows.get(patient_id, {}).get(pk, {})
        row["score"] = computed.get("score")
        row["primary_score"] = computed.get("primary_score")
        yield row


def measure_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    """The stored outcome's ``measures`` (clinical-rules.md §9), one row per measure."""
    rows = Outcome.objects.filter(patient_id__in=ids).order_by("patient__code").values_list(
        "patient__code", "result__primary_measure", "result__measures")
    for code, primary, measures in rows:
        for item in measures or []:
            yield {"patient": code, "measure": item.get("measure"),
                   "primary": item.get("measure") == primary,
                   **{key: item.get(key) for key in
                      ("baseline", "latest", "change", "result", "mcid", "responder")}}


def mrc_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    targets = {
        patient_id: {(t.get("muscle"), t.get("side")) for t in muscles or []}
        for patient_id, (muscles,) in _outcome_parts(ids, "target_muscles").items()
    }
    rows = MrcGrade.objects.filter(visit__patient_id__in=ids).order_by(
        "visit__patient__code", "visit__visited_on", "visit_id", "id")
    for patient_id, code, visited_on, kind, muscle, side, grade in rows.values_list(
        "visit__patient_id", "visit__patient__code", "visit__visited_on", "visit__kind",
        "muscle", "side", "grade",
    ):
        yield {"patient": code, "visited_on": visited_on, "kind": kind, "muscle": muscle,
               "side": side, "grade": grade,
               "target": (muscle, side) in targets.get(patient_id, set())}


def nerve_study_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    yield from _values(
        NerveStudy.objects.filter(patient_id__in=ids).order_by(
            "patient__code", "studied_on", "id"),
        ("patient", "studied_on", "notes"), ("patient__code", "studied_on", "notes"),
    )


def nerve_segment_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    rows = NerveSegment.objects.filter(study__patient_id__in=ids).select_related(
        "study__patient").order_by("study__patient__code", "study__studied_on", "study_id", "id")
    for g in rows:
        yield {
            "patient": g.study.patient.code, "studied_on": g.study.studied_on,
            "nerve": g.nerve, "side": g.side, "distal_site": g.distal_site,
            "proximal_site": g.proximal_site,
            "distal_amplitude_mv": g.distal_amplitude_mv,
            "proximal_amplitude_mv": g.proximal_amplitude_mv,
            "distal_area_mvms": g.distal_area_mvms, "proximal_area_mvms": g.proximal_area_mvms,
            "distal_duration_ms": g.distal_duration_ms,
            "proximal_duration_ms": g.proximal_duration_ms, "velocity_m_s": g.velocity_m_s,
            "block": str(context.segment_block(g, g.study.patient.diagnosis)),
        }


def outcome_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    rows = Patient.objects.filter(pk__in=ids).order_by("code").values_list(
        "code", "outcome__status", "outcome__data_version", "outcome__computed_data_version",
        "outcome__rules_version", "outcome__computed_at", "outcome__result",
    )
    for code, status, data_version, computed_version, rules, computed_at, result in rows:
        result = result or {}
        final = result.get("final") or {}
        disability = result.get("disability") or {}
        yield {
            "patient": code, "status": status or None,
            "stale": None if data_version is None else computed_version < data_version,
            "rules_version": rules or None, "computed_at": computed_at,
            "primary_measure": result.get("primary_measure"),
            "baseline_score": result.get("baseline_score"),
            "initial_response": result.get("initial_response"),
            "n_star": result.get("n_star"),
            "plateau_after_series": result.get("plateau_after_series"),
            "infusion_dependent": result.get("infusion_dependent"),
            "final_grade": final.get("grade"), "final_persistent": final.get("persistent"),
            "final_label": final.get("label"),
            "disability_measure": disability.get("measure"),
            "disability_before": disability.get("before"),
            "disability_after": disability.get("after"),
            "disability_change": disability.get("change"),
            "disability_result": disability.get("result"),
        }


def query_rows(ids: list[int], context: ExportContext) -> Iterator[Row]:
    """The batch's data-quality queries (clinical-rules.md §11), by patient code then id."""
    rows = (Query.objects.filter(patient_id__in=ids)
            .select_related("patient", "raised_by", "answered_by", "closed_by")
            .order_by("patient__code", "id"))
    for q in rows:
        yield {
            "patient": q.patient.code, "query": q.pk, "rule": q.rule,
            "record": q.record_name, "record_id": q.record_id, "message": q.message,
            "values": json.dumps(q.fingerprint, sort_keys=True) if q.fingerprint else None,
            "status": q.status, "answer": q.answer or None, "raised_at": q.raised_at,
            "raised_by": _username(q.raised_by), "answered_by": _username(q.answered_by),
            "answered_at": q.answered_at, "closed_by": _username(q.closed_by),
            "closed_at": q.closed_at, "close_reason": q.close_reason or None,
        }


def _username(user) -> str | None:
    return None if user is None else user.get_username()


READERS: dict[str, Callable[[list[int], ExportContext], Iterator[Row]]] = {
    "patients": patient_rows,
    "affected_nerves": affected_nerve_rows,
    "target_muscles": target_muscle_rows,
    "titres": titre_rows,
    "paraproteins": paraprotein_rows,
    "prior_treatments": prior_treatment_rows,
    "tailoring": tailoring_rows,
    "series": series_rows,
    "lots": lot_rows,
    "adverse_events": adverse_event_rows,
    "visits": visit_rows,
    "mrc": mrc_rows,
    "nerve_studies": nerve_study_rows,
    "nerve_segments": nerve_segment_rows,
    "measures": measure_rows,
    "outcomes": outcome_rows,
    "queries": query_rows,
}


def dataset_rows(
    name: str, cohort: QuerySet[Patient], context: ExportContext, *, batch_size: int | None = None
) -> Iterator[list[Row]]:
    """The dataset's rows, one list per batch of patients."""
    read = READERS[name]
    for ids in batches(cohort, batch_size):
        yield list(read(ids, context))



def subject_rows(
    names: tuple[str, ...], cohort: QuerySet[Patient], context: ExportContext, *,
    batch_size: int | None = None,
) -> Iterator[list[tuple[str, dict[str, list[Row]]]]]:
    """For a file by subject (CDISC ODM): per batch of patients, each patient's code with
    the rows of every dataset of ``names`` (code order; the datasets' own readers, so the
    values are the tidy export's)."""
    for ids in batches(cohort, batch_size):
        by_patient: dict[str, dict[str, list[Row]]] = {}
        for name in names:
            for row in READERS[name](ids, context):
                by_patient.setdefault(row["patient"], {}).setdefault(name, []).append(row)
        yield sorted(by_patient.items())


# FHIR (exchange.fhir) ---------------------------------------------------------------------

def fhir_patient(*, user, patient_id: int) -> tuple[Patient, bool] | None:
    """One patient's record for ``exchange.fhir.patient_bundle``, as the API shows it to
    ``user``: ``None`` when it is not in the user's centres (or, for a researcher, not
    consented); else the patient with every row the Bundle needs read in a fixed number of
    queries (the patient, visits, MRC grades, series, lots, adverse events, titres), and
    whether the user may see the direct identifiers."""
    patients = scope_research_consent(scope_patients(Patient.objects.all(), user), user)
    patient = (
        patients.filter(pk=patient_id)
        .select_related("identity")
        .prefetch_related(
            Prefetch("visits", Visit.objects.order_by("visited_on", "kind", "pk")
                     .prefetch_related(Prefetch("mrc", MrcGrade.objects.order_by("pk")))),
            Prefetch("series", Series.objects.order_by("number").prefetch_related(
                Prefetch("lots", LotNumber.objects.order_by("pk")),
                Prefetch("adverse_events", AdverseEvent.objects.order_by("pk")))),
            Prefetch("titres", Titre.objects.order_by(
                "sampled_on", "antigen", "isotype", "method", "pk")),
        )
        .first()
    )
    if patient is None:
        return None
    return patient, can_see_identifiers(user, patient.center_id)
