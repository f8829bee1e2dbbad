import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_table1_json(clinician, patient, other_patient):
    response = api(clinician).get("/api/v1/reports/table1/")
    assert response.status_code == 200
    body = response.json()
    assert [row["case"] for row in body["rows"]] == ["MMN-900"]


def test_table1_csv(clinician, patient):
    response = api(clinician).get("/api/v1/reports/table1/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert b"MMN-900" in response.content


def test_table2_filters(clinician, center):
    PatientFactory(center=center, code="IGM-1", diagnosis="igm_mgus_pn")
    body = api(clinician).get("/api/v1/reports/table2/", {"center": "north"}).json()
    assert "IGM-1" in str(body)
    body = api(clinician).get("/api/v1/reports/table2/", {"center": "south"}).json()
    assert "IGM-1" not in str(body)
    response = api(clinician).get("/api/v1/reports/table2/", {"format": "csv"})
    assert response.status_code == 200


def test_unknown_diagnosis_is_a_400(clinician):
    response = api(clinician).get("/api/v1/reports/table1/", {"diagnosis": "flu"})
    assert response.status_code == 400
    assert "diagnosis" in response.json()


def test_anonymous_gets_401():
    assert api().get("/api/v1/reports/table1/").status_code == 401


@pytest.mark.parametrize("rows", [1, 50])
def test_table1_query_count(clinician, center, rows, django_assert_num_queries):
    for _ in range(rows):
        PatientFactory(center=center)
    client = api(clinician)
    # auth, affected nerves, series per patient, cohort with its outcome keys
    with django_assert_num_queries(AUTH_QUERIES + 3):
        assert len(client.get("/api/v1/reports/table1/").json()["rows"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_table2_query_count(clinician, center, rows, django_assert_num_queries):
    for _ in range(rows):
        PatientFactory(center=center, diagnosis="igm_mgus_pn")
    client = api(clinician)
    # auth, prior treatments, IgM paraproteins, series per patient, cohort with its
    # outcome keys and stopping adverse events
    with django_assert_num_queries(AUTH_QUERIES + 4):
        assert client.get("/api/v1/reports/table2/").status_code == 200
