"""A withdrawn consent removes the patient from every report and export, and the patient
page says so."""

from __future__ import annotations

from datetime import date

import pytest

from patients.models import Consent, Patient
from registry.scoping import scope_reportable_patients
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def withdrawn(center):
    patient = PatientFactory(center=center, code="MMN-950")
    Consent.objects.create(patient=patient, given_on=date(1993, 1, 1),
                           withdrawn_on=date(1995, 6, 1))
    return patient


@pytest.fixture
def consenting(center):
    patient = PatientFactory(center=center, code="MMN-951")
    Consent.objects.create(patient=patient, given_on=date(1993, 1, 1), version="v2")
    return patient


def test_reports_and_their_csv_leave_out_a_withdrawn_patient(client, clinician, withdrawn,
                                                              consenting):
    client.force_login(clinician)
    answers = [
        api(clinician).get("/api/v1/reports/table1/").content.decode(),
        api(clinician).get("/api/v1/reports/table1/?format=csv").content.decode(),
        client.get("/reports/table1.csv").content.decode(),
        client.get("/reports/").content.decode(),
    ]
    for text in answers:
        assert consenting.code in text
        assert withdrawn.code not in text


def test_the_export_scope_leaves_out_a_withdrawn_patient(researcher, withdrawn, consenting,
                                                        other_patient):
    codes = set(scope_reportable_patients(Patient.objects.all(), researcher)
                .values_list("code", flat=True))
    assert codes == {consenting.code}  # and nothing of another centre


def test_the_patient_page_shows_the_withdrawal(client, clinician, withdrawn, consenting):
    client.force_login(clinician)
    page = client.get(f"/patients/{withdrawn.pk}/").content.decode()
    assert "Consent withdrawn on 1995-06-01" in page
    assert "excluded from reports and exports" in page
    other = client.get(f"/patients/{consenting.pk}/").content.decode()
    assert "given on 1993-01-01 (version v2)" in other
    assert "excluded from reports" not in other


def test_a_withdrawn_patient_stays_readable_for_their_centre(clinician, withdrawn):
    body = api(clinician).get(f"/api/v1/patients/{withdrawn.pk}/").json()
    assert body["consent"]["withdrawn_on"] == "1995-06-01"
