"""A registry with every kind of record — the paper's demo data and a patient with a record
of each kind, identifiers included — exported, imported into an empty database, gives the
same registry.

The second registry is a brand-new PostgreSQL database built by ``manage.py migrate`` in
a separate process; the operator's commands of the README are run there as they would be:
``grant`` (first user and centre), ``import`` (twice: the second changes nothing) and
``export``. Outcomes are recomputed by the tasks the import's writes enqueue.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from exchange.datasets import BY_NAME
from exchange.tests.helpers import every_kind_of_record
from patients.demo.load import load_demo
from patients.models import Patient
from treatments.reports import table1_report, table2_report
from treatments.services import outcome_recompute

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
TABLES = """
import json
from django.contrib.auth.models import User
from treatments.reports import table1_report, table2_report
reader = User(is_superuser=True)
print(json.dumps({"table1": table1_report(user=reader), "table2": table2_report(user=reader)},
                 default=str))
"""


@pytest.fixture
def empty_database():
    db = connection.settings_dict
    name = f"{db['NAME']}_roundtrip"
    server = (f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
              "/postgres")

    def run(sql: str) -> None:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')
    yield f"{server.rsplit('/', 1)[0]}/{name}"
    run(f'DROP DATABASE IF EXISTS "{name}"')


def manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test",
           "DATABASE_URL": database_url, "CELERY_TASK_ALWAYS_EAGER": "1",
           "REGISTRY_PASSWORD": "a-long-enough-password", "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def jsonable(report: dict) -> dict:
    return json.loads(json.dumps(report, default=str))


def without_ids(value):
    """A report without its rows' ``patient`` ids: database ids differ between databases,
    the registry codes (``case``) are what round-trips."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "patient"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def test_every_kind_of_record_round_trips_through_an_empty_database(tmp_path, empty_database):
    center, _ = load_demo()
    every_kind_of_record(center)
    for patient_id in Patient.objects.values_list("pk", flat=True):
        outcome_recompute(patient_id=patient_id)
    reader = User(is_superuser=True)
    tables = {"table1": jsonable(table1_report(user=reader)),
              "table2": jsonable(table2_report(user=reader))}
    exported = tmp_path / "exported"
    call_command("export", out=str(exported), identifiers=True, stdout=open(os.devnull, "w"))
    for dataset in BY_NAME.values():  # a record of every kind, and every column filled
        if dataset.name == "queries":  # raised from the data; answered by people (none)
            continue
        rows = read(exported / dataset.filename)
        assert rows, dataset.filename
        assert all(any(row[c] for row in rows) for c in dataset.header(identifiers=True)), (
            dataset.filename, [c for c in rows[0] if not any(row[c] for row in rows)])

    manage(empty_database, "migrate", "--noinput", "-v0")
    manage(empty_database, "grant", "manager", "--centre", "DEMO", "--role", "data_manager",
           "--create")
    first = manage(empty_database, "import", str(exported), "--user", "manager", "--quiet")
    assert "written" in first
    again = manage(empty_database, "import", str(exported), "--user", "manager", "--quiet")
    assert "nothing to change" in again
    assert "created" not in again and "updated" not in again
    reimported = tmp_path / "reimported"
    manage(empty_database, "export", "--identifiers", "--out", str(reimported))

    for original in sorted(exported.glob("*.csv")):
        copy = reimported / original.name
        if original.name == "outcomes.csv":  # computed again, at another time
            strip = [{k: v for k, v in row.items() if k != "computed_at"}
                     for row in read(original)]
            assert strip == [{k: v for k, v in row.items() if k != "computed_at"}
                             for row in read(copy)]
            assert {row["stale"] for row in read(copy)} == {"FALSE"}
        elif original.name == "queries.csv":  # raised again from the imported data
            def found(path):
                return sorted((r["patient"], r["rule"], r["record"], r["values"], r["status"])
                              for r in read(path))
            assert found(original) == found(copy)
        else:
            assert original.read_bytes() == copy.read_bytes(), original.name
    assert len(read(exported / "patients.csv")) == 29  # the paper, CIDP cohort, CIDP-005, MMN-ALL
    assert len(read(exported / "mrc.csv")) > 1000

    reimported_tables = json.loads(manage(empty_database, "shell", "--no-imports", "-c", TABLES))
    assert without_ids(reimported_tables) == without_ids(tables)
