"""Consent for secondary use (clinical-rules.md §8): research outputs — Table 1 and 2
(JSON, CSV, page), exports, the researcher role's API lists and details — count only
patients whose consent is given (recorded, not withdrawn, not dated in the future); care
surfaces (the patient's own pages, the lot look-up) never filter; the patient form
records consent and identity; the patient page says when consent is not recorded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogues import ConsentState
from exchange.tests.helpers import export_rows
from patients.consent import consent_state
from patients.models import Consent, Identity, Patient
from registry.scoping import scope_reportable_patients
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, SeriesFactory, TitreFactory, VisitFactory
from treatments.models import LotNumber

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(("given_on", "withdrawn_on", "state"), [
    (None, None, "not_recorded"),
    (date(2026, 7, 1), None, "not_recorded"),  # dated in the future
    (date(2026, 5, 1), None, "given"),
    (date(2026, 5, 1), date(2026, 7, 1), "given"),  # a withdrawal not yet in effect
    (date(2026, 5, 1), date(2026, 5, 20), "withdrawn"),
    (date(2026, 5, 1), date(2026, 5, 1), "withdrawn"),  # withdrawn the day it was given
    (None, date(2026, 5, 1), "withdrawn"),
])
def test_the_consent_state_is_the_latest_date_not_in_the_future(given_on, withdrawn_on,
                                                                 state):
    assert consent_state(given_on=given_on, withdrawn_on=withdrawn_on,
                         today=TODAY) == ConsentState(state)


@pytest.fixture
def cohort(center):
    """One patient per consent state, and one consented, in the same centre."""
    today = timezone.localdate()
    made = {
        "consenting": PatientFactory(center=center, code="MMN-951"),
        "withdrawn": PatientFactory(center=center, code="MMN-950"),
        "unrecorded": PatientFactory(center=center, code="MMN-952", consent=None),
        "future": PatientFactory(center=center, code="MMN-953", consent=None),
        "empty": PatientFactory(center=center, code="MMN-954", consent=None),
    }
    Consent.objects.filter(patient=made["consenting"]).update(
        given_on=date(1993, 1, 1), version="v2")
    Consent.objects.filter(patient=made["withdrawn"]).update(
        given_on=date(1993, 1, 1), withdrawn_on=date(1995, 6, 1))
    Consent.objects.create(patient=made["future"], given_on=today + timedelta(days=3))
    Consent.objects.create(patient=made["empty"])  # a row with no date: not recorded
    for patient in made.values():
        series = SeriesFactory(patient=patient, number=1)
        LotNumber.objects.create(series=series, lot="LOT-7")
        VisitFactory(patient=patient, kind="baseline")
        TitreFactory(patient=patient)
    return made


def _excluded(cohort) -> list[str]:
    return [cohort[name].code for name in ("withdrawn", "unrecorded", "future", "empty")]


def test_reports_count_only_consented_patients(client, clinician, cohort):
    client.force_login(clinician)
    answers = [
        api(clinician).get("/api/v1/reports/table1/").content.decode(),
        api(clinician).get("/api/v1/reports/table1/?format=csv").content.decode(),
        client.get("/reports/table1.csv").content.decode(),
        client.get("/reports/").content.decode(),
    ]
    for text in answers:
        assert cohort["consenting"].code in text
        for code in _excluded(cohort):
            assert code not in text


def test_table2_counts_only_consented_patients(clinician, center):
    consenting = PatientFactory(center=center, code="IGM-1", diagnosis="igm_mgus_pn")
    PatientFactory(center=center, code="IGM-2", diagnosis="igm_mgus_pn", consent=None)
    for fmt in ("json", "csv"):
        text = api(clinician).get("/api/v1/reports/table2/", {"format": fmt}).content.decode()
        assert consenting.code in text and "IGM-2" not in text


def test_exports_hold_only_consented_patients(data_manager, researcher, cohort):
    assert {row["patient"] for row in export_rows(data_manager, "patients")} == {"MMN-951"}
    assert {row["patient"] for row in export_rows(researcher, "visits")} == {"MMN-951"}
    codes = set(scope_reportable_patients(Patient.objects.all(), researcher)
                .values_list("code", flat=True))
    assert codes == {"MMN-951"}


@pytest.mark.parametrize("path", ["patients", "visits", "titres", "series"])
def test_a_researcher_lists_only_consented_patients(researcher, cohort, path):
    rows = api(researcher).get(f"/api/v1/{path}/").json()["results"]
    ids = {row["id"] if path == "patients" else row["patient"] for row in rows}
    assert ids == {cohort["consenting"].pk}


def test_a_researcher_gets_no_detail_of_a_patient_without_consent(researcher, cohort):
    client = api(researcher)
    assert client.get(f"/api/v1/patients/{cohort['consenting'].pk}/").status_code == 200
    for name in ("withdrawn", "unrecorded", "future", "empty"):
        patient = cohort[name]
        assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
        assert client.get(f"/api/v1/patients/{patient.pk}/outcome/").status_code == 404
        visit = patient.visits.get()
        assert client.get(f"/api/v1/visits/{visit.pk}/").status_code == 404


def test_care_surfaces_never_filter_by_consent(client, clinician, researcher, cohort):
    """Clinicians read every patient of their centre; the lot look-up lists every
    recipient (traceability), researchers' included."""
    body = api(clinician).get("/api/v1/patients/").json()
    assert body["count"] == len(cohort)
    assert api(clinician).get(f"/api/v1/visits/?patient={cohort['withdrawn'].pk}").json()[
        "count"] == 1
    for user in (clinician, researcher):
        lots = api(user).get("/api/v1/lots/LOT-7/patients/").json()
        assert lots["count"] == len(cohort)
    client.force_login(clinician)
    for patient in cohort.values():
        assert client.get(f"/patients/{patient.pk}/").status_code == 200


