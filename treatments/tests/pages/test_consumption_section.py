"""The consumption report on /reports/ (ui.md: "also the consumption report ... with CSV")."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from registry.tests.factories import PatientFactory
from treatments import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def treated(center):
    patient = PatientFactory(center=center, diagnosis="cidp", consent=None, onset_year=None)
    for day in (6, 13):
        services.series_give(patient=patient, data={
            "started_on": date(2020, 1, day), "days": 1, "dose_g_per_kg": Decimal("0.4"),
            "weight_kg": Decimal("50"), "product": "Hizentra", "route": "sc"})
    return patient


def test_the_section_shows_the_period_totals(client, clinician, treated):
    client.force_login(clinician)
    response = client.get(reverse("treatments:reports"), {"from": "2020-01-01",
                                                          "to": "2020-01-31"})
    assert response.status_code == 200
    section = response.content.decode().split('id="consumption"')[1]
    # 2 × 20 g over 14 days; a patient without a recorded consent counts (an aggregate)
    assert '<td class="num">40.0</td><td class="num">2</td><td class="num">1</td>' in section
    assert "Hizentra" in section


def test_a_bad_period_is_a_400_naming_the_field(client, clinician):
    client.force_login(clinician)
    response = client.get(reverse("treatments:reports"), {"from": "2020-02-01",
                                                          "to": "2020-01-01"})
    assert response.status_code == 400
    assert response.context["consumption_errors"].keys() == {"to"}
    assert client.get(reverse("treatments:consumption_csv"),
                      {"from": "never"}).status_code == 400


def test_the_csv_download(client, clinician, treated):
    client.force_login(clinician)
    response = client.get(reverse("treatments:consumption_csv"),
                          {"from": "2020-01-01", "to": "2020-01-31"})
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[1][:5] == ["total", "", "40.0", "2", "1"]
