"""Imports run in a worker: thin and idempotent, like every task here."""

from __future__ import annotations

from billiard.exceptions import WorkerLostError
from celery import shared_task, signals
from celery.exceptions import TimeLimitExceeded

from exchange import services


# An import of a whole registry takes minutes, not the default five. It has a queue of its
# own (CELERY_IMPORT_QUEUE, routed by CELERY_TASK_ROUTES), so that a long import never
# holds up the outcome recomputes.
# A worker lost while it runs (killed for memory, say) acknowledges the message rather
# than giving it back to the queue (reject_on_worker_lost=False): run again, it would be
# killed again, and again. The import is then marked failed (below); if the message is
# delivered again all the same (the whole worker died), ``import_execute`` does not run
# an import that already started.
@shared_task(acks_late=True, reject_on_worker_lost=False, ignore_result=True,
             time_limit=3600, soft_time_limit=3500)
def import_run_task(import_id: int) -> None:
    services.import_execute(import_id=import_id)


@signals.task_failure.connect
def import_failed(sender=None, args=None, exception=None, **kwargs) -> None:
    """The worker's main process reports a lost or timed-out child here: the import's own
    code never got to say that it stopped."""
    if getattr(sender, "name", None) != import_run_task.name or not args:
        return
    if isinstance(exception, WorkerLostError | TimeLimitExceeded):
        services.import_interrupted(import_id=args[0], started=True,
                                    timed_out=isinstance(exception, TimeLimitExceeded))
