"""Production settings refuse to start half-configured and keep safe defaults; the
entry points (gunicorn's ``registry.wsgi``, the Celery app) default to them."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(django_settings.BASE_DIR)

# What a container gets: nothing of the test run's own configuration.
KEPT = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
FULL = {"SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "registry.example.org",
        "DATABASE_URL": "postgres://registry@db.invalid:5432/registry",
        "CELERY_BROKER_URL": "redis://redis.invalid:6379/0"}

SHOW = """
import json, django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"module": settings.SETTINGS_MODULE, "debug": settings.DEBUG,
                  "conn_max_age": db["CONN_MAX_AGE"], "health_checks": db["CONN_HEALTH_CHECKS"],
                  "engine": db["ENGINE"], "eager": settings.CELERY_TASK_ALWAYS_EAGER,
                  "broker": settings.CELERY_BROKER_URL,
                  "proxies": settings.TRUSTED_PROXY_COUNT}))
"""


def python(code: str, env: dict[str, str], *, settings_module: str | None = (
        "registry.settings.production")) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key in KEPT}
    if settings_module:
        environment["DJANGO_SETTINGS_MODULE"] = settings_module
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def shown(env: dict[str, str], **kwargs) -> dict:
    done = python(SHOW, env, **kwargs)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def refusal(env: dict[str, str]) -> str:
    done = python(SHOW, env)
    assert done.returncode != 0, done.stdout
    assert "ImproperlyConfigured" in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


# SECRET_KEY (issue 20 item 10) --------------------------------------------------------

def test_the_env_example_placeholder_key_is_refused():
    placeholder = env_example()["SECRET_KEY"]
    message = refusal({**FULL, "SECRET_KEY": placeholder})
    assert "SECRET_KEY is still the placeholder of .env.example" in message
    # Lengthened to pass the length rule, it is still the placeholder.
    message = refusal({**FULL, "SECRET_KEY": placeholder + "-" + "x1y2z3" * 10})
    assert "placeholder" in message


@pytest.mark.parametrize("key", ["a-short-but-random-looking-key-9f3Kq2", "x" * 49,
                                 "ab" * 40])
def test_a_weak_key_is_refused(key):
    message = refusal({**FULL, "SECRET_KEY": key})
    assert "SECRET_KEY is too weak: it needs at least 50 characters" in message


def test_a_django_development_key_is_refused():
    message = refusal({**FULL, "SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)})
    assert "SECRET_KEY is a development key" in message


def test_a_long_random_key_is_accepted():
    assert shown({**FULL, "SECRET_KEY": secrets.token_urlsafe(38)})["debug"] is False  # 51


# Broker (issue 13 item 6) -------------------------------------------------------------

def test_production_refuses_to_start_without_a_broker():
    env = {key: value for key, value in FULL.items() if key != "CELERY_BROKER_URL"}
    message = refusal(env)
    assert "Production settings need the environment variable CELERY_BROKER_URL" in message
    assert "CELERY_TASK_ALWAYS_EAGER=1" in message
    assert "CELERY_BROKER_URL" in refusal({**env, "CELERY_TASK_ALWAYS_EAGER": "0"})


def test_in_process_tasks_only_when_asked_for():
    env = {key: value for key, value in FULL.items() if key != "CELERY_BROKER_URL"}
    assert shown({**env, "CELERY_TASK_ALWAYS_EAGER": "1"})["eager"] is True
    with_broker = shown(FULL)
    assert with_broker["eager"] is False
    assert with_broker["broker"] == FULL["CELERY_BROKER_URL"]


# Database connections (issue 13 item 6, issue 19) -------------------------------------

def test_production_keeps_database_connections_by_default():
    answer = shown(FULL)
    assert (answer["conn_max_age"], answer["health_checks"]) == (60, True)
    # Checked by the registry's backend: no round trip while the server said nothing.
    assert answer["engine"] == "registry.db.postgresql"
    assert shown({**FULL, "CONN_MAX_AGE": "0"})["conn_max_age"] == 0
    assert env_example()["CONN_MAX_AGE"] == "60"
    # Development keeps one connection per request (SQLite, runserver).
    local = shown({}, settings_module="registry.settings.local")
    assert local["conn_max_age"] == 0
    assert local["engine"] == "django.db.backends.sqlite3"


def test_health_checks_can_be_turned_off_and_the_pool_chosen():
    assert shown({**FULL, "CONN_HEALTH_CHECKS": "0"})["health_checks"] is False
    pooled = python(POOL, {**FULL, "DATABASE_POOL": "1", "DATABASE_POOL_SIZE": "3"})
    assert pooled.returncode == 0, pooled.stderr
    # Django requires CONN_MAX_AGE 0 with a pool; the pool checks what it hands out.
    assert json.loads(pooled.stdout.strip().splitlines()[-1]) == {
        "conn_max_age": 0, "health_checks": False,
        "pool": {"min_size": 1, "max_size": 3, "timeout": 10}}


POOL = """
import json, django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"conn_max_age": db["CONN_MAX_AGE"], "health_checks": db["CONN_HEALTH_CHECKS"],
                  "pool": db["OPTIONS"]["pool"]}))
