"""Imports run in a worker: thin and idempotent, like every task here."""

from __future__ import annotations

from celery import shared_task

from exchange import services


# An import of a whole registry takes minutes, not the default five.
@shared_task(acks_late=True, ignore_result=True, time_limit=3600, soft_time_limit=3500)
def import_run_task(import_id: int) -> None:
    services.import_execute(import_id=import_id)
