"""The series form with the treatment course (clinical-rules.md §10; ui.md, additions of
2026-12-01): route, regimen, interval, height, dose basis, and the live dosing values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from registry.tests.factories import SeriesFactory
from treatments.models import Series

pytestmark = pytest.mark.django_db


def new_url(patient):
    return reverse("treatments:series_new", args=[patient.pk])


def dosing_url(patient):
    return reverse("treatments:series_dosing", args=[patient.pk])


DATA = {"number": "1", "started_on": "2020-01-10", "days": "5", "dose_g_per_kg": "2.0",
        "weight_kg": "100", "product": "IVIg", "status": "given", "stop_reason": "",
        "lot_numbers": "A1", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


def test_a_first_series_is_proposed_as_loading(client, clinician, patient):
    client.force_login(clinician)
    form = client.get(new_url(patient)).context["form"]
    assert form.initial["regimen"] == "loading"


def test_the_last_series_course_is_proposed(client, clinician, patient):
    SeriesFactory(patient=patient, number=1, route="sc", expected_interval_days=7,
                  dose_g_per_kg=Decimal("0.4"), height_cm=Decimal("181"),
                  dose_basis="adjusted", weight_kg=Decimal("90"))
    client.force_login(clinician)
    form = client.get(new_url(patient)).context["form"]
    assert {name: form.initial[name] for name in (
        "route", "regimen", "expected_interval_days", "height_cm", "dose_basis", "weight_kg")
    } == {"route": "sc", "regimen": "maintenance", "expected_interval_days": 7,
          "height_cm": Decimal("181"), "dose_basis": "adjusted", "weight_kg": Decimal("90")}


def test_saving_stores_the_computed_dosing(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), {**DATA, "route": "iv", "regimen": "loading",
                                              "expected_interval_days": "", "height_cm": "180",
                                              "dose_basis": "adjusted"})
    assert response.status_code == 302
    series = Series.objects.get(patient=patient)
    assert (series.expected_interval_days, series.dosing_weight_kg, series.total_grams,
            series.prescribed_grams) == (28, Decimal("85.0"), Decimal("170.0"), Decimal("170"))


def test_ideal_weight_without_height_is_an_error_beside_the_height(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), {**DATA, "dose_basis": "ideal"})
    assert response.status_code == 200
    assert "height_cm" in response.context["form"].errors
    assert not Series.objects.exists()


def test_the_dosing_endpoint_answers_with_the_rule(client, clinician, patient,
                                                  django_assert_num_queries):
    client.force_login(clinician)
    query = {"route": "iv", "dose_g_per_kg": "2.0", "weight_kg": "100", "height_cm": "180",
             "dose_basis": "adjusted", "started_on": "2020-01-10"}
    # session, user, the patient (scoped), memberships for the write check, the rule set
    with django_assert_num_queries(5):
        body = client.get(dosing_url(patient), query).json()
    assert body == {"dosing_weight_kg": "85.0", "total_grams": "170.0",
                    "prescribed_grams": "170", "rules_version": "seed-2"}


@pytest.mark.parametrize(("query", "named"), [
    ({"dose_basis": "ideal"}, "height_cm"),
    ({"dose_basis": "ideal", "height_cm": "150"}, "dose_basis"),
    ({"weight_kg": "heavy"}, "weight_kg"),
    ({"route": "sc", "dose_g_per_kg": "4"}, "dose_g_per_kg"),
])
def test_the_dosing_endpoint_names_a_refused_input(client, clinician, patient, query, named):
    client.force_login(clinician)
    base = {"route": "iv", "dose_g_per_kg": "2.0", "weight_kg": "100", "dose_basis": "actual"}
    response = client.get(dosing_url(patient), {**base, **query})
    assert response.status_code == 400
    assert named in response.json()["errors"]


def test_the_dosing_endpoint_is_centre_scoped(client, other_centre_clinician, patient,
                                              researcher):
    client.force_login(other_centre_clinician)
    assert client.get(dosing_url(patient), {"route": "iv"}).status_code == 404
    client.force_login(researcher)
    assert client.get(dosing_url(patient), {"route": "iv"}).status_code in (403, 404)
