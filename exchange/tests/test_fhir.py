"""FHIR R4 out (docs/fhir.md): ``fhir/Patient/{id}/$everything`` and the registry's
CodeSystem, parsed back with fhir.resources' R4B models."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem

from exchange.fhir import DIAGNOSIS_SNOMED, FHIR_JSON
from exchange.tests.helpers import every_kind_of_record
from patients.demo.load import load_demo
from patients.models import Identity, MrcGrade, Patient
from registry.models import Role
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, clinical_history, member
from treatments.models import LotNumber, Series
from treatments.services import series_give

pytestmark = pytest.mark.django_db

SYSTEM = "https://ivig-registry.example.org/fhir"


def everything_url(patient) -> str:
    return f"/api/v1/fhir/Patient/{patient.pk}/$everything"


def bundle_of(user, patient) -> dict:
    answer = api(user).get(everything_url(patient))
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith(FHIR_JSON)
    return json.loads(answer.content)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def references(value) -> list[str]:
    """Every ``reference`` anywhere in a resource."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for item in value.values() for r in references(item)]
    if isinstance(value, list):
        return [r for item in value for r in references(item)]
    return []


def codings(value, system: str) -> set[str]:
    if isinstance(value, dict):
        found = {value["code"]} if value.get("system") == system and "code" in value else set()
        return found.union(*(codings(item, system) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(codings(item, system) for item in value))
    return set()


def codings_of_lots(bundle: dict) -> list[str]:
    return [m["batch"]["lotNumber"] for m in resources(bundle, "Medication") if "batch" in m]


def assert_well_formed(bundle: dict, patient: Patient) -> None:
    parsed = Bundle.model_validate(bundle)  # every resource as its R4B model
    assert parsed.type == "collection"
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    for entry in bundle["entry"]:
        assert set(references(entry["resource"])) <= urls, entry["resource"]["resourceType"]
    (subject,) = resources(bundle, "Patient")
    assert {"system": f"{SYSTEM}/patient-code", "value": patient.code, "use": "secondary"} in (
        subject["identifier"])
    # Every series: one administration, whose Medication(s) carry each of its lots.
    media = {e["fullUrl"]: e["resource"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "Medication"}
    administrations = resources(bundle, "MedicationAdministration")
    series = list(Series.objects.filter(patient=patient).order_by("number")
                  .prefetch_related("lots"))
    assert len(administrations) == len(series)
    for row, administration in zip(series, administrations, strict=True):
        assert administration["effectivePeriod"] == {
            "start": row.started_on.isoformat(),
            "end": (row.started_on + timedelta(days=row.days - 1)).isoformat()}
        assert administration["status"] == {"given": "completed", "stopped": "stopped"}[
            row.status]
        medication = media[administration["medicationReference"]["reference"]]
        lots = [medication["batch"]["lotNumber"]] if "batch" in medication else [
            media[i["itemReference"]["reference"]]["batch"]["lotNumber"]
            for i in medication.get("ingredient", [])]
        assert lots == [lot.lot for lot in row.lots.order_by("pk")]
        assert administration["dosage"]["dose"] == {
            "value": float(row.total_grams), "unit": "g", "system": "http://unitsofmeasure.org",
            "code": "g"}


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()


def test_the_bundle_of_every_demo_patient_is_valid_r4_with_every_lot(demo, superuser):
    patients = list(Patient.objects.order_by("code"))
    assert len(patients) == 28  # the demo's CIDP cohort (§9/§10) added five
    local = codes_of_the_code_system(superuser)
    lots = 0
    for patient in patients:
        bundle = bundle_of(superuser, patient)
        assert_well_formed(bundle, patient)
        assert codings(bundle, f"{SYSTEM}/CodeSystem/ivig-registry") <= local
        mrc = [o for o in resources(bundle, "Observation")
               if o["code"]["coding"][0]["code"] == "observation.mrc_grade"]
        assert len(mrc) == MrcGrade.objects.filter(visit__patient=patient).count()
        lots += len(codings_of_lots(bundle))
    assert lots == LotNumber.objects.count() > 0


def codes_of_the_code_system(user) -> set[str]:
    answer = api(user).get("/api/v1/fhir/CodeSystem/ivig-registry")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith(FHIR_JSON)
    system = CodeSystem.model_validate(json.loads(answer.content))
    assert system.url == f"{SYSTEM}/CodeSystem/ivig-registry"
    return {child.code for group in system.concept for child in group.concept}


def test_every_kind_of_record(center, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        every_kind_of_record(center)
    patient = Patient.objects.get(code="MMN-ALL")
    clinician = member(center=center, role=Role.CLINICIAN, username="doc")
    bundle = bundle_of(clinician, patient)
    assert_well_formed(bundle, patient)
    (subject,) = resources(bundle, "Patient")
    assert subject["name"] == [{"text": "Ann Example"}]
    assert subject["birthDate"] == "1950-03-04"
    assert subject["identifier"][0]["value"] == "H-0001"
    stopped = [a for a in resources(bundle, "MedicationAdministration")
               if a["status"] == "stopped"]
    assert stopped and stopped[0]["statusReason"] == [{"text": "Aseptic meningitis on day 3."}]
    events = resources(bundle, "AdverseEvent")
    assert sorted(e["event"]["coding"][0]["code"] for e in events) == [
        "adverse_event.headache", "adverse_event.meningitis"]
    meningitis = next(e for e in events if e["severity"]["coding"][0]["code"] == "severe")
    assert meningitis["suspectEntity"][0]["instance"]["reference"] == next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"] == stopped[0])
    assert meningitis["extension"][0]["valueBoolean"] is True
    observations = resources(bundle, "Observation")
    mrc = [o for o in observations if o["code"]["coding"][0]["code"] == "observation.mrc_grade"]
    assert all(o["bodySite"]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
               == "24028007" for o in mrc)  # every grid of the helper is on the right
    assert {o["bodySite"]["coding"][0]["code"] for o in mrc} >= {"muscle.deltoid"}
    # §9 grip strengths are decimals (valueQuantity in kPa), the other scores integers.
    scores = {(o["code"]["coding"][0]["code"], o["effectiveDateTime"],
               o["valueInteger"] if "valueInteger" in o else o["valueQuantity"]["value"])
              for o in observations if o["code"]["coding"][0]["code"].startswith("measure.")}
    assert all(o["valueQuantity"]["code"] == "kPa" for o in observations
               if o["code"]["coding"][0]["code"].startswith("measure.grip_"))
    assert ("measure.functional", "1995-01-10", 1) in scores
    assert ("measure.prineas", "1995-01-10", 1) in scores
    titres = [o for o in observations if o["code"]["coding"][0]["code"].startswith("titre.")]
    gq1b = next(o for o in titres if o["code"]["coding"][0]["code"] == "titre.gq1b.IgG")
    assert gq1b["method"]["coding"][0]["code"] == "titre_method.western_blot"
    assert gq1b["valueQuantity"]["value"] == 0
    assert gq1b["valueQuantity"]["code"] == "titre_unit.dilution"
    kinds = {e["type"][0]["coding"][0]["code"] for e in resources(bundle, "Encounter")}
    assert kinds == {"visit_kind.baseline", "visit_kind.post_series", "visit_kind.pre_series",
                     "visit_kind.follow_up", "visit_kind.final"}


def test_a_researcher_gets_no_direct_identifier(center, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        every_kind_of_record(center)
    patient = Patient.objects.get(code="MMN-ALL")
    researcher = member(center=center, role=Role.RESEARCHER, username="res")
    bundle = bundle_of(researcher, patient)
    assert_well_formed(bundle, patient)
    (subject,) = resources(bundle, "Patient")
    assert "name" not in subject
    assert subject["birthDate"] == "1950"
    assert [i["system"] for i in subject["identifier"]] == [f"{SYSTEM}/patient-code"]
    text = json.dumps(bundle)
    for identifier in ("Ann Example", "H-0001", "1950-03-04"):
        assert identifier not in text


def test_another_centres_patient_is_404(patient, other_patient, clinician, researcher):
    assert api(clinician).get(everything_url(patient)).status_code == 200
    assert api(clinician).get(everything_url(other_patient)).status_code == 404
    assert api(researcher).get(everything_url(other_patient)).status_code == 404
    assert api(clinician).get("/api/v1/fhir/Patient/999999/$everything").status_code == 404
    assert api().get(everything_url(patient)).status_code == 401


def test_a_researcher_sees_no_unconsented_patient(center, researcher):
    unconsented = PatientFactory(center=center, consent=None)
    assert api(researcher).get(everything_url(unconsented)).status_code == 404


def test_a_patient_without_lots_or_identity(center, clinician):
    patient = PatientFactory(center=center, diagnosis="cidp")
    series_give(patient=patient, data={
        "started_on": date(2000, 1, 1), "days": 1, "dose_g_per_kg": Decimal("0.4"),
        "weight_kg": Decimal("80"), "product": "Privigen"}, lot_numbers=[])
    assert not Identity.objects.filter(patient=patient).exists()
    bundle = bundle_of(clinician, patient)
    assert_well_formed(bundle, patient)
    (condition,) = resources(bundle, "Condition")
    assert condition["code"]["coding"][0] == {
        "system": "http://snomed.info/sct", "code": DIAGNOSIS_SNOMED["cidp"][0],
        "display": DIAGNOSIS_SNOMED["cidp"][1]}
    (medication,) = resources(bundle, "Medication")
    assert medication == {"resourceType": "Medication", "id": medication["id"],
                          "code": {"text": "Privigen"}}


def test_the_number_of_queries_does_not_grow_with_the_record(center, clinician):
    def queries(patient) -> int:
        client = api(clinician)
        client.get(everything_url(patient))  # the token's first use is not counted
        with CaptureQueriesContext(connection) as captured:
            assert client.get(everything_url(patient)).status_code == 200
        return len(captured)

    small, large = PatientFactory(center=center), PatientFactory(center=center)
    clinical_history(small, 1)
    clinical_history(large, 6)
    assert queries(small) == queries(large) <= 10


def test_unknown_query_parameters_are_refused(patient, clinician):
    answer = api(clinician).get(everything_url(patient), {"_count": "1"})
    assert answer.status_code == 400
    assert "_count" in answer.json()


def test_a_bundle_with_the_identity_is_in_the_access_log(
        center, django_capture_on_commit_callbacks):
    """issue 16, read-access log: the FHIR surface records who was shown a patient's
    identity; a researcher, shown none, leaves no entry."""
    from registry.models import AccessLog, AccessSurface

    with django_capture_on_commit_callbacks(execute=True):
        every_kind_of_record(center)
    patient = Patient.objects.get(code="MMN-ALL")
    clinician = member(center=center, role=Role.CLINICIAN, username="doc")
    researcher = member(center=center, role=Role.RESEARCHER, username="res")
    bundle_of(researcher, patient)
    assert not AccessLog.objects.exists()
    bundle_of(clinician, patient)
    entry = AccessLog.objects.get()
    assert (entry.username, entry.patient_id, entry.surface) == (
        "doc", patient.pk, AccessSurface.FHIR)
