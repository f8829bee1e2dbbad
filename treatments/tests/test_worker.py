"""A real Celery worker on the Redis broker recomputes outcomes; a broker outage loses nothing.

The worker is a separate process (``celery -A registry worker``) reading the test database;
the tests commit their data (``transaction=True``) so that it can see it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings

import catalogues as cat
from patients import services
from patients.models import MrcGrade, Visit
from registry.celery import app as celery_app
from registry.tests.api.helpers import api
from registry.tests.sessions import other_session
from treatments.models import Outcome, Series
from treatments.rules import compute_outcome
from treatments.selectors import outcome_inputs

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
    """Point this (web) process's producer at ``url``, as a restarted web process would.

    The producer publishes through ``broker_write_url``: Celery reads ``broker_url`` from
    the ``CELERY_BROKER_URL`` environment variable first, so setting it alone would leave
    the producer on the real broker.
    """
    reset_producer_pool()
    celery_app.conf.broker_url = url
    celery_app.conf.broker_write_url = url
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    assert celery_app.connection_for_write().as_uri(include_password=True) == url


def queued_messages(queue: str) -> int:
    """Messages waiting in ``queue`` on the real broker (kombu's Redis list of that name)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        return client.llen(queue)
    finally:
        client.close()


@pytest.fixture
def start_worker(tmp_path):
    processes = []
    queue = f"test-{uuid.uuid4().hex[:8]}"
    import_queue = f"{queue}-imports"  # the imports' own queue, consumed by the same worker
    imports_routed = override_settings(CELERY_IMPORT_QUEUE=import_queue)
    db = connection.settings_dict
    database_url = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                    f"/{db['NAME']}")
    broker = settings.CELERY_BROKER_URL
    saved = (celery_app.conf.broker_url, celery_app.conf.broker_write_url,
             celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)

    def start(*, beat: bool = False) -> subprocess.Popen:
        log = tmp_path / f"worker-{len(processes)}.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test",
               "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
               "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_QUEUE": queue,
               "CELERY_IMPORT_QUEUE": import_queue,
               "STALE_SWEEP_SECONDS": "1"}
        command = [sys.executable, "-m", "celery", "-A", "registry", "worker",
                   "-Q", f"{queue},{import_queue}",
                   "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"]
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                                   stderr=subprocess.STDOUT)
        processes.append(process)
        assert wait_for(lambda: "ready." in log.read_text(), timeout=60), log.read_text()
        process.log = log
        return process

    start.queue = queue
    start.import_queue = import_queue
    start.broker = broker
    use_broker(broker, queue)
    imports_routed.enable()
    yield start
    imports_routed.disable()
    for process in processes:
        process.terminate()
        process.wait(timeout=20)
    reset_producer_pool()
    (celery_app.conf.broker_url, celery_app.conf.broker_write_url,
     celery_app.conf.task_default_queue, celery_app.conf.task_always_eager) = saved


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
    assert queued_messages(start_worker.queue) == 0, "the recompute was queued after all"

    use_broker(start_worker.broker, start_worker.queue)  # the broker is back
    start_worker(beat=True)  # worker with the beat schedule: the sweep runs every second
    assert wait_for(lambda: fresh(patient)), "the sweep never recovered the stale outcome"


def test_an_api_write_during_a_broker_outage_succeeds_and_the_sweep_recovers(
    start_worker, clinician, patient
):
    use_broker(UNREACHABLE_BROKER, start_worker.queue)
    client = api(clinician)
    started = time.monotonic()
    response = client.post("/api/v1/titres/", {
        "patient": patient.pk, "sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM",
        "method": "elisa", "value": 6400, "unit": "dilution"}, format="json")
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < 15
    assert client.get(f"/api/v1/patients/{patient.pk}/outcome/").json()["stale"] is True
    assert queued_messages(start_worker.queue) == 0, "the recompute was queued after all"

    use_broker(start_worker.broker, start_worker.queue)
    start_worker(beat=True)
    assert wait_for(lambda: fresh(patient)), "the sweep never recovered the stale outcome"
    outcome = client.get(f"/api/v1/patients/{patient.pk}/outcome/").json()
    assert outcome["stale"] is False and outcome["computed_at"] is not None


