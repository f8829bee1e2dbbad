"""``Idempotency-Key`` on every POST: a retry returns the first answer and writes nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from patients.models import Titre, Visit
from registry.api.schema import IDEMPOTENCY_PARAMETER
from registry.idempotency import idempotency_keys_purge
from registry.models import IdempotencyKey
from registry.tasks import idempotency_keys_purge_task
from registry.tests.api.helpers import api
from treatments.models import Outcome

pytestmark = pytest.mark.django_db

URL = "/api/v1/visits/"
GRID = [{"muscle": "deltoid", "side": "R", "grade": 4}]


def visit(patient, day: str = "1994-01-01") -> dict:
    return {"patient": patient.pk, "visited_on": day, "kind": "baseline", "mrc": GRID}


def test_a_retried_post_makes_exactly_one_record(clinician, patient):
    client = api(clinician)
    first = client.post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = client.post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == retry.status_code == 201, retry.content
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Visit.objects.count() == 1
    assert retry.json()["id"] == Visit.objects.get().pk


def test_the_same_body_in_another_key_order_is_the_same_request(clinician, patient):
    client = api(clinician)
    body = visit(patient)
    client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = client.post(URL, dict(reversed(body.items())), format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert Visit.objects.count() == 1


def test_without_a_key_every_post_writes(clinician, patient):
    client = api(clinician)
    client.post(URL, visit(patient), format="json")
    client.post(URL, visit(patient, "1994-02-01"), format="json")
    assert Visit.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(clinician, patient):
    client = api(clinician)
    client.post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = client.post(URL, visit(patient, "1994-02-01"), format="json",
                           HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert Visit.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_a_422(clinician, patient):
    client = api(clinician)
    client.post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = client.post("/api/v1/titres/", {
        "patient": patient.pk, "sampled_on": "1994-01-01", "antigen": "gm1",
        "isotype": "IgM", "method": "elisa", "value": 1600, "unit": "dilution",
    }, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert not Titre.objects.exists()


def test_keys_are_per_user(clinician, data_manager, patient):
    api(clinician).post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api(data_manager).post(URL, visit(patient, "1994-02-01"), format="json",
                                   HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Visit.objects.count() == 2


def test_an_error_is_not_kept_so_the_corrected_request_runs(clinician, patient):
    client = api(clinician)
    bad = client.post(URL, {**visit(patient), "kind": "post_series"}, format="json",
                      HTTP_IDEMPOTENCY_KEY="k-1")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = client.post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good
    assert Visit.objects.count() == 1


def test_a_key_older_than_24_hours_is_forgotten(clinician, patient):
    client = api(clinician)
    client.post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    again = client.post(URL, visit(patient, "1994-02-01"), format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Visit.objects.count() == 2
    assert IdempotencyKey.objects.get().created_at > timezone.now() - timedelta(minutes=1)


def test_the_periodic_purge_deletes_only_expired_keys(clinician, patient):
    client = api(clinician)
    for key in ("old", "new"):
        client.post(URL, visit(patient, "1994-01-01" if key == "old" else "1994-02-01"),
                    format="json", HTTP_IDEMPOTENCY_KEY=key)
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge_task.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert idempotency_keys_purge() == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_a_malformed_key_is_a_400_naming_the_header(clinician, patient, key):
    response = api(clinician).post(URL, visit(patient), format="json",
                                   HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Visit.objects.exists()


def test_a_replay_still_needs_the_write_right(clinician, researcher, patient):
    api(clinician).post(URL, visit(patient), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = api(researcher).post(URL, visit(patient), format="json",
                                    HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 403


def test_every_signed_in_post_documents_the_header(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    posts = {path: item["post"] for path, item in schema["paths"].items() if "post" in item}
    assert len(posts) >= 8
    for path, operation in posts.items():
        names = [p["name"] for p in operation.get("parameters", [])]
        if path == "/api/v1/auth/token/":
            assert IDEMPOTENCY_PARAMETER["name"] not in names
            continue
        assert IDEMPOTENCY_PARAMETER["name"] in names, path
        assert "422" in operation["responses"], path


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_write_once(clinician, patient):
    """Both requests really overlap on PostgreSQL: the test holds the patient's outcome row
    (which a visit's write updates) until the first request waits on it and the second on
    the first's key, then lets them go."""
    Outcome.objects.get_or_create(patient=patient)
    answers: list = [None, None]
    errors: list[BaseException] = []

    def post(i: int) -> None:
        try:
            answers[i] = api(clinician).post(URL, visit(patient), format="json",
                                             HTTP_IDEMPOTENCY_KEY="k-race")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    with transaction.atomic():
        Outcome.objects.select_for_update().get(patient=patient)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while lock_waiters() < 2:
            assert time.monotonic() < deadline, "the two requests never overlapped"
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].content == answers[1].content
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert Visit.objects.count() == 1
