import pytest

from patients.models import PriorTreatment
from registry.tests.api.helpers import AUTH_QUERIES, api

URL = "/api/v1/prior-treatments/"
NEW = {"kind": "steroids", "started_on": "1990-01-01", "ended_on": "1991-01-01", "notes": ""}

pytestmark = pytest.mark.django_db


def make(patient, kind: str = "steroids") -> PriorTreatment:
    return PriorTreatment.objects.create(patient=patient, kind=kind)


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_create_update_delete(clinician, patient):
    client = api(clinician)
    created = client.post(URL, {**NEW, "patient": patient.pk}, format="json")
    assert created.status_code == 201, created.json()
    url = f"{URL}{created.json()['id']}/"
    assert client.put(url, {**NEW, "patient": patient.pk, "kind": "plasma_exchange",
                            "version": 1}, format="json").json()["kind"] == "plasma_exchange"
    assert client.put(url, {**NEW, "patient": patient.pk, "version": 1},
                      format="json").status_code == 409
    assert client.delete(url).status_code == 204


def test_end_before_start_is_a_400(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk,
                                         "ended_on": "1980-01-01"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not PriorTreatment.objects.exists()


def test_kind_filter(clinician, patient):
    make(patient, "steroids")
    make(patient, "chlorambucil")
    rows = api(clinician).get(URL, {"kind": "chlorambucil"}).json()["results"]
    assert [row["kind"] for row in rows] == ["chlorambucil"]
    assert api(clinician).get(URL, {"kind": "magic"}).status_code == 400


def test_other_centre_is_404(clinician, other_patient):
    record = make(other_patient)
    assert api(clinician).get(f"{URL}{record.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count(clinician, patient, rows, django_assert_num_queries):
    for _ in range(rows):
        make(patient)
    client = api(clinician)
    # auth, count, prior treatments with patients
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert len(client.get(URL).json()["results"]) == rows


def test_detail_query_count(clinician, patient, django_assert_num_queries):
    record = make(patient)
    client = api(clinician)
    # auth, prior treatment with patient
    with django_assert_num_queries(AUTH_QUERIES + 1):
        assert client.get(f"{URL}{record.pk}/").status_code == 200
