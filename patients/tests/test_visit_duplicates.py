"""Visits repeated before the (patient, date, kind) constraint existed: the migration that
adds it stops and names them, ``manage.py visit_duplicates`` lists them, an import names
them correctly; nothing is ever deleted."""

import importlib
import io
from datetime import date

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from exchange.imports import import_files
from exchange.tests.helpers import csv_file
from patients.models import Visit
from registry.tests.factories import MrcGradeFactory, VisitFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("patients.migrations.0004_visit_unique_patient_date_kind")


@pytest.fixture
def repeated(patient):
    """Two baseline visits of MMN-900 on 1994-01-01, as a registry held them before the
    constraint (dropped inside the test's transaction, so it comes back afterwards)."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE patients_visit DROP CONSTRAINT "
                       "visit_unique_patient_date_kind")
    first = VisitFactory(patient=patient, visited_on=date(1994, 1, 1), kind="baseline")
    second = VisitFactory(patient=patient, visited_on=date(1994, 1, 1), kind="baseline")
    MrcGradeFactory(visit=second)
    VisitFactory(patient=patient, visited_on=date(1994, 1, 1), kind="follow_up")
    return first, second


def test_the_migration_stops_and_names_the_repeats_deleting_nothing(repeated):
    with connection.schema_editor() as editor, pytest.raises(CommandError) as error:
        MIGRATION.refuse_repeated_visits(apps, editor)
    message = str(error.value)
    assert message.startswith("1 (patient, date, kind) are held by more than one visit")
    assert "manage.py visit_duplicates" in message
    assert "  MMN-900 1994-01-01 baseline: 2 visits" in message
    assert Visit.objects.count() == 3


def test_the_migration_passes_a_registry_without_repeats(patient):
    VisitFactory(patient=patient, visited_on=date(1994, 1, 1), kind="baseline")
    VisitFactory(patient=patient, visited_on=date(1994, 1, 1), kind="follow_up")
    with connection.schema_editor() as editor:
        MIGRATION.refuse_repeated_visits(apps, editor)


def test_the_command_lists_each_repeated_visit(repeated):
    out = io.StringIO()
    call_command("visit_duplicates", stdout=out)
    lines = out.getvalue().splitlines()
    first, second = repeated
    assert lines[1].split("\t")[:6] == ["MMN-900", "1994-01-01", "baseline", str(first.pk),
                                        "", "0"]
    assert lines[2].split("\t")[:6] == ["MMN-900", "1994-01-01", "baseline", str(second.pk),
                                        "", "1"]
    assert lines[3].startswith("2 visits share 1 (patient, date, kind).")
    assert Visit.objects.count() == 3


def test_the_command_says_when_there_are_none(patient):
    out = io.StringIO()
    call_command("visit_duplicates", stdout=out)
    assert out.getvalue() == "No two visits share a patient, date and kind.\n"


def test_an_import_names_the_repeats_in_plain_english(repeated, data_manager):
    visits = csv_file(["patient", "visited_on", "kind", "examiner"],
                      ["MMN-900", "1994-01-01", "baseline", "Dr Z"])
    report = import_files(user=data_manager, files={"visits": visits})
    [problem] = report.problems
    assert (problem.file, problem.line, problem.column) == ("visits.csv", 2, "visited_on")
    assert problem.message == (
        "The registry holds 2 baseline visits of MMN-900 on 1994-01-01; correct them in the "
        "admin first (manage.py visit_duplicates).")
    assert not report.committed
