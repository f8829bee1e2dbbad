"""A 503 means nothing was saved: the database connection is really cut around a write.

The request's own PostgreSQL backend is terminated (``pg_terminate_backend`` from a second
connection) either right after the write's COMMIT — the client must get the saved record,
not a 503 telling it to try again — or in the middle of the write — the client gets the
503 and nothing is saved.
"""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from patients.models import Visit
from registry.tests.sessions import other_session

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/visits/"
GRID = [{"muscle": "deltoid", "side": "R", "grade": 4}]


def visit_body(patient, day: str = "1994-01-01") -> dict:
    return {"patient": patient.pk, "visited_on": day, "kind": "baseline", "mrc": GRID}


def terminate_own_backend() -> None:
    """Cut this thread's database connection from the server side, as a failover or a
    network drop would, and wait until the server has really ended it."""
    pid = connection.connection.info.backend_pid
    with other_session() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                            [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend was not terminated"
            time.sleep(0.01)


@pytest.fixture
def cut_after_commit(monkeypatch):
    """Once armed, the next COMMIT succeeds and then its connection is cut."""
    real_commit = connection.commit
    cuts: list[int] = []

    def commit_then_cut():
        real_commit()
        if not cuts:
            cuts.append(connection.connection.info.backend_pid)
            terminate_own_backend()

    def arm() -> list[int]:
        monkeypatch.setattr(connection, "commit", commit_then_cut)
        return cuts

    yield arm
    monkeypatch.undo()
    connection.close()  # the cut connection; the next query opens a new one


def client_of(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def test_a_post_whose_connection_drops_after_commit_answers_the_saved_record(
    clinician, patient, cut_after_commit
):
    cuts = cut_after_commit()
    response = client_of(clinician).post(URL, visit_body(patient), format="json")
    assert cuts, "the connection was never cut"
    connection.close()
    saved = Visit.objects.get()  # it committed …
    assert response.status_code == 201, response.content  # … so it is not a 503
    answer = response.json()
    assert answer["id"] == saved.pk and answer["version"] == 1
    assert answer["mrc"] == GRID


def test_an_update_whose_connection_drops_after_commit_answers_the_saved_record(
    clinician, patient, cut_after_commit
):
    client = client_of(clinician)
    created = client.post(URL, visit_body(patient), format="json").json()
    cuts = cut_after_commit()
    response = client.patch(f"{URL}{created['id']}/", {"version": 1, "notes": "walks"},
                            format="json")
    assert cuts, "the connection was never cut"
    connection.close()
    assert Visit.objects.get().notes == "walks"
    assert response.status_code == 200, response.content
    assert response.json()["notes"] == "walks" and response.json()["version"] == 2


def test_a_connection_cut_during_the_write_is_a_503_and_nothing_is_saved(
    clinician, patient
):
    cuts = []

    def cut_after_the_visit_insert(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not cuts and sql.startswith('INSERT INTO "patients_visit"'):
            cuts.append(sql)
            terminate_own_backend()
        return result

    with connection.execute_wrapper(cut_after_the_visit_insert):
        response = client_of(clinician).post(URL, visit_body(patient), format="json")
    connection.close()
    assert cuts, "the connection was never cut"
    assert response.status_code == 503
    assert "Nothing was saved" in response.json()["detail"]
    assert not Visit.objects.exists()  # the 503 is true


def test_a_commit_that_never_reached_the_server_is_a_503_and_the_retry_saves_once(
    clinician, patient, monkeypatch
):
    """The connection is cut just before the COMMIT: nothing was saved, the client is told
    so, and its retry with the same Idempotency-Key saves the visit once."""
    real_commit = connection.commit

    cuts: list[bool] = []

    def cut_then_commit():
        if not cuts:
            cuts.append(True)
            terminate_own_backend()
        real_commit()

    monkeypatch.setattr(connection, "commit", cut_then_commit)
    client = client_of(clinician)
    response = client.post(URL, visit_body(patient), format="json",
                           HTTP_IDEMPOTENCY_KEY="retry-1")
    connection.close()
    assert response.status_code == 503
    assert not Visit.objects.exists()
    retry = client.post(URL, visit_body(patient), format="json",
                        HTTP_IDEMPOTENCY_KEY="retry-1")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert Visit.objects.count() == 1


def test_a_commit_whose_acknowledgement_is_lost_answers_from_the_key(
    clinician, patient, monkeypatch
):
    """The server commits, then the connection drops before the client library hears it
    (the driver raises): with an Idempotency-Key the key's committed row settles it."""
    real_commit = connection.commit

    cuts: list[bool] = []

    def commit_then_lose_the_answer():
        real_commit()
        if not cuts:
            cuts.append(True)
            terminate_own_backend()
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", commit_then_lose_the_answer)
    client = client_of(clinician)
    response = client.post(URL, visit_body(patient), format="json",
                           HTTP_IDEMPOTENCY_KEY="ack-1")
    connection.close()
    saved = Visit.objects.get()
    assert response.status_code == 201, response.content
    assert response.json()["id"] == saved.pk
    retry = client.post(URL, visit_body(patient), format="json", HTTP_IDEMPOTENCY_KEY="ack-1")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == response.json()
    assert Visit.objects.count() == 1


def test_without_a_key_a_lost_commit_acknowledgement_is_not_called_nothing_saved(
    clinician, patient, monkeypatch
):
    """Without a key no one can tell whether that COMMIT took: the 503 says it may have."""
    real_commit = connection.commit
    cuts: list[bool] = []

    def commit_then_lose_the_answer():
        real_commit()
        if not cuts:
            cuts.append(True)
            terminate_own_backend()
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", commit_then_lose_the_answer)
    response = client_of(clinician).post(URL, visit_body(patient), format="json")
    connection.close()
    assert Visit.objects.count() == 1
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "may have been saved" in detail and "Nothing was saved" not in detail
    assert "Idempotency-Key" in detail
