"""The admin writes through the services with the version check: two data managers editing
the same record in two real sessions never overwrite each other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from patients import services
from patients.models import Consent, MrcGrade, Titre, Visit
from registry.models import Role
from registry.tests.admin_forms import posted_form
from registry.tests.factories import TitreFactory, member
from treatments.models import Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sessions(center, data_manager):
    """Two data managers of the same centre, each logged in in their own browser session."""
    second = member(center=center, role=Role.DATA_MANAGER, username="second_dm")
    first_client, second_client = Client(), Client()
    first_client.force_login(data_manager)
    second_client.force_login(second)
    return first_client, second_client


def test_a_stale_admin_save_is_refused_with_a_message(two_sessions, patient):
    titre = TitreFactory(patient=patient, value=Decimal("800"))
    url = reverse("admin:patients_titre_change", args=[titre.pk])
    first, second = two_sessions
    first_form, second_form = posted_form(first.get(url)), posted_form(second.get(url))
    assert first_form["read_version"] == second_form["read_version"] == "1"

    saved = first.post(url, {**first_form, "value": "1600"})
    assert saved.status_code == 302
    refused = second.post(url, {**second_form, "value": "6400"})

    assert refused.status_code == 200  # the form again, not a redirect
    page = refused.content.decode()
    assert "changed by someone else" in page and "version 1 is stale, current is 2" in page
    titre.refresh_from_db()
    assert titre.value == Decimal("1600") and titre.version == 2  # nothing overwritten
    assert titre.history.count() == 2  # created, then the first save only


def test_a_stale_visit_save_leaves_the_first_grid_whole(two_sessions, patient):
    visit = services.visit_record(patient=patient, data={
        "visited_on": date(1994, 1, 1), "kind": "baseline"},
        mrc=[{"muscle": "deltoid", "side": "R", "grade": 3}])
    url = reverse("admin:patients_visit_change", args=[visit.pk])
    first, second = two_sessions
    first_form, second_form = posted_form(first.get(url)), posted_form(second.get(url))
    assert first_form["mrc-0-grade"] == "3"

    assert first.post(url, {**first_form, "mrc-0-grade": "4"}).status_code == 302
    refused = second.post(url, {**second_form, "mrc-0-grade": "1", "examiner": "Dr B"})

    assert refused.status_code == 200
    assert "changed by someone else" in refused.content.decode()
    visit.refresh_from_db()
    assert visit.version == 2 and visit.examiner == ""
    assert list(MrcGrade.objects.filter(visit=visit).values_list("grade", flat=True)) == [4]


def test_an_admin_save_without_the_version_is_refused(client, data_manager, patient):
    titre = TitreFactory(patient=patient)
    url = reverse("admin:patients_titre_change", args=[titre.pk])
    client.force_login(data_manager)
    form = posted_form(client.get(url))
    del form["read_version"]
    response = client.post(url, {**form, "value": "1600"})
    assert response.status_code == 200
    assert "Send the version you read (current version is 1)" in response.content.decode()
    titre.refresh_from_db()
    assert titre.value == Decimal("3200")


def test_an_admin_save_goes_through_the_service(client, data_manager, patient,
                                                django_capture_on_commit_callbacks):
    """One version bump, the outcome marked stale, the audit row says admin."""
    titre = TitreFactory(patient=patient)
    before = Outcome.objects.get(patient=patient).data_version
    url = reverse("admin:patients_titre_change", args=[titre.pk])
    client.force_login(data_manager)
    form = posted_form(client.get(url))
    with django_capture_on_commit_callbacks():
        assert client.post(url, {**form, "value": "1600"}).status_code == 302
    titre.refresh_from_db()
    assert titre.version == 2 and titre.value == Decimal("1600")
    assert Outcome.objects.get(patient=patient).data_version == before + 1
    latest = titre.history.first()
    assert latest.history_user == data_manager and latest.history_source == "admin"


def test_an_invalid_inline_row_is_refused_by_the_service_and_nothing_is_written(
        client, data_manager, patient):
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    client.force_login(data_manager)
    form = posted_form(client.get(url))
    form.update({"consent-0-given_on": "1995-01-01", "consent-0-withdrawn_on": "1994-01-01",
                 "notes": "changed"})
    response = client.post(url, form)
    assert response.status_code == 200
    assert "Consent cannot be withdrawn before it was given." in response.content.decode()
    patient.refresh_from_db()
    assert patient.notes == "" and patient.version == 1
    consent = Consent.objects.get(patient=patient)
    assert (consent.given_on, consent.withdrawn_on) == (date(1990, 1, 1), None)


def test_the_patient_admin_records_consent_through_the_service(client, data_manager, patient):
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    client.force_login(data_manager)
    form = posted_form(client.get(url))
    form.update({"consent-0-given_on": "1995-01-01", "consent-0-version": "v3"})
    assert client.post(url, form).status_code == 302
    patient.refresh_from_db()
    assert patient.version == 2 and patient.consent.version == "v3"


def test_an_admin_delete_goes_through_the_service(client, data_manager, patient):
    titre = TitreFactory(patient=patient)
    before = Outcome.objects.get(patient=patient).data_version
    client.force_login(data_manager)
    url = reverse("admin:patients_titre_delete", args=[titre.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Titre.objects.filter(pk=titre.pk).exists()
    assert Outcome.objects.get(patient=patient).data_version == before + 1
    assert titre.history.first().history_type == "-"


def test_an_admin_bulk_delete_goes_through_the_service(client, data_manager, patient):
    visit = services.visit_record(patient=patient, data={
        "visited_on": date(1994, 1, 1), "kind": "baseline"},
        mrc=[{"muscle": "deltoid", "side": "R", "grade": 3}])
    client.force_login(data_manager)
    response = client.post(reverse("admin:patients_visit_changelist"), {
        "action": "delete_selected", "_selected_action": [visit.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Visit.objects.exists() and not MrcGrade.objects.exists()
