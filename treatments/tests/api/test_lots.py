from datetime import date, timedelta

import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory, SeriesFactory
from treatments.models import LotNumber

pytestmark = pytest.mark.django_db


def lot(patient, name: str, number: int = 1) -> None:
    started_on = date(1994, 1, 1) + timedelta(days=28 * (number - 1))
    series = SeriesFactory(patient=patient, number=number, started_on=started_on)
    LotNumber.objects.create(series=series, lot=name)


def test_recipients_in_my_centres(clinician, patient, other_patient):
    lot(patient, "AB12")
    lot(other_patient, "AB12")
    body = api(clinician).get("/api/v1/lots/ab12/patients/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["code"], row["series"], row["started_on"]) == ("MMN-900", 1, "1994-01-01")


def test_unknown_lot_is_empty(clinician):
    assert api(clinician).get("/api/v1/lots/none/patients/").json()["count"] == 0


def test_anonymous_gets_401():
    assert api().get("/api/v1/lots/x/patients/").status_code == 401


def test_ordering_and_patient_filter(clinician, patient, center):
    other = PatientFactory(center=center, code="MMN-100")
    lot(patient, "AB12", 1)
    lot(patient, "AB12", 2)
    lot(other, "AB12", 1)
    client = api(clinician)
    rows = client.get("/api/v1/lots/AB12/patients/").json()["results"]
    assert [(r["code"], r["series"]) for r in rows] == [
        ("MMN-100", 1), ("MMN-900", 1), ("MMN-900", 2)]
    rows = client.get("/api/v1/lots/AB12/patients/",
                      {"ordering": "-started_on,code"}).json()["results"]
    assert [(r["code"], r["series"]) for r in rows] == [
        ("MMN-900", 2), ("MMN-100", 1), ("MMN-900", 1)]
    body = client.get("/api/v1/lots/AB12/patients/", {"patient": patient.pk}).json()
    assert {r["code"] for r in body["results"]} == {"MMN-900"}
    assert client.get("/api/v1/lots/AB12/patients/", {"ordering": "name"}).status_code == 400
    assert client.get("/api/v1/lots/AB12/patients/", {"patient": "x"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 50])
def test_query_count(clinician, patient, rows, django_assert_num_queries):
    for number in range(1, rows + 1):
        lot(patient, "AB12", number)
    client = api(clinician)
    # auth, lots joined with series and patients (the list is paginated in memory)
    with django_assert_num_queries(AUTH_QUERIES + 1):
        assert client.get("/api/v1/lots/AB12/patients/").json()["count"] == rows