def test_the_api_says_the_consent_state(clinician, cohort):
    rows = api(clinician).get("/api/v1/patients/").json()["results"]
    assert {row["code"]: row["consent_state"] for row in rows} == {
        "MMN-950": "withdrawn", "MMN-951": "given", "MMN-952": "not_recorded",
        "MMN-953": "not_recorded", "MMN-954": "not_recorded"}
    body = api(clinician).get(f"/api/v1/patients/{cohort['withdrawn'].pk}/").json()
    assert body["consent_state"] == "withdrawn"
    assert body["consent"]["withdrawn_on"] == "1995-06-01"


def test_consent_state_is_read_only(clinician, cohort):
    patient = cohort["unrecorded"]
    response = api(clinician).patch(f"/api/v1/patients/{patient.pk}/", {
        "version": patient.version, "consent_state": "given"}, format="json")
    assert response.status_code in (200, 400)
    assert api(clinician).get(f"/api/v1/patients/{patient.pk}/").json()[
        "consent_state"] == "not_recorded"


def test_the_patient_page_says_the_consent_state(client, clinician, cohort):
    client.force_login(clinician)
    page = client.get(f"/patients/{cohort['withdrawn'].pk}/").content.decode()
    assert "Consent withdrawn on 1995-06-01" in page
    assert "excluded from reports and exports" in page
    for name in ("unrecorded", "future", "empty"):
        page = client.get(f"/patients/{cohort[name].pk}/").content.decode()
        assert "consent not recorded — not in reports or exports" in page.lower()
    other = client.get(f"/patients/{cohort['consenting'].pk}/").content.decode()
    assert "given on 1993-01-01 (version v2)" in other
    assert "not in reports" not in other and "excluded from reports" not in other


# The patient form (pages): consent, and identity for the patient's own centre.

def _patient_post(**extra):
    return {"code": "MMN-960", "center": "", "sex": "F", "birth_year": "1960",
            "diagnosis": "mmn", "onset_year": "", "neuropathy_pattern": "", "notes": "",
            **extra}


def test_the_patient_form_records_consent_and_identity(client, clinician, center):
    client.force_login(clinician)
    page = client.get(reverse("patients:new")).content.decode()
    assert 'name="consent_given_on"' in page and 'name="identity_hospital_number"' in page
    response = client.post(reverse("patients:new"), _patient_post(
        center=center.pk, consent_given_on="2024-03-01", consent_version="2.1",
        identity_name="Jane Example", identity_date_of_birth="1960-04-02",
        identity_hospital_number="H-77"))
    assert response.status_code == 302
    patient = Patient.objects.get(code="MMN-960")
    assert (patient.consent.given_on, patient.consent.version) == (date(2024, 3, 1), "2.1")
    identity = Identity.objects.get(patient=patient)
    assert (identity.name, identity.hospital_number) == ("Jane Example", "H-77")
    assert identity.history.first().history_user == clinician


def test_the_patient_form_edits_and_withdraws_consent(client, clinician, center):
    patient = PatientFactory(center=center, code="MMN-961")
    client.force_login(clinician)
    url = reverse("patients:edit", args=[patient.pk])
    form = client.get(url).context["form"]
    assert form["consent_given_on"].value() == date(1990, 1, 1)
    response = client.post(url, _patient_post(
        code="MMN-961", version=patient.version, consent_given_on="1990-01-01",
        consent_version="1.0", consent_withdrawn_on="2020-05-05",
        identity_hospital_number="H-9"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.consent.withdrawn_on == date(2020, 5, 5)
    assert Identity.objects.get(patient=patient).hospital_number == "H-9"
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Consent withdrawn on 2020-05-05" in page


def test_the_patient_form_refuses_a_withdrawal_before_the_consent(client, clinician, center):
    patient = PatientFactory(center=center, code="MMN-962")
    client.force_login(clinician)
    url = reverse("patients:edit", args=[patient.pk])
    response = client.post(url, _patient_post(
        code="MMN-962", version=patient.version, notes="changed",
        consent_given_on="2020-01-01", consent_withdrawn_on="2019-01-01"))
    assert response.status_code == 200
    assert "Consent cannot be withdrawn before it was given." in response.content.decode()
    patient.refresh_from_db()
    assert patient.notes == "" and patient.consent.withdrawn_on is None


def test_an_unchanged_consent_is_not_rewritten(client, clinician, center):
    patient = PatientFactory(center=center, code="MMN-963")
    client.force_login(clinician)
    url = reverse("patients:edit", args=[patient.pk])
    before = patient.consent.history.count()
    response = client.post(url, _patient_post(
        code="MMN-963", version=patient.version, notes="seen",
        consent_given_on="1990-01-01", consent_version="1.0"))
    assert response.status_code == 302
    assert patient.consent.history.count() == before
