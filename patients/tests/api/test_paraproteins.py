from datetime import date

import pytest

from patients.models import Paraprotein
from registry.tests.api.helpers import AUTH_QUERIES, api

URL = "/api/v1/paraproteins/"
NEW = {"measured_on": "1995-02-03", "isotype": "IgM", "light_chain": "kappa",
       "serum_level_g_l": 4.5}

pytestmark = pytest.mark.django_db


def make(patient, **fields) -> Paraprotein:
    return Paraprotein.objects.create(patient=patient, measured_on=date(1995, 1, 1),
                                      isotype="IgM", **fields)


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_create_read_update_delete(clinician, patient):
    client = api(clinician)
    created = client.post(URL, {**NEW, "patient": patient.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["serum_level_g_l"] == 4.5
    url = f"{URL}{created.json()['id']}/"
    assert client.get(url).json()["light_chain"] == "kappa"
    assert client.patch(url, {"serum_level_g_l": 5, "version": 1},
                        format="json").json()["version"] == 2
    assert client.patch(url, {"serum_level_g_l": 6, "version": 1},
                        format="json").status_code == 409
    assert client.delete(url).status_code == 204
    assert not Paraprotein.objects.exists()


def test_out_of_range_level_is_a_400(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, "serum_level_g_l": 500},
                                   format="json")
    assert response.status_code == 400
    assert "serum_level_g_l" in response.json()


def test_other_centre_is_404(clinician, other_patient):
    record = make(other_patient)
    assert api(clinician).get(f"{URL}{record.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count(clinician, patient, rows, django_assert_num_queries):
    for _ in range(rows):
        make(patient)
    client = api(clinician)
    # auth, count, paraproteins with patients
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert len(client.get(URL, {"patient": patient.pk}).json()["results"]) == rows


def test_detail_query_count(clinician, patient, django_assert_num_queries):
    record = make(patient)
    client = api(clinician)
    # auth, paraprotein with patient
    with django_assert_num_queries(AUTH_QUERIES + 1):
        assert client.get(f"{URL}{record.pk}/").status_code == 200
