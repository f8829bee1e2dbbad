"""``reports/consumption/`` (clinical-rules.md §10, "Consumption") against totals computed
by hand."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from registry.models import Role
from registry.services import membership_grant
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory
from treatments import services

URL = "/api/v1/reports/consumption/"
D0 = date(2020, 1, 6)
PERIOD = {"from": D0.isoformat(), "to": (D0 + timedelta(days=112)).isoformat()}

pytestmark = pytest.mark.django_db


def give(patient, day, dose, weight, product, **fields):
    services.series_give(patient=patient, data={
        "started_on": D0 + timedelta(days=day), "days": 1, "dose_g_per_kg": Decimal(dose),
        "weight_kg": Decimal(weight), "product": product, **fields})


@pytest.fixture
def cohort(center, other_center):
    """P1 (MMN, north): IVIg 2 g/kg × 70 kg = 140 g every 28 days, days 0–112, series 4
    given 130 g. P2 (CIDP, north, no consent recorded): SCIg 0.4 g/kg × 50 kg = 20 g weekly,
    days 0–91. P3 (MMN, south): 1 g/kg × 80 kg = 80 g on days 0 and 60, and day 200 (after
    the period)."""
    p1 = PatientFactory(center=center, diagnosis="mmn")
    for n, day in enumerate((0, 28, 56, 84, 112), start=1):
        give(p1, day, "2.0", "70", "Privigen",
             **({"grams_given": Decimal("130")} if n == 4 else {}))
    p2 = PatientFactory(center=center, diagnosis="cidp", consent=None, onset_year=None)
    for week in range(14):
        give(p2, 7 * week, "0.4", "50", "Hizentra", route="sc")
    p3 = PatientFactory(center=other_center, diagnosis="mmn")
    for day in (0, 60, 200):
        give(p3, day, "1.0", "80", "Gammagard")
    return p1, p2, p3


def figures(row):
    return {k: row[k] for k in ("grams", "series", "patients", "patient_years",
                                "grams_per_patient_year", "median_dose_intensity")}


def test_totals_by_hand(cohort, center, other_center, data_manager):
    membership_grant(user=data_manager, center=other_center, role=Role.DATA_MANAGER)
    body = api(data_manager).get(URL, PERIOD).json()
    # grams 690 + 280 + 160; days covered 5 × 28 + (13 × 7 + 7) + (42 + 42) = 322;
    # 322 / 365.25 = 0.88 years; 1130 × 365.25 / 322 = 1281.78 g per patient-year;
    # intensities: P1 2.0 (series 4 and 5), P2 1.6 (series 13 and 14), P3 none → median 1.8
    assert figures(body["total"]) == {
        "grams": 1130.0, "series": 21, "patients": 3, "patient_years": 0.88,
        "grams_per_patient_year": 1281.78, "median_dose_intensity": 1.8}
    by_diagnosis = {row["diagnosis"]: figures(row) for row in body["by_diagnosis"]}
    # CIDP: 280 g over 98 days (0.27 years, 1043.57 g/year); MMN: 850 g over 224 days
    assert by_diagnosis == {
        "cidp": {"grams": 280.0, "series": 14, "patients": 1, "patient_years": 0.27,
                 "grams_per_patient_year": 1043.57, "median_dose_intensity": 1.6},
        "mmn": {"grams": 850.0, "series": 7, "patients": 2, "patient_years": 0.61,
                "grams_per_patient_year": 1385.99, "median_dose_intensity": 2.0},
    }
    assert [(row["product"], row["grams"]) for row in body["by_product"]] == [
        ("Gammagard", 160.0), ("Hizentra", 280.0), ("Privigen", 690.0)]
    assert [(row["center"], row["grams"], row["patients"]) for row in body["by_center"]] == [
        ("north", 970.0, 2), ("south", 160.0, 1)]


def test_scoped_to_the_users_centres_and_filtered(cohort, clinician):
    client = api(clinician)
    body = client.get(URL, PERIOD).json()
    assert (body["total"]["grams"], body["total"]["patients"]) == (970.0, 2)
    assert client.get(URL, {**PERIOD, "diagnosis": "cidp"}).json()["total"]["grams"] == 280.0
    assert client.get(URL, {**PERIOD, "center": "south"}).json()["total"]["patients"] == 0


def test_a_period_that_ends_before_it_starts_is_a_400_naming_to(clinician):
    response = api(clinician).get(URL, {"from": "2020-02-01", "to": "2020-01-01"})
    assert response.status_code == 400
    assert "to" in response.json()
    assert "from" in api(clinician).get(URL, {"from": "soon"}).json()
    assert api(clinician).get(URL, {"diagnosis": "flu"}).status_code == 400


def test_csv(cohort, clinician):
    response = api(clinician).get(URL, {**PERIOD, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0][:3] == ["group", "value", "grams"]
    assert ["total", "", "970.0"] == lines[1][:3]
    assert ["diagnosis", "cidp", "280.0"] == lines[2][:3]


def test_query_count(cohort, clinician, django_assert_num_queries):
    # auth, memberships (centre scope), the series of the patients treated in the period
    # that the report may read (``series_needed``)
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert api(clinician).get(URL, PERIOD).status_code == 200
