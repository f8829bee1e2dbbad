"""api.md "Conventions", resource by resource: 401 without credentials, 404 for another
centre's records whatever the method, 400 naming ``version`` when it is missing, 409 when
stale."""

from datetime import date
from decimal import Decimal

import pytest

from patients import services
from patients.models import NerveStudy, Paraprotein, Patient, PriorTreatment, Titre, Visit
from registry.tests.api.helpers import api
from treatments.models import Series
from treatments.services import series_give

pytestmark = pytest.mark.django_db


def records(patient) -> dict[str, object]:
    """One record of each writable resource, written through the services."""
    series = series_give(patient=patient, data={
        "started_on": date(1994, 1, 10), "days": 5, "dose_g_per_kg": Decimal("2"),
        "weight_kg": Decimal("70"), "product": "IVIg"}, lot_numbers=["L1"])
    return {
        "patients": patient,
        "titres": services.titre_record(patient=patient, data={
            "sampled_on": date(1994, 1, 1), "antigen": "gm1", "isotype": "IgM",
            "method": "elisa", "value": Decimal("800"), "unit": "dilution"}),
        "paraproteins": services.paraprotein_record(patient=patient, data={
            "measured_on": date(1994, 1, 1), "isotype": "IgM"}),
        "prior-treatments": services.prior_treatment_record(
            patient=patient, data={"kind": "steroids"}),
        "series": series,
        "visits": services.visit_record(patient=patient, data={
            "visited_on": date(1994, 1, 3), "kind": "baseline"}, mrc=[]),
        "nerve-studies": services.nerve_study_record(
            patient=patient, data={"studied_on": date(1994, 1, 4)}, segments=[]),
    }


# A harmless change per resource: a field that has no bearing on the others.
CHANGES = {
    "patients": {"notes": "seen"},
    "titres": {"value": 1600},
    "paraproteins": {"serum_level_g_l": 3.5},
    "prior-treatments": {"notes": "two courses"},
    "series": {"product": "Other IVIg"},
    "visits": {"examiner": "Dr B"},
    "nerve-studies": {"notes": "repeat"},
}
MODELS = {"patients": Patient, "titres": Titre, "paraproteins": Paraprotein,
          "prior-treatments": PriorTreatment, "series": Series, "visits": Visit,
          "nerve-studies": NerveStudy}
DELETABLE = {"titres", "paraproteins", "prior-treatments", "visits", "nerve-studies"}


def unchanged(resource: str, record) -> bool:
    stored = MODELS[resource].objects.get(pk=record.pk)
    return stored.version == 1 and all(
        getattr(stored, field) != value for field, value in CHANGES[resource].items())


@pytest.mark.parametrize("resource", list(CHANGES))
def test_version_missing_stale_then_right(clinician, patient, resource):
    record = records(patient)[resource]
    url = f"/api/v1/{resource}/{record.pk}/"
    client = api(clinician)
    for version in (None, 2, 0):
        body = CHANGES[resource] | ({} if version is None else {"version": version})
        response = client.patch(url, body, format="json")
        assert response.status_code == (409 if version == 2 else 400), response.json()
        if version is None:
            assert list(response.json()) == ["version"]
        assert unchanged(resource, record)
    response = client.patch(url, {**CHANGES[resource], "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    full = {k: v for k, v in response.json().items()
            if k not in ("id", "version", "total_grams", "interval_days", "score",
                         "significant", "created_at", "updated_at", "dosing_weight_kg",
                         "prescribed_grams", "dose_intensity_g_per_kg_4w")}
    stale = client.put(url, {**full, "version": 1}, format="json")
    assert stale.status_code == 409
    assert client.put(url, {**full, "version": 2}, format="json").json()["version"] == 3


@pytest.mark.parametrize("resource", list(CHANGES))
def test_another_centres_record_is_404_for_every_method(clinician, other_patient, resource):
    record = records(other_patient)[resource]
    url = f"/api/v1/{resource}/{record.pk}/"
    client = api(clinician)
    assert client.get(url).status_code == 404
    for method in (client.put, client.patch):
        response = method(url, {**CHANGES[resource], "version": 1}, format="json")
        assert response.status_code == 404
    assert client.delete(url).status_code == (404 if resource in DELETABLE else 405)
    assert unchanged(resource, record)


@pytest.mark.parametrize("resource", sorted(DELETABLE))
def test_researcher_cannot_change_or_delete(researcher, patient, resource):
    record = records(patient)[resource]
    url = f"/api/v1/{resource}/{record.pk}/"
    client = api(researcher)
    assert client.get(url).status_code == 200
    assert client.patch(url, {**CHANGES[resource], "version": 1},
                        format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert unchanged(resource, record)


def schema_operations():
    schema = api().get("/api/v1/schema/", {"format": "json"}).json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if operation.get("security") and path != "/api/v1/auth/token/":
                yield method, (path.replace("{id}", "1").replace("{lot}", "L1")
                               .replace("{dataset}", "patients"))


def test_every_operation_needs_credentials(db):
    operations = list(schema_operations())
    # centres 2, lots 1, reports 4 (Table 1, Table 2, consumption, measures), patients 5
    # + outcome + history, series 5, five deletable resources 6 each, exports 2 (the
    # dictionary and a dataset), centre writes 3, rule sets 3 (list, create, read), titre
    # thresholds 5 (no delete), block criteria 2, queries 4 (list, create, read, patch),
    # FHIR 2 (a patient's $everything, the CodeSystem), tailoring 6, the worklist 1,
    # access log 2, sign and unlock of visits and series 4 (the sum of this list, 83: the
    # merges of queries, FHIR, tailoring, the access log and sign-off each added theirs)
    assert len(operations) == 83
    for method, path in operations:
        response = getattr(api(), method)(path, {}, format="json")
        assert response.status_code == 401, (method, path)
        assert response["WWW-Authenticate"].startswith("Token")
    bad_token = api()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad_token.get("/api/v1/patients/").status_code == 401
