from datetime import date
from decimal import Decimal

import pytest

from patients.models import Titre
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory, TitreFactory
from treatments.models import TitreThreshold

URL = "/api/v1/titres/"
NEW = {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM", "method": "elisa",
       "value": 3200, "unit": "dilution"}

pytestmark = pytest.mark.django_db


def threshold(value: str = "1600") -> TitreThreshold:
    # A data migration seeds the thresholds: set this assay's value.
    row, _ = TitreThreshold.objects.update_or_create(
        antigen="gm1", isotype="IgM", method="elisa", unit="dilution",
        defaults={"value": Decimal(value)},
    )
    TitreThreshold.objects.filter(antigen="mag").delete()
    return row


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_significance_follows_the_threshold(clinician, patient):
    threshold("1600")
    TitreFactory(patient=patient, value=Decimal("3200"))
    TitreFactory(patient=patient, value=Decimal("800"), sampled_on=date(1995, 1, 1))
    TitreFactory(patient=patient, antigen="mag", sampled_on=date(1996, 1, 1))
    rows = api(clinician).get(URL, {"patient": patient.pk}).json()["results"]
    assert [row["significant"] for row in rows] == [True, False, None]


def test_create(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 1
    assert response.json()["value"] == 3200


@pytest.mark.parametrize("bad", [
    {"antigen": "gx9"}, {"value": -1}, {"value": "lots"}, {"sampled_on": "yesterday"},
    {"unit": None},
])
def test_bad_input_names_the_field(clinician, patient, bad):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, **bad}, format="json")
    assert response.status_code == 400
    assert set(bad) <= set(response.json())
    assert not Titre.objects.exists()


def test_patient_of_another_centre_is_a_400(clinician, other_patient):
    response = api(clinician).post(URL, {**NEW, "patient": other_patient.pk}, format="json")
    assert response.status_code == 400
    assert "patient" in response.json()


def test_unknown_patient_is_a_400(clinician):
    response = api(clinician).post(URL, {**NEW, "patient": 99999999}, format="json")
    assert response.status_code == 400
    assert "patient" in response.json()


def test_researcher_cannot_write(researcher, patient):
    assert api(researcher).post(URL, {**NEW, "patient": patient.pk},
                                format="json").status_code == 403


def test_other_centre_titre_is_404(clinician, other_patient):
    titre = TitreFactory(patient=other_patient)
    assert api(clinician).get(f"{URL}{titre.pk}/").status_code == 404
    assert api(clinician).delete(f"{URL}{titre.pk}/").status_code == 404


def test_patch_and_stale_version(clinician, patient):
    titre = TitreFactory(patient=patient)
    client = api(clinician)
    response = client.patch(f"{URL}{titre.pk}/", {"value": 6400, "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    response = client.patch(f"{URL}{titre.pk}/", {"value": 1, "version": 1}, format="json")
    assert response.status_code == 409
    titre.refresh_from_db()
    assert titre.value == 6400


def test_a_titre_cannot_move_to_another_patient(clinician, patient, center):
    titre = TitreFactory(patient=patient)
    other = PatientFactory(center=center)
    response = api(clinician).patch(f"{URL}{titre.pk}/", {"patient": other.pk, "version": 1},
                                    format="json")
    assert response.status_code == 400
    assert "patient" in response.json()


def test_delete(clinician, patient):
    titre = TitreFactory(patient=patient)
    assert api(clinician).delete(f"{URL}{titre.pk}/").status_code == 204
    assert not Titre.objects.exists()


def test_filters(clinician, patient):
    TitreFactory(patient=patient, sampled_on=date(1994, 1, 1))
    TitreFactory(patient=patient, sampled_on=date(1999, 1, 1))
    rows = api(clinician).get(URL, {"sampled_after": "1995-01-01"}).json()["results"]
    assert [row["sampled_on"] for row in rows] == ["1999-01-01"]
    assert api(clinician).get(URL, {"sampled_after": "soon"}).status_code == 400
    assert api(clinician).get(URL, {"patient": "abc"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count(clinician, patient, rows, django_assert_num_queries):
    threshold()
    for _ in range(rows):
        TitreFactory(patient=patient)
    client = api(clinician)
    # auth, count, titres with patients, thresholds
    with django_assert_num_queries(AUTH_QUERIES + 3):
        assert len(client.get(URL).json()["results"]) == rows


def test_detail_query_count(clinician, patient, django_assert_num_queries):
    titre = TitreFactory(patient=patient)
    client = api(clinician)
    # auth, titre with patient, thresholds
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert client.get(f"{URL}{titre.pk}/").status_code == 200
