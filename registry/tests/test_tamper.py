"""The audit tables are append-only in PostgreSQL (registry.tamper): raw SQL UPDATE and
DELETE on a historical table or the access log are refused, INSERT is not; every
historical table has the trigger, and ``migrate`` puts it on a table that lacks it."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from patients.models import Patient, Titre
from registry.models import AccessLog, Membership
from registry.services import access_log_record
from registry.tamper import TRIGGER, append_only_tables, install_triggers, missing_triggers
from treatments.models import Series

pytestmark = pytest.mark.django_db


def refused(sql: str, params=()) -> psycopg.Error:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    cause = caught.value.__cause__
    assert isinstance(cause, psycopg.errors.InsufficientPrivilege), cause
    assert "append-only" in str(cause)
    return cause


@pytest.mark.parametrize("model", [Patient, Titre, Series, Membership])
def test_raw_update_and_delete_of_history_are_refused(model, patient, clinician,
                                                      django_capture_on_commit_callbacks):
    from registry.tests.trust import populate

    with django_capture_on_commit_callbacks(execute=True):
        populate(patient)
    table = model.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), min(history_id) FROM {table}")
        count, first = cursor.fetchone()
    assert count > 0
    refused(f"UPDATE {table} SET history_change_reason = 'tampered' WHERE history_id = %s",
            [first])
    refused(f"DELETE FROM {table} WHERE history_id = %s", [first])
    refused(f"DELETE FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE history_change_reason = 'tampered'")
        assert cursor.fetchone() == (0,)
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone() == (count,)


def test_the_orm_cannot_rewrite_history_either(patient):
    history = Patient.history.model
    with pytest.raises(DatabaseError), transaction.atomic():
        history.objects.filter(id=patient.pk).update(code="X")
    with pytest.raises(DatabaseError), transaction.atomic():
        history.objects.filter(id=patient.pk).delete()


def test_history_is_still_written(patient, clinician):
    before = Patient.history.filter(id=patient.pk).count()
    patient.notes = "seen"
    patient.save()
    assert Patient.history.filter(id=patient.pk).count() == before + 1


def test_the_access_log_takes_inserts_and_refuses_the_rest(patient, data_manager):
    access_log_record(user=data_manager, surface="page", patients=[patient])
    entry = AccessLog.objects.get()
    refused("UPDATE registry_accesslog SET username = 'nobody' WHERE id = %s", [entry.pk])
    refused("DELETE FROM registry_accesslog WHERE id = %s", [entry.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_accesslog (at, username, center_id, patient_id, "
            "patient_code, surface, path) VALUES (now(), 'raw', %s, %s, %s, 'api', '')",
            [patient.center_id, patient.pk, patient.code])
    assert AccessLog.objects.count() == 2


def test_every_historical_table_has_the_trigger():
    tables = append_only_tables()
    assert "patients_historicalpatient" in tables and "registry_accesslog" in tables
    assert len(tables) >= 15
    assert missing_triggers() == []


def test_a_table_without_the_trigger_is_found_and_migrate_puts_it_back():
    table = Titre.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {TRIGGER} ON {table}")
    assert missing_triggers() == [table]
    # What ``migrate`` runs after every migration (post_migrate: registry.tamper).
    from django.apps import apps
    from django.core.management.sql import emit_post_migrate_signal

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default", apps=apps)
    assert missing_triggers() == []
    assert table in install_triggers()  # idempotent


def test_a_future_audited_model_is_covered():
    """Any model simple-history registers (whatever its app) is an audit table."""
    from django.apps import apps
    from simple_history.models import HistoricalChanges

    historical = {m._meta.db_table for m in apps.get_models()
                  if issubclass(m, HistoricalChanges)}
    assert historical <= set(append_only_tables())
