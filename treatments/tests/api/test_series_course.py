"""``series/`` and ``patients/{id}/outcome/`` with the treatment course (clinical-rules.md
§10; api.md, additions of 2026-12-01)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory, SeriesFactory
from treatments import services
from treatments.models import Outcome, Series

URL = "/api/v1/series/"
NEW = {"started_on": "2020-01-10", "days": 5, "dose_g_per_kg": 2.0, "weight_kg": 100,
       "product": "Privigen", "lot_numbers": ["A1"], "status": "given"}

pytestmark = pytest.mark.django_db


def post(user, patient, **fields):
    return api(user).post(URL, {**NEW, "patient": patient.pk, **fields}, format="json")


def test_defaults_iv_maintenance_28_days_actual_weight(clinician, patient):
    response = post(clinician, patient)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["route"], body["regimen"], body["expected_interval_days"],
            body["dose_basis"], body["height_cm"], body["grams_given"]) == (
        "iv", "maintenance", 28, "actual", None, None)
    assert (body["dosing_weight_kg"], body["total_grams"], body["prescribed_grams"]) == (
        100.0, 200.0, 200.0)
    assert Series.objects.get().dosing_rules_version == "seed-2"


def test_sc_defaults_to_a_weekly_interval_and_one_gram_steps(clinician, patient):
    response = post(clinician, patient, route="sc", dose_g_per_kg=0.4, weight_kg=70.3)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["expected_interval_days"], body["total_grams"], body["prescribed_grams"]) == (
        7, 28.1, 28.0)


def test_adjusted_weight_and_rounding_to_5_g(clinician, patient):
    # a man of 180 cm, 100 kg: adjusted 85.0 kg; 1.0 g/kg → 85 g
    response = post(clinician, patient, dose_basis="adjusted", height_cm=180,
                    dose_g_per_kg=1.0, expected_interval_days=21, regimen="loading")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["dosing_weight_kg"], body["total_grams"], body["prescribed_grams"],
            body["expected_interval_days"], body["regimen"]) == (85.0, 85.0, 85.0, 21,
                                                                 "loading")


@pytest.mark.parametrize(("fields", "named"), [
    ({"dose_basis": "ideal"}, "height_cm"),
    ({"dose_basis": "adjusted", "height_cm": 150}, "dose_basis"),
    ({"route": "iv", "dose_g_per_kg": 0.05}, "dose_g_per_kg"),
    ({"route": "im"}, "route"),
    ({"regimen": "taper"}, "regimen"),
    ({"dose_basis": "lean"}, "dose_basis"),
    ({"expected_interval_days": 0}, "expected_interval_days"),
    ({"height_cm": 20}, "height_cm"),
    ({"grams_given": -5}, "grams_given"),
])
def test_bad_course_input_is_a_400_naming_the_field(clinician, patient, fields, named):
    response = post(clinician, patient, **fields)
    assert response.status_code == 400
    assert named in response.json(), response.json()
    assert not Series.objects.exists()


def test_under_18_cannot_be_dosed_on_ideal_weight(clinician, center):
    child = PatientFactory(center=center, birth_year=2005, onset_year=None)
    response = post(clinician, child, dose_basis="ideal", height_cm=170)
    assert response.status_code == 400
    assert "dose_basis" in response.json()


def test_sc_dose_of_0_05_is_accepted(clinician, patient):
    assert post(clinician, patient, route="sc", dose_g_per_kg=0.05).status_code == 201


def test_dosing_values_change_only_when_the_series_is_edited(clinician, patient):
    body = post(clinician, patient).json()
    # a rule set made later rounds to 10 g; the stored record keeps its 5 g rounding
    services.rule_set_create(version="seed-9", parameters={"round_grams_iv": 10},
                             defaults=["mmn"])
    client = api(clinician)
    url = f"{URL}{body['id']}/"
    notes = client.patch(url, {"product": "Gammagard", "version": body["version"]},
                         format="json").json()
    assert (notes["prescribed_grams"], Series.objects.get().dosing_rules_version) == (
        200.0, "seed-2")
    edited = client.patch(url, {"weight_kg": 71.2, "version": notes["version"]},
                          format="json").json()
    # 142.4 g → 140 with 10 g steps, computed with the rule set of that moment
    assert (edited["dosing_weight_kg"], edited["total_grams"], edited["prescribed_grams"]) == (
        71.2, 142.4, 140.0)
    assert Series.objects.get().dosing_rules_version == "seed-9"


def test_computed_values_are_read_only(clinician, patient):
    response = post(clinician, patient, prescribed_grams=1, dosing_weight_kg=1, total_grams=1)
    assert response.status_code == 201
    assert response.json()["prescribed_grams"] == 200.0


def test_dose_intensity_comes_from_the_stored_outcome(clinician, patient):
    start = date(2020, 1, 10)
    for number in range(1, 5):
        services.series_give(patient=patient, data={
            "started_on": start + timedelta(days=28 * (number - 1)), "days": 5,
            "dose_g_per_kg": Decimal("2.0"), "weight_kg": Decimal("70"), "product": "IVIg"})
    services.outcome_recompute(patient_id=patient.pk)
    rows = api(clinician).get(URL, {"patient": patient.pk}).json()["results"]
    assert [row["dose_intensity_g_per_kg_4w"] for row in sorted(
        rows, key=lambda r: r["number"])] == [None, None, None, 2.0]


def test_outcome_has_the_schedule(clinician, patient):
    started = date.today() - timedelta(days=50)
    services.series_give(patient=patient, data={
        "started_on": started, "days": 5, "dose_g_per_kg": Decimal("2.0"),
        "weight_kg": Decimal("70"), "product": "IVIg"})
    services.outcome_recompute(patient_id=patient.pk)
    body = api(clinician).get(f"/api/v1/patients/{patient.pk}/outcome/").json()
    assert body["next_series_due"] == (started + timedelta(days=28)).isoformat()
    assert body["overdue"] is True  # 22 days past due, more than 7
    assert body["series"][0]["route"] == "iv"


def test_an_outcome_becoming_overdue_is_marked_stale_by_the_sweep(patient):
    started = date.today() - timedelta(days=30)
    services.series_give(patient=patient, data={
        "started_on": started, "days": 5, "dose_g_per_kg": Decimal("2.0"),
        "weight_kg": Decimal("70"), "product": "IVIg"})
    services.outcome_recompute(patient_id=patient.pk)
    outcome = Outcome.objects.get(patient=patient)
    assert (outcome.result["overdue"], outcome.stale) == (False, False)
    assert services.outcomes_mark_overdue_stale(today=date.today()) == []
    later = started + timedelta(days=28 + 8)
    assert services.outcomes_mark_overdue_stale(today=later) == [patient.pk]
    assert Outcome.objects.get(patient=patient).stale


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_with_the_course(clinician, patient, rows, django_assert_num_queries):
    for number in range(1, rows + 1):
        SeriesFactory(patient=patient, number=number,
                      started_on=date(2000, 1, 1) + timedelta(days=28 * number))
    client = api(clinician)
    # auth, count, series with patients, previous start and the outcome's series rows,
    # lots, adverse events
    with django_assert_num_queries(AUTH_QUERIES + 4):
        assert len(client.get(URL).json()["results"]) == rows
