"""Outcome rows for the worklist tests.

``next_series_due`` and ``overdue`` are written by the schedule's recompute (§10
"Schedule", another branch at the time of writing): until it is merged these tests store
the outcome row whose summary holds them, as ``_outcome_store`` would (computed, fresh)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from registry.tests.factories import PatientFactory
from treatments.models import Outcome


def scheduled(center, code: str, *, due: date | None, overdue: bool = False,
              stale: bool = False):
    patient = PatientFactory(center=center, code=code)
    summary = {"next_series_due": due.isoformat() if due else None, "overdue": overdue}
    Outcome.objects.update_or_create(patient=patient, defaults={
        "data_version": 2 if stale else 1, "computed_data_version": 1,
        "computed_at": timezone.now(), "status": "on_treatment",
        "result": {"status": "on_treatment", **summary}, "summary": summary})
    return patient
