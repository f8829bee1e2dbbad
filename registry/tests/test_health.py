"""``/health/``: public, JSON; 503 only when the database is down, 200 "degraded" when only
the broker is."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.django_db


def test_healthy_without_login(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"]
    assert client.get("/api/v1/health/").json()["status"] == "ok"


def test_the_broker_down_is_degraded_but_serving(client, settings):
    """Writes still work without the broker (the sweep recovers the recomputes), so a load
    balancer must keep this instance: 200, the broker reported."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # a closed port
    started = time.monotonic()
    response = client.get("/health/")
    assert time.monotonic() - started < 2
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {
        "database": "ok", "broker": "The task broker does not answer."}}
    assert client.get("/api/v1/health/").status_code == 200


def test_without_a_broker_tasks_run_in_process_and_nothing_is_down(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/health/").status_code == 200


def health_of_a_server(**environment: str) -> tuple[str, dict, str]:
    """``/health/`` as answered by a fresh server process with this environment."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test", **environment}
    script = ("from django.test import Client; r = Client(HTTP_HOST='localhost')"
              ".get('/health/'); print(r.status_code, r.content.decode())")
    done = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    status, body = done.stdout.strip().splitlines()[-1].split(" ", 1)
    return status, json.loads(body), body


def test_the_database_down_is_a_503():
    """A server process whose database does not answer (a closed port) reports it."""
    status, answer, body = health_of_a_server(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    assert status == "503" and answer["status"] == "unavailable"
    assert answer["checks"]["broker"] == "ok"
    assert answer["checks"]["database"] not in ("ok", "")
    assert "127.0.0.1" not in body and "nowhere" not in body  # nothing about the setup


def test_the_database_and_the_broker_down_is_a_503():
    status, answer, _ = health_of_a_server(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert status == "503" and answer["status"] == "unavailable"
    assert answer["checks"]["broker"] == "The task broker does not answer."
    assert answer["checks"]["database"] not in ("ok", "")


@pytest.mark.django_db(transaction=True)
def test_the_container_check_asks_a_running_server(live_server):
    env = {**os.environ, "HEALTHCHECK_URL": f"{live_server.url}/health/",
           "ALLOWED_HOSTS": "localhost,registry.example.org"}
    done = subprocess.run([sys.executable, "scripts/healthcheck.py", "web"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"status": "ok"' in done.stdout
    env["HEALTHCHECK_URL"] = "http://127.0.0.1:1/health/"
    done = subprocess.run([sys.executable, "scripts/healthcheck.py", "web"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "not reachable" in done.stdout


def test_the_beat_check_wants_a_fresh_schedule_file(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    env = {**os.environ, "BEAT_SCHEDULE": str(schedule)}

    def check() -> int:
        return subprocess.run([sys.executable, "scripts/healthcheck.py", "beat"], cwd=ROOT,
                              env=env, capture_output=True, timeout=30).returncode

    assert check() == 1  # beat has not written it yet
    (tmp_path / "celerybeat-schedule.db").write_bytes(b"")
    assert check() == 0
    os.utime(tmp_path / "celerybeat-schedule.db", (0, 0))
    assert check() == 1
