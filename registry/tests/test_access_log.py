"""The read-access log (registry.models.AccessLog): every display of a patient's direct
identifiers is recorded — patient page, edit page, API detail, admin, identified export —
and nothing else is; researchers never appear; data managers read their centres' entries
in the admin and at ``access-log/``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Identity
from registry.models import AccessLog, Role
from registry.services import access_log_record
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, member
from registry.tests.trust import NAME

pytestmark = pytest.mark.django_db


def identify(patient):
    Identity.objects.create(patient=patient, name=NAME, hospital_number="HN-1")
    return patient


def entries(**filters) -> list[tuple]:
    return list(AccessLog.objects.filter(**filters).order_by("id")
                .values_list("username", "patient_id", "patient_code", "surface"))


# The surfaces -----------------------------------------------------------------------------

def test_the_patient_page_with_identity_is_recorded(client, clinician, patient):
    identify(patient)
    client.force_login(clinician)
    page = client.get(reverse("patients:detail", args=[patient.pk]))
    assert NAME in page.content.decode()
    assert entries() == [("clinician", patient.pk, "MMN-900", "page")]
    entry = AccessLog.objects.get()
    assert entry.user == clinician and entry.center_id == patient.center_id
    assert entry.path == f"/patients/{patient.pk}/"
    assert timezone.now() - entry.at < timedelta(minutes=1)


def test_the_edit_page_shows_the_identity_and_is_recorded(client, clinician, patient):
    identify(patient)
    client.force_login(clinician)
    assert NAME in client.get(reverse("patients:edit", args=[patient.pk])).content.decode()
    assert entries() == [("clinician", patient.pk, "MMN-900", "page")]


def test_no_identity_shown_nothing_recorded(client, clinician, researcher, patient):
    client.force_login(clinician)
    client.get(reverse("patients:detail", args=[patient.pk]))  # no identity recorded yet
    identify(patient)
    client.force_login(researcher)
    page = client.get(reverse("patients:detail", args=[patient.pk]))
    assert page.status_code == 200 and NAME not in page.content.decode()
    assert api(researcher).get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert entries() == []


def test_the_api_detail_with_identity_is_recorded_and_the_list_is_not(clinician, patient):
    identify(patient)
    client = api(clinician)
    assert client.get("/api/v1/patients/").status_code == 200
    assert entries() == []
    detail = client.get(f"/api/v1/patients/{patient.pk}/")
    assert detail.json()["identity"]["name"] == NAME
    assert entries() == [("clinician", patient.pk, "MMN-900", "api")]


def test_the_admin_change_page_is_recorded(client, data_manager, patient):
    identify(patient)
    client.force_login(data_manager)
    page = client.get(reverse("admin:patients_patient_change", args=[patient.pk]))
    assert page.status_code == 200 and NAME in page.content.decode()
    assert entries() == [("data_manager", patient.pk, "MMN-900", "admin")]


def test_an_identified_export_records_each_patient_in_one_insert_per_batch(
        client, data_manager, center, settings):
    settings.EXPORT_BATCH_SIZE = 2
    patients = [identify(PatientFactory(center=center, code=f"MMN-{n}")) for n in range(3)]
    PatientFactory(center=center, code="MMN-9")  # no identity: nothing shown, nothing logged
    client.force_login(data_manager)
    client.get("/exports/patients.csv")  # without identifiers
    assert entries() == []
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/exports/patients.csv", {"identifiers": "on"})
        body = b"".join(response.streaming_content).decode()
    assert NAME in body
    assert entries() == [("data_manager", p.pk, p.code, "export") for p in patients]
    inserts = [q for q in queries.captured_queries
               if q["sql"].startswith('INSERT INTO "registry_accesslog"')]
    assert len(inserts) == 2  # two batches of patients with identity (2 + 1)


def test_an_identified_export_through_the_api_is_recorded(data_manager, patient):
    identify(patient)
    response = api(data_manager).get("/api/v1/exports/patients/", {"identifiers": "true"})
    b"".join(response.streaming_content) if response.streaming else response.content
    assert entries() == [("data_manager", patient.pk, "MMN-900", "export")]


def test_the_service_writes_one_row_per_patient_and_nothing_for_no_one(patient, clinician,
                                                                       django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert access_log_record(user=AnonymousUser(), surface="api", patients=[patient]) == 0
    assert access_log_record(user=clinician, surface="api", patients=[]) == 0
    assert access_log_record(user=None, username="cron", surface="export",
                             patients=[patient]) == 1
    assert entries() == [("cron", patient.pk, "MMN-900", "export")]


# Reading it ---------------------------------------------------------------------------------

@pytest.fixture
def logged(patient, other_patient, clinician, other_centre_clinician):
    access_log_record(user=clinician, surface="page", patients=[patient])
    access_log_record(user=other_centre_clinician, surface="api", patients=[other_patient])
    old = access_log_record(user=clinician, surface="api", patients=[patient])
    assert old == 1
    return patient


def test_data_managers_read_their_centres_entries(data_manager, logged, clinician):
    answer = api(data_manager).get("/api/v1/access-log/")
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [(r["username"], r["patient_code"], r["surface"]) for r in results] == [
        ("clinician", "MMN-900", "api"), ("clinician", "MMN-900", "page")]
    assert set(results[0]) == {"id", "at", "user", "username", "patient", "patient_code",
                               "center", "surface", "path"}
    assert results[0]["user"] == clinician.pk and results[0]["center"] == "north"


def test_the_filters(data_manager, logged, clinician, superuser):
    client = api(data_manager)
    today = timezone.localdate().isoformat()
    assert client.get("/api/v1/access-log/", {"patient": logged.pk}).json()["count"] == 2
    assert client.get("/api/v1/access-log/", {"user": clinician.pk}).json()["count"] == 2
    assert client.get("/api/v1/access-log/", {"user": superuser.pk}).json()["count"] == 0
    assert client.get("/api/v1/access-log/", {"surface": "page"}).json()["count"] == 1
    assert client.get("/api/v1/access-log/", {"date": today}).json()["count"] == 2
    assert client.get("/api/v1/access-log/", {"from": today, "to": today}).json()["count"] == 2
    assert client.get("/api/v1/access-log/", {"to": "2000-01-01"}).json()["count"] == 0
    bad = client.get("/api/v1/access-log/", {"from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.json()
    assert api(superuser).get("/api/v1/access-log/").json()["count"] == 3


@pytest.mark.parametrize("role", ["clinician", "researcher"])
def test_only_data_managers_read_it(request, role, logged):
    client = api(request.getfixturevalue(role))
    assert client.get("/api/v1/access-log/").status_code == 403
    entry = AccessLog.objects.filter(center=logged.center).first()
    assert client.get(f"/api/v1/access-log/{entry.pk}/").status_code == 404
    assert api().get("/api/v1/access-log/").status_code == 401


def test_it_is_read_only_through_the_api(data_manager, logged):
    entry = AccessLog.objects.filter(center=logged.center).first()
    client = api(data_manager)
    assert client.get(f"/api/v1/access-log/{entry.pk}/").status_code == 200
    assert client.post("/api/v1/access-log/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/access-log/{entry.pk}/").status_code == 405


def test_the_admin_shows_it_read_only_to_data_managers(client, data_manager, clinician, logged,
                                                       center):
    client.force_login(data_manager)
    listing = client.get(reverse("admin:registry_accesslog_changelist"))
    assert listing.status_code == 200
    assert "MMN-900" in listing.content.decode() and "MMN-901" not in listing.content.decode()
    assert client.get(reverse("admin:registry_accesslog_add")).status_code == 403
    entry = AccessLog.objects.filter(center=center).first()
    change = client.get(reverse("admin:registry_accesslog_change", args=[entry.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    theirs = AccessLog.objects.exclude(center=center).first()
    assert client.get(reverse("admin:registry_accesslog_change", args=[theirs.pk])
                      ).status_code == 302  # "does not exist" in your centres
    other = member(center=center, role=Role.RESEARCHER, username="staff_researcher",
                   is_staff=True)
    client.force_login(other)
    assert client.get(reverse("admin:registry_accesslog_changelist")).status_code in (302, 403)
