"""A real Celery worker on the Redis broker recomputes outcomes; a broker outage loses nothing.

The worker is a separate process (``celery -A registry worker``) reading the test database;
the tests commit their data (``transaction=True``) so that it can see it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from patients import services
from registry.celery import app as celery_app
from treatments.models import Outcome

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
UNREACHABLE_BROKER = "redis://127.0.0.1:1/15"


def wait_for(predicate, timeout=60.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def reset_producer_pool() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def use_broker(url: str, queue: str) -> None:
    """Point this (web) process's producer at ``url``, as a restarted web process would."""
    reset_producer_pool()
    celery_app.conf.broker_url = url
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False


@pytest.fixture
def start_worker(tmp_path):
    processes = []
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                    f"/{db['NAME']}")
    broker = settings.CELERY_BROKER_URL
    saved = (celery_app.conf.broker_url, celery_app.conf.task_default_queue,
             celery_app.conf.task_always_eager)

    def start(*, beat: bool = False) -> subprocess.Popen:
        log = tmp_path / f"worker-{len(processes)}.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test",
               "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
               "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_QUEUE": queue,
               "STALE_SWEEP_SECONDS": "1"}
        command = [sys.executable, "-m", "celery", "-A", "registry", "worker", "-Q", queue,
                   "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"]
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                                   stderr=subprocess.STDOUT)
        processes.append(process)
        assert wait_for(lambda: "ready." in log.read_text(), timeout=60), log.read_text()
        return process

    start.queue = queue
    start.broker = broker
    use_broker(broker, queue)
    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)
    reset_producer_pool()
    (celery_app.conf.broker_url, celery_app.conf.task_default_queue,
     celery_app.conf.task_always_eager) = saved


def record_visit(patient):
    return services.visit_record(
        patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"},
        mrc=[{"muscle": "deltoid", "side": "R", "grade": 3}],
    )


def fresh(patient) -> bool:
    return not Outcome.objects.get(patient=patient).stale


def test_a_real_worker_recomputes_after_a_visit(start_worker, patient):
    start_worker()
    record_visit(patient)
    assert wait_for(lambda: fresh(patient)), "the worker never recomputed the outcome"
    outcome = Outcome.objects.get(patient=patient)
    assert outcome.computed_at is not None
    assert outcome.result["visits"][0]["kind"] == "baseline"


def test_a_broker_outage_loses_no_recompute(start_worker, patient):
    use_broker(UNREACHABLE_BROKER, start_worker.queue)
    started = time.monotonic()
    visit = record_visit(patient)  # the enqueue fails after commit; the write stands
    assert time.monotonic() - started < 15, "a broker outage must not hang the write"
    assert type(visit).objects.filter(pk=visit.pk).exists()
    assert Outcome.objects.get(patient=patient).stale

    use_broker(start_worker.broker, start_worker.queue)  # the broker is back
    start_worker(beat=True)  # worker with the beat schedule: the sweep runs every second
    assert wait_for(lambda: fresh(patient)), "the sweep never recovered the stale outcome"
