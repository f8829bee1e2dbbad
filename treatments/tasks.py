"""Thin, idempotent Celery tasks: take primary keys, call one service."""

from __future__ import annotations

import logging

from celery import shared_task

from treatments import selectors, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, max_retries=3, default_retry_delay=10)
def outcome_recompute_task(patient_id: int) -> None:
    try:
        services.outcome_recompute(patient_id=patient_id)
    except Exception:
        logger.exception("Recompute of patient %s failed", patient_id,
                         extra={"patient_id": patient_id})
        raise


@shared_task(acks_late=True, ignore_result=True)
def outcome_sweep_stale() -> int:
    """Recompute every stale outcome: recovers whatever a lost message or outage dropped."""
    patient_ids = selectors.stale_patient_ids()
    services.outcome_recompute_many(patient_ids=patient_ids)
    return len(patient_ids)


@shared_task(acks_late=True, ignore_result=True)
def outcome_recompute_batch_task(patient_ids: list[int]) -> int:
    """Recompute a batch of outcomes a reference-data change made stale (one threshold
    can concern thousands of patients: batches, not one message each)."""
    return services.outcome_recompute_many(patient_ids=patient_ids)


@shared_task(acks_late=True, ignore_result=True)
def outcome_sweep_overdue() -> int:
    """Daily: the outcomes whose due date has passed its grace since they were computed
    become stale and are recomputed, so ``overdue`` follows the calendar (§10)."""
    from django.utils import timezone

    return len(services.outcomes_mark_overdue_stale(today=timezone.localdate()))
def outcome_mark_stale_dated_task() -> int:
    """Once a day: the outcomes a date moves (a tailoring window closing, §10) go stale;
    the recompute follows after commit."""
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic():
        return len(services.outcomes_mark_stale_dated(today=timezone.localdate()))
