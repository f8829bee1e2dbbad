"""Reads of the treatments domain: the rules' inputs, stale outcomes, lots, reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from patients.models import MrcGrade, NerveSegment, NerveStudy, Patient, Visit
from treatments.models import (
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
    PatientIn,
    SegmentIn,
    SeriesIn,
    StudyIn,
    ThresholdIn,
    TitreIn,
    VisitIn,
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


def patient_rules_input(patient: Patient, lower_limits: dict[str, float]) -> PatientIn:
    """Turn a patient with ``outcome_prefetches()`` applied into the rules' plain data."""
    return PatientIn(
        diagnosis=patient.diagnosis,
        pinned_targets=tuple((t.muscle, t.side) for t in patient.target_muscles.all()),
        series=tuple(
            SeriesIn(
                number=s.number, started_on=s.started_on, days=s.days, status=s.status,
                stopped_for_adverse_event=any(e.led_to_stop for e in s.adverse_events.all()),
            )
            for s in patient.series.all()
        ),
        visits=tuple(
            VisitIn(
                id=v.pk, visited_on=v.visited_on, kind=v.kind,
                series_number=v.series.number if v.series_id else None,
                mrc={(g.muscle, g.side): g.grade for g in v.mrc.all()},
                functional_score=v.functional_score, prineas_score=v.prineas_score,
            )
            for v in patient.visits.all()
        ),
        titres=tuple(
            TitreIn(sampled_on=t.sampled_on, antigen=t.antigen, isotype=t.isotype,
                    method=t.method, value=t.value, unit=t.unit)
            for t in patient.titres.all()
        ),
        studies=tuple(
            StudyIn(
                studied_on=study.studied_on,
                segments=tuple(segment_input(g, lower_limits) for g in study.segments.all()),
            )
            for study in patient.nerve_studies.all()
        ),
    )


def outcome_prefetches() -> list:
    return [
        "target_muscles",
        Prefetch("series", queryset=Series.objects.prefetch_related("adverse_events")),
        Prefetch(
            "visits",
            queryset=Visit.objects.select_related("series").prefetch_related(
                Prefetch("mrc", queryset=MrcGrade.objects.order_by("id"))
            ),
        ),
        "titres",
        Prefetch(
            "nerve_studies",
            queryset=NerveStudy.objects.prefetch_related(
                Prefetch("segments", queryset=NerveSegment.objects.order_by("id"))
            ),
        ),
    ]


def lower_limits() -> dict[str, float]:
    return {r.nerve: float(r.lower_limit_amplitude_mv) for r in NerveReference.objects.all()}


def outcome_inputs(*, patient_id: int) -> OutcomeInputs | None:
    """Everything one recompute reads, in a fixed number of queries whatever the history."""
    patient = (
        Patient.objects.filter(pk=patient_id).prefetch_related(*outcome_prefetches()).first()
    )
    if patient is None:
        return None
    return OutcomeInputs(
        patient=patient_rules_input(patient, lower_limits()),
        rules=default_rules(),
        thresholds=thresholds(),
        block_criteria=block_criteria(),
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


def age_on(birth_year: int | None, day: date | None) -> int | None:
    if birth_year is None or day is None:
        return None
    return day.year - birth_year
