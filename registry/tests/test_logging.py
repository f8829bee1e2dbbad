"""Structured logs: JSON lines in production; a failed recompute names its patient."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from registry.jsonlog import JsonFormatter
from treatments.models import DiagnosisRuleSet, RuleSet
from treatments.tasks import outcome_recompute_task

ROOT = Path(settings.BASE_DIR)


def test_a_record_becomes_one_json_line_with_its_extra_fields():
    try:
        raise ValueError("bad data")
    except ValueError:
        record = logging.LogRecord("treatments.tasks", logging.ERROR, __file__, 1,
                                   "Recompute of patient %s failed", (12,), sys.exc_info())
    record.patient_id = 12
    line = JsonFormatter().format(record)
    assert "\n" not in line  # one line, whatever the traceback
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "treatments.tasks"
    assert entry["message"] == "Recompute of patient 12 failed"
    assert entry["patient_id"] == 12
    assert "ValueError: bad data" in entry["exception"]
    assert entry["time"].endswith("+00:00")


@pytest.mark.django_db
def test_a_failing_recompute_task_is_logged_with_the_patient_id(patient):
    # A default rule set with an unknown parameter (written past validation) breaks every
    # recompute: a real failure, not a simulated one.
    broken = RuleSet.objects.create(version="broken", parameters={"no_such_threshold": 1})
    DiagnosisRuleSet.objects.filter(diagnosis=patient.diagnosis).update(rule_set=broken)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())  # what production's console handler writes
    logger = logging.getLogger("treatments.tasks")
    logger.addHandler(handler)
    try:
        with pytest.raises(TypeError):
            outcome_recompute_task.apply(args=(patient.pk,), throw=True)
    finally:
        logger.removeHandler(handler)
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["patient_id"] == patient.pk
    assert entry["message"] == f"Recompute of patient {patient.pk} failed"
    assert entry["task_name"] == "treatments.tasks.outcome_recompute_task"
    assert entry["task_id"]
    assert "TypeError" in entry["exception"]


def test_log_format_json_is_chosen_by_the_environment():
    script = ("import logging; logging.getLogger('registry').warning('hello %s', 'world', "
              "extra={'patient_id': 7})")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test",
           "LOG_FORMAT": "json"}
    done = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    entry = json.loads(done.stderr.strip().splitlines()[-1])
    assert (entry["message"], entry["patient_id"], entry["level"]) == (
        "hello world", 7, "WARNING")
    env["LOG_FORMAT"] = "plain"
    done = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().endswith("WARNING registry hello world")
