from datetime import date

import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import SeriesFactory
from treatments.models import AdverseEvent, LotNumber, Series

URL = "/api/v1/series/"
NEW = {"started_on": "1994-01-10", "days": 5, "dose_g_per_kg": 2.0, "weight_kg": 70,
       "product": "Gammagard", "lot_numbers": ["A1", "B2"], "status": "given",
       "stop_reason": "", "adverse_events": [
           {"kind": "headache", "severity": "mild", "led_to_stop": False, "notes": ""}]}

pytestmark = pytest.mark.django_db


def give(patient, number: int, started_on: date) -> Series:
    series = SeriesFactory(patient=patient, number=number, started_on=started_on)
    LotNumber.objects.create(series=series, lot=f"L{number}")
    return series


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_create_numbers_the_series(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1
    assert body["lot_numbers"] == ["A1", "B2"]
    assert body["total_grams"] == 140.0
    assert body["interval_days"] is None
    assert body["adverse_events"][0]["kind"] == "headache"


def test_wrong_number_is_a_400(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, "number": 3},
                                   format="json")
    assert response.status_code == 400
    assert "number" in response.json()
    assert not Series.objects.exists()


def test_dose_out_of_range_is_a_400(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, "dose_g_per_kg": 9},
                                   format="json")
    assert response.status_code == 400
    assert "dose_g_per_kg" in response.json()


def test_bad_adverse_event_names_its_index(clinician, patient):
    events = [NEW["adverse_events"][0], {"kind": "boredom", "severity": "mild"}]
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk,
                                         "adverse_events": events}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["adverse_events"]["1"]
    assert not Series.objects.exists()


def test_repeated_lot_is_a_400(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk,
                                         "lot_numbers": ["A1", "A1"]}, format="json")
    assert response.status_code == 400
    assert "lot_numbers" in response.json()
    assert not Series.objects.exists()


def test_interval_days(clinician, patient):
    give(patient, 1, date(1994, 1, 10))
    give(patient, 2, date(1994, 2, 9))
    rows = api(clinician).get(URL, {"patient": patient.pk}).json()["results"]
    assert [row["interval_days"] for row in rows] == [None, 30]


def test_update_and_stale_version(clinician, patient):
    series = give(patient, 1, date(1994, 1, 10))
    client = api(clinician)
    response = client.patch(f"{URL}{series.pk}/", {"status": "stopped", "stop_reason": "rash",
                                                   "lot_numbers": ["Z9"], "version": 1},
                            format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["lot_numbers"] == ["Z9"]
    assert response.json()["version"] == 2
    assert client.patch(f"{URL}{series.pk}/", {"status": "given", "version": 1},
                        format="json").status_code == 409
    series.refresh_from_db()
    assert series.status == "stopped"


def test_series_are_never_deleted(clinician, patient):
    series = give(patient, 1, date(1994, 1, 10))
    assert api(clinician).delete(f"{URL}{series.pk}/").status_code == 405
    assert Series.objects.filter(pk=series.pk).exists()


def test_other_centre_is_404(clinician, other_patient):
    series = give(other_patient, 1, date(1994, 1, 10))
    assert api(clinician).get(f"{URL}{series.pk}/").status_code == 404


def test_status_filter(clinician, patient):
    give(patient, 1, date(1994, 1, 10))
    assert api(clinician).get(URL, {"status": "stopped"}).json()["count"] == 0
    assert api(clinician).get(URL, {"status": "given"}).json()["count"] == 1
    assert api(clinician).get(URL, {"status": "maybe"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count(clinician, patient, rows, django_assert_num_queries):
    for number in range(1, rows + 1):
        give(patient, number, date(1994, 1, 1).replace(year=1994 + number))
    client = api(clinician)
    # auth, count, series with patients and previous start, lots, adverse events
    with django_assert_num_queries(AUTH_QUERIES + 4):
        assert len(client.get(URL).json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])  # lots and adverse events
def test_detail_query_count(clinician, patient, rows, django_assert_num_queries):
    series = give(patient, 1, date(1994, 1, 10))
    for number in range(rows):
        AdverseEvent.objects.create(series=series, kind="headache", severity="mild")
        if number:
            LotNumber.objects.create(series=series, lot=f"X{number}")
    client = api(clinician)
    # auth, series with patient and previous start, lots, adverse events
    with django_assert_num_queries(AUTH_QUERIES + 3):
        body = client.get(f"{URL}{series.pk}/").json()
    assert (len(body["lot_numbers"]), len(body["adverse_events"])) == (rows, rows)
