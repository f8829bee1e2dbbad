"""Imports run on their own queue, and an import is run at most once whatever the broker does.

With ``acks_late`` a message comes back when its worker dies mid-task; an import that
killed its worker (for memory, say) would then kill the next one, and the next.
"""

from __future__ import annotations

import pytest
from billiard.exceptions import WorkerLostError
from celery import signals
from celery.exceptions import TimeLimitExceeded
from django.conf import settings
from django.db import transaction

from exchange import services
from exchange.imports import ALL_OR_NOTHING
from exchange.models import ImportRecord
from exchange.tasks import import_run_task
from exchange.tests.test_imports import FILES
from patients.models import Patient
from registry.celery import app as celery_app
from registry.tests.sessions import other_session
from treatments.tasks import outcome_recompute_task
from treatments.tests.test_worker import queued_messages, start_worker, wait_for  # noqa: F401


def test_the_import_task_is_routed_to_the_imports_queue():
    route = celery_app.amqp.router.route({}, import_run_task.name)
    assert route["queue"].name == settings.CELERY_IMPORT_QUEUE == "imports"
    other = celery_app.amqp.router.route({}, outcome_recompute_task.name)
    assert other["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE != "imports"
    # A lost worker acknowledges the message: it is not given back to run (and die) again.
    assert import_run_task.acks_late and import_run_task.reject_on_worker_lost is False


@pytest.fixture
def queued(data_manager) -> ImportRecord:
    return services.import_start(user=data_manager, source="page", mode=ALL_OR_NOTHING,
                                 files=FILES)


@pytest.mark.django_db
def test_a_redelivered_import_that_had_started_is_not_run_again(queued):
    # Its first delivery claimed it, then the worker died with the transaction open.
    ImportRecord.objects.filter(pk=queued.pk).update(status="running")
    record = services.import_execute(import_id=queued.pk)
    assert record.status == "failed" and record.upload is None
    assert record.failure == (
        "The import was interrupted: the worker running it stopped (out of memory, perhaps, "
        "or restarted) before it finished, so nothing was written. Import the files again; "
        "if they are large, in smaller parts.")
    assert not Patient.objects.exists()
    assert services.import_execute(import_id=queued.pk).failure == record.failure


@pytest.mark.django_db
def test_a_delivery_while_the_import_runs_elsewhere_is_dropped(queued):
    other = other_session()
    try:  # another worker runs the import: it holds the import's lock
        other.execute("SELECT pg_advisory_lock(%s, %s)", [services.IMPORT_LOCK, queued.pk])
        record = services.import_execute(import_id=queued.pk)
        assert record.status == "queued" and record.upload is not None
        assert not Patient.objects.exists()
    finally:
        other.close()
    assert services.import_execute(import_id=queued.pk).status == "done"
    assert Patient.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("exception", "why"), [
    (WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL)."),
     "the worker running it stopped (out of memory, perhaps, or restarted)"),
    (TimeLimitExceeded(3600), "it ran out of time"),
])
def test_a_lost_worker_marks_its_import_failed(queued, exception, why):
    """What the worker's main process reports when the child running the import is gone."""
    ImportRecord.objects.filter(pk=queued.pk).update(status="running")
    signals.task_failure.send(sender=import_run_task, task_id="lost", exception=exception,
                              args=[queued.pk], kwargs={}, traceback=None, einfo=None)
    queued.refresh_from_db()
    assert queued.status == "failed" and why in queued.failure and queued.upload is None
    assert queued.finished_at is not None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_import_waits_on_its_queue_for_the_worker_that_takes_it(start_worker,  # noqa: F811
                                                                   data_manager):
    with transaction.atomic():
        record = services.import_start(user=data_manager, source="page", mode=ALL_OR_NOTHING,
                                       files=FILES)
        services.import_enqueue(record)
    assert queued_messages(start_worker.import_queue) == 1
    assert queued_messages(start_worker.queue) == 0  # not among the recomputes
    start_worker()  # consumes both queues, as the test worker does

    def finished() -> bool:
        record.refresh_from_db()
        return record.finished

    assert wait_for(finished, timeout=120), record.status
    assert record.status == "done" and record.committed, record.failure
    assert Patient.objects.count() == 2
