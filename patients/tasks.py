"""Thin, idempotent Celery tasks of the patients domain."""

from __future__ import annotations

from celery import shared_task

from patients import services


@shared_task(acks_late=True, ignore_result=True)
def patient_counts_compact_task() -> int:
    """Hourly: each centre's patient-count rows folded into one (the list sums them)."""
    return services.patient_counts_compact()
