"""Two clients save the same record at the same moment: one wins, the other is told.

Truly concurrent against PostgreSQL: each client runs in its own thread with its own
database connection; the test holds the record's row lock until both saves are waiting
on it (seen in ``pg_stat_activity``), then lets them race.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from patients.models import Titre
from registry.tests.factories import TitreFactory

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM", "method": "elisa",
        "unit": "dilution"}


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        # Statistics views are a snapshot per transaction: take a new one each time.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(titre: Titre, save) -> list:
    """Run ``save(i)`` for i = 0, 1 in two threads that both wait on the titre's row lock."""
    results: list = [None, None]
    errors: list[BaseException] = []
    ready = threading.Barrier(2)

    def client(i: int) -> None:
        try:
            ready.wait(timeout=10)
            results[i] = save(i)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=client, args=(i,)) for i in range(2)]
    with transaction.atomic():
        Titre.objects.select_for_update().get(pk=titre.pk)  # hold the row
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while lock_waiters() < 2:
            assert time.monotonic() < deadline, "the two saves never waited together"
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_api_clients_one_wins_the_other_gets_409(clinician, patient):
    titre = TitreFactory(patient=patient, value=Decimal("100"))
    url = f"/api/v1/titres/{titre.pk}/"

    def save(i: int):
        client = APIClient()
        client.force_authenticate(clinician)
        return client.patch(url, {"version": 1, "value": 1000 + i}, format="json")

    responses = race(titre, save)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.content for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    loser = responses[1 - winner]
    assert "changed by someone else" in loser.json()["detail"]
    titre.refresh_from_db()
    assert (titre.value, titre.version) == (1000 + winner, 2)
    assert titre.history.filter(history_type="~").count() == 1  # one change, not two


def test_two_page_edits_one_wins_the_other_sees_a_message(clinician, patient):
    titre = TitreFactory(patient=patient, value=Decimal("100"))
    url = reverse("patients:titre_edit", args=[patient.pk, titre.pk])

    def save(i: int):
        client = Client()
        client.force_login(clinician)
        return client.post(url, {**FORM, "value": str(2000 + i), "version": "1"})

    responses = race(titre, save)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 302]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    refused = responses[1 - winner].content.decode()
    assert "changed by someone else" in refused
    assert f'value="{2000 + (1 - winner)}"' in refused  # what the user typed is kept
    titre.refresh_from_db()
    assert (titre.value, titre.version) == (2000 + winner, 2)
