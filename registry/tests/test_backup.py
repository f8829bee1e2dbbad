"""``manage.py backup`` / ``restore`` round-trip the demo data through pg_dump / pg_restore."""

from __future__ import annotations

import stat

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from patients.demo.cidp import CIDP_PATIENTS
from patients.demo.course import COURSE_PATIENTS as TAILORING_PATIENTS
from patients.demo.paper import COURSE_PATIENTS, PATIENTS
from patients.models import Patient
from treatments.models import Outcome
from treatments.reports import table1_report, table2_report

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> dict:
    user = User.objects.get(username="demo")
    return {
        "table1": table1_report(user=user),
        "table2": table2_report(user=user),
        "outcomes": {o.patient.code: (o.status, o.result, o.computed_data_version)
                     for o in Outcome.objects.select_related("patient")},
        "history": Patient.history.count(),
    }


def test_backup_then_restore_gives_back_the_demo_data(tmp_path, capsys):
    call_command("load_demo")
    call_command("recompute", "--all")
    before = snapshot()
    # One outcome per demo patient: the paper's 23, the CIDP cohort, the course patients
    # and the two CIDP trial-off patients of §10 (load_course_demo), 30 in all.
    demo_count = (len(PATIENTS) + len(CIDP_PATIENTS) + len(COURSE_PATIENTS)
                  + len(TAILORING_PATIENTS))
    assert len(before["outcomes"]) == demo_count == 30 and before["table1"]["rows"]

    backup = tmp_path / "registry.dump"
    call_command("backup", "--output", str(backup))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds identifiers

    call_command("flush", "--noinput")
    assert not Patient.objects.exists() and not User.objects.exists()

    call_command("restore", str(backup), "--noinput")
    assert snapshot() == before
    assert "Restored" in capsys.readouterr().out


def test_a_broken_backup_file_changes_nothing(tmp_path, patient):
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"PGDMP not really a dump")
    with pytest.raises(CommandError):
        call_command("restore", str(broken), "--noinput")
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_restore_asks_before_replacing_everything(tmp_path, monkeypatch, patient):
    backup = tmp_path / "registry.dump"
    backup.write_bytes(b"")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(backup))
    assert Patient.objects.filter(pk=patient.pk).exists()