"""

POOLED_QUERIES = """
import json, django
django.setup()
from django.db import connection
answers = []
for _ in range(10):  # each "request" takes a connection from the pool and gives it back
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        answers.append(cursor.fetchone()[0])
    connection.close()
print(json.dumps({"pool": connection.pool is not None, "backends": len(set(answers))}))
"""


@pytest.mark.django_db
def test_the_psycopg_pool_serves_queries_on_the_real_database():
    db = django_settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    done = python(POOLED_QUERIES, {**FULL, "DATABASE_URL": url, "DATABASE_POOL": "1",
                                   "DATABASE_POOL_SIZE": "2"})
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    # Ten requests served by the pool's connections, kept across their closes: never more
    # than its size (the pool may open its second while the first is being given back).
    assert answer["pool"] is True and 1 <= answer["backends"] <= 2


def test_production_trusts_one_proxy_by_default():
    assert shown(FULL)["proxies"] == 1
    assert shown({**FULL, "TRUSTED_PROXY_COUNT": "2"})["proxies"] == 2
    assert env_example()["TRUSTED_PROXY_COUNT"] == "1"
    assert shown({}, settings_module="registry.settings.local")["proxies"] == 0


# Entry points -------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["registry.wsgi", "registry.celery"])
def test_the_entry_points_default_to_production_settings(module):
    load = f"import {module}\n" + SHOW.replace("django.setup()", "")
    done = python(load, FULL, settings_module=None)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert (answer["module"], answer["debug"]) == ("registry.settings.production", False)
    # Started without configuration, they refuse instead of serving with DEBUG on.
    done = python(f"import {module}\nimport django; django.setup()", {}, settings_module=None)
    assert done.returncode != 0
    assert "Production settings need the environment variable SECRET_KEY" in done.stderr


@pytest.mark.parametrize("module", ["registry.wsgi", "registry.celery"])
def test_the_entry_points_follow_an_explicit_settings_module(module):
    load = f"import {module}\n" + SHOW.replace("django.setup()", "")
    done = python(load, {}, settings_module="registry.settings.test")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["module"] == "registry.settings.test"


def test_manage_py_keeps_the_development_default():
    done = python("import sys; sys.argv = ['manage.py', 'diffsettings']\n"
                  "import runpy; runpy.run_path('manage.py', run_name='__main__')",
                  {}, settings_module=None)
    assert done.returncode == 0, done.stderr
    assert "DEBUG = True" in done.stdout


def test_the_image_build_step_passes_the_production_refusals():
    """The Dockerfile's collectstatic runs production settings with throw-away values: they
    must pass the refusals above (a short key or no broker would break the image build)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    step = next(line for line in text.splitlines() if "collectstatic" in line)
    command = step.removeprefix("RUN ").replace("python ", f"{sys.executable} ")
    command = command.replace("collectstatic --noinput", "check")
    environment = {key: value for key, value in os.environ.items() if key in KEPT}
    environment["DJANGO_SETTINGS_MODULE"] = "registry.settings.production"  # ENV of the image
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# Two-factor sign-in (issue 16) --------------------------------------------------------

def test_production_keeps_two_factor_for_data_managers_and_superusers():
    message = refusal({**FULL, "TWO_FACTOR_REQUIRED_ROLES": "superuser"})
    assert "TWO_FACTOR_REQUIRED_ROLES must keep data_manager and superuser" in message
    assert "missing: data_manager" in message
    assert "missing: data_manager, superuser" in refusal({**FULL, "TWO_FACTOR_REQUIRED_ROLES": ""})
    done = python("import django; django.setup(); from django.conf import settings; "
                  "print(sorted(settings.TWO_FACTOR_REQUIRED_ROLES))",
                  {**FULL, "TWO_FACTOR_REQUIRED_ROLES": "data_manager,superuser,clinician"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['clinician', 'data_manager', 'superuser']"
