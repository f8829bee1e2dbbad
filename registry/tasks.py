"""Thin Celery tasks of the registry core."""

from __future__ import annotations

from celery import shared_task

from registry.idempotency import idempotency_keys_purge


@shared_task(acks_late=True, ignore_result=True)
def idempotency_keys_purge_task() -> int:
    """Forget ``Idempotency-Key`` records older than 24 hours."""
    return idempotency_keys_purge()
