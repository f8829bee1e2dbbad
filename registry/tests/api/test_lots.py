from datetime import date

import pytest

from registry.factories import SeriesFactory
from registry.tests.api.helpers import AUTH_QUERIES, api
from treatments.models import LotNumber

pytestmark = pytest.mark.django_db


def lot(patient, name: str, number: int = 1) -> None:
    series = SeriesFactory(patient=patient, number=number, started_on=date(1994, number, 1))
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


@pytest.mark.parametrize("rows", [1, 5])
def test_query_count(clinician, patient, rows, django_assert_num_queries):
    for number in range(1, rows + 1):
        lot(patient, "AB12", number)
    client = api(clinician)
    # auth (2), lots joined with series and patients (the list is paginated in memory)
    with django_assert_num_queries(AUTH_QUERIES + 1):
        assert client.get("/api/v1/lots/AB12/patients/").json()["count"] == rows
