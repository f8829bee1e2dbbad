"""Reports leave Python's garbage collector alone: gunicorn runs request threads side by
side, and a report that switched the collector off (process-wide) paused it for every
other request too (docs/rules-decisions.md, "Benchmark shortcuts")."""

import gc
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from registry.tests.factories import PatientFactory, SeriesFactory
from treatments.reports import table1_report, table2_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("report", [table1_report, table2_report])
def test_a_report_leaves_the_collector_running(report, clinician, center):
    for number in range(3):
        SeriesFactory(patient=PatientFactory(center=center, code=f"MMN-{700 + number}"),
                      number=1)
    collector_on: list[bool] = []  # sampled at each of the report's queries

    def sample(execute, sql, params, many, context):
        collector_on.append(gc.isenabled())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(sample):
        rows = report(user=clinician)
    assert rows and collector_on and all(collector_on)
    assert gc.isenabled()


def test_the_web_entry_point_freezes_what_it_loaded_once():
    """What startup loads is moved out of the collector's reach once, in the entry point."""
    environment = {key: value for key, value in os.environ.items()
                   if key in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    environment["DJANGO_SETTINGS_MODULE"] = "registry.settings.test"
    done = subprocess.run(
        [sys.executable, "-c", "import gc, json, registry.wsgi; "
                               "print(json.dumps([gc.get_freeze_count(), gc.isenabled()]))"],
        cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    frozen, enabled = json.loads(done.stdout.strip().splitlines()[-1])
    assert frozen > 10_000 and enabled
