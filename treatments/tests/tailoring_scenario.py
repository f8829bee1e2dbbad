"""A patient with a withdrawal attempt, built through the services and recomputed by the
real ``outcome_recompute`` (the tests of the API, pages and worklist share it)."""

from __future__ import annotations

from datetime import date, timedelta

from patients.services import visit_record
from treatments.services import outcome_recompute, series_give, tailoring_record

TARGETS = (("deltoid", "R"), ("deltoid", "L"), ("biceps", "R"), ("biceps", "L"),
           ("triceps", "R"))


def grid(total: int) -> list[dict]:
    base, extra = divmod(total, len(TARGETS))
    return [{"muscle": m, "side": s, "grade": base + (1 if i < extra else 0)}
            for i, (m, s) in enumerate(TARGETS)]


def withdrawn(patient, *, start: date, relapse: bool, kind: str = "withdrawal"):
    """Baseline 10, one series 60 days before ``start`` (post score 15), a visit on
    ``start`` (15, the reference) and one 30 days after it: 14 (relapse) or 15."""
    first = start - timedelta(days=60)
    visit_record(patient=patient, data={"visited_on": first - timedelta(days=3),
                                        "kind": "baseline"}, mrc=grid(10))
    series = series_give(patient=patient, data={
        "started_on": first, "days": 5, "dose_g_per_kg": 2, "weight_kg": 70,
        "product": "IVIg"})
    visit_record(patient=patient, data={"visited_on": first + timedelta(days=14),
                                        "kind": "post_series", "series": series},
                 mrc=grid(15))
    visit_record(patient=patient, data={"visited_on": start, "kind": "follow_up"},
                 mrc=grid(15))
    visit_record(patient=patient, data={"visited_on": start + timedelta(days=30),
                                        "kind": "follow_up"}, mrc=grid(14 if relapse else 15))
    episode = tailoring_record(patient=patient, data={"kind": kind, "started_on": start})
    outcome_recompute(patient_id=patient.pk)
    return episode