def test_a_write_during_a_broker_outage_does_not_wait_for_the_broker(
    start_worker, clinician, patient
):
    """The after-commit enqueue makes one short attempt: an API write answers in well under
    a second (it waited over 2 s on the connect timeout and its retry) and the outcome is
    left stale for the sweep."""
    use_broker(UNREACHABLE_BROKER, start_worker.queue)
    client = api(clinician)
    durations = []
    for day in ("1994-01-01", "1994-02-01"):
        started = time.monotonic()
        response = client.post("/api/v1/titres/", {
            "patient": patient.pk, "sampled_on": day, "antigen": "gm1", "isotype": "IgM",
            "method": "elisa", "value": 6400, "unit": "dilution"}, format="json")
        durations.append(time.monotonic() - started)
        assert response.status_code == 201, response.content
    assert max(durations) < 0.8, durations
    assert Outcome.objects.get(patient=patient).stale
    assert queued_messages(start_worker.queue) == 0


def store_waits_for(pid: int) -> bool:
    """Whether an outcome store (the recompute's conditional UPDATE) waits for a lock that
    the session ``pid`` holds (read by another session: ``pg_stat_activity`` is fresh in
    each autocommit query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))"
            " AND query LIKE 'UPDATE \"treatments_outcome\"%%'", [pid])
        return cursor.fetchone()[0] > 0


def long_history(patient, series_count: int) -> None:
    """A long history, written in bulk (no services): a recompute with real work to do
    (reads of thousands of rows, the rules over 1,500 series) before its store."""
    start = date(1990, 1, 1)
    series = Series.objects.bulk_create([
        Series(patient=patient, number=n + 1, started_on=start + timedelta(days=28 * n),
               days=5, dose_g_per_kg=Decimal("2.0"), weight_kg=Decimal("70"), product="IVIg")
        for n in range(series_count)
    ])
    visits = Visit.objects.bulk_create(
        [Visit(patient=patient, visited_on=start - timedelta(days=3), kind="baseline")]
        + [Visit(patient=patient, visited_on=s.started_on + timedelta(days=14),
                 kind="post_series", series=s) for s in series]
    )
    MrcGrade.objects.bulk_create([
        MrcGrade(visit=visit, muscle=muscle, side=side, grade=1 + (n * 7 // 10) % 5)
        for n, visit in enumerate(visits) for muscle, _ in cat.MUSCLES for side in "RL"
    ])


def test_a_worker_killed_mid_recompute_leaves_no_partial_outcome(start_worker, patient):
    long_history(patient, series_count=1500)
    services.titre_record(patient=patient, data={  # commits, marks stale, enqueues
        "sampled_on": date(1990, 1, 1), "antigen": "gm1", "isotype": "IgM",
        "method": "elisa", "value": Decimal("6400"), "unit": "dilution"})
    before = Outcome.objects.get(patient=patient)
    assert before.stale and before.computed_data_version == 0

    # Killed in the middle of its recompute whatever the machine's speed (a kill timed
    # after receipt came too late on a fast machine): another session holds the outcome
    # row, so the worker reads, computes and then waits in its store's UPDATE, inside its
    # own transaction, until it is killed there.
    with other_session(autocommit=False) as holder:
        holder.execute("SELECT 1 FROM treatments_outcome WHERE patient_id = %s FOR UPDATE",
                       [patient.pk])
        worker = start_worker()
        assert wait_for(lambda: store_waits_for(holder.info.backend_pid), timeout=60,
                        interval=0.05), worker.log.read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
        holder.rollback()  # the killed worker's UPDATE goes on, and its COMMIT never comes
    assert "received" in worker.log.read_text()
    assert "succeeded" not in worker.log.read_text()

    after = Outcome.objects.get(patient=patient)
    assert (after.computed_data_version, after.result, after.status, after.computed_at) == (
        before.computed_data_version, before.result, before.status, before.computed_at)
    assert after.stale  # nothing half-written: still stale, so the sweep will redo it

    start_worker(beat=True)  # a new worker: the periodic sweep recomputes what is stale
    assert wait_for(lambda: fresh(patient), timeout=120), "the sweep never redid the outcome"
    inputs = outcome_inputs(patient_id=patient.pk)
    expected = {**compute_outcome(inputs.patient, rules=inputs.rules,
                                  thresholds=inputs.thresholds,
                                  block_criteria=inputs.block_criteria).as_dict(),
                "thresholds_revision": inputs.thresholds_revision,  # what it was computed with
                "criteria": inputs.block_criteria.code}
    recovered = Outcome.objects.get(patient=patient)
    assert recovered.result == expected
    assert recovered.computed_data_version == recovered.data_version
