"""clinical-rules.md §1 on every surface: a visit whose date disagrees with its kind is
refused naming ``visited_on`` (API, page, admin, import), a series change that would
break a visit is refused naming ``started_on``, and ``date_problems`` lists what is
already stored at odds (deleting nothing)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from exchange.imports import import_files
from exchange.tests.helpers import csv_file
from patients import services
from patients.models import Visit
from registry.tests.admin_forms import posted_form
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, SeriesFactory, VisitFactory
from treatments.models import Series
from treatments.services import series_give

pytestmark = pytest.mark.django_db

S1, S2 = date(1994, 1, 10), date(1994, 2, 7)

# kind, date, series number: one refused case per rule of §1 (the issue's two first).
REFUSED = [
    ("post_series", "1997-03-01", 2),  # years after the last series
    ("final", "1993-12-01", None),  # before series 1
    ("final", "1994-01-10", None),  # on the day series 1 starts
    ("baseline", "1994-01-11", None),
    ("pre_series", "1994-02-08", 2),  # after its series started
    ("pre_series", "1994-01-10", 2),  # not after series 1 started
    ("post_series", "1994-01-10", 1),  # not after its series started
    ("post_series", "1994-02-08", 1),  # after series 2 started
    ("post_series", "1994-03-22", 2),  # 43 days after the last series (1.5 × 28 = 42)
]
ACCEPTED = [
    ("baseline", "1994-01-10", None), ("pre_series", "1994-02-07", 2),
    ("post_series", "1994-02-07", 1), ("post_series", "1994-03-21", 2),
    ("final", "1994-01-11", None), ("follow_up", "1990-01-01", None),
]
IDS = [f"{kind}-{on}" for kind, on, _ in REFUSED]


@pytest.fixture
def treated(patient):
    return {1: SeriesFactory(patient=patient, number=1, started_on=S1),
            2: SeriesFactory(patient=patient, number=2, started_on=S2)}


def _series_id(treated, number):
    return treated[number].pk if number else None


@pytest.mark.parametrize(("kind", "on", "number"), REFUSED, ids=IDS)
def test_the_api_refuses_a_date_at_odds_with_the_kind(clinician, patient, treated, kind, on,
                                                      number):
    response = api(clinician).post("/api/v1/visits/", {
        "patient": patient.pk, "visited_on": on, "kind": kind,
        "series": _series_id(treated, number), "mrc": []}, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["visited_on"]
    assert not Visit.objects.exists()


@pytest.mark.parametrize(("kind", "on", "number"), ACCEPTED)
def test_the_api_accepts_a_date_that_agrees(clinician, patient, treated, kind, on, number):
    response = api(clinician).post("/api/v1/visits/", {
        "patient": patient.pk, "visited_on": on, "kind": kind,
        "series": _series_id(treated, number), "mrc": []}, format="json")
    assert response.status_code == 201, response.json()


def test_the_api_refuses_an_edit_that_puts_the_date_at_odds(clinician, patient, treated):
    visit = services.visit_record(patient=patient, data={
        "visited_on": date(1994, 1, 20), "kind": "post_series", "series": treated[1]})
    response = api(clinician).patch(f"/api/v1/visits/{visit.pk}/", {
        "version": visit.version, "kind": "final", "series": None,
        "visited_on": "1994-01-05"}, format="json")
    assert response.status_code == 400
    assert "after series 1 starts" in response.json()["visited_on"][0]
    visit.refresh_from_db()
    assert visit.kind == "post_series" and visit.version == 1


@pytest.mark.parametrize(("kind", "on", "number"), REFUSED, ids=IDS)
def test_the_visit_page_refuses_a_date_at_odds_with_the_kind(client, clinician, patient,
                                                             treated, kind, on, number):
    client.force_login(clinician)
    response = client.post(reverse("patients:visit_new", args=[patient.pk]), {
        "visited_on": on, "kind": kind, "series": _series_id(treated, number) or "",
        "examiner": "", "functional_score": "", "prineas_score": "", "notes": ""})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["visited_on"]
    assert not Visit.objects.exists()


@pytest.mark.parametrize(("kind", "on", "number"), REFUSED, ids=IDS)
def test_the_admin_refuses_a_date_at_odds_with_the_kind(client, data_manager, patient,
                                                        treated, kind, on, number):
    client.force_login(data_manager)
    url = reverse("admin:patients_visit_add")
    form = posted_form(client.get(url))
    form.update({"patient": patient.pk, "visited_on": on, "kind": kind,
                 "series": _series_id(treated, number) or ""})
    response = client.post(url, form)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["visited_on"]
    assert not Visit.objects.exists()


VISIT_COLUMNS = ["patient", "visited_on", "kind", "series", "examiner", "functional_score",
                 "prineas_score", "notes"]


@pytest.mark.parametrize(("kind", "on", "number"), REFUSED, ids=IDS)
def test_the_import_refuses_a_date_at_odds_with_the_kind(data_manager, patient, treated,
                                                         kind, on, number):
    visits = csv_file(VISIT_COLUMNS, [patient.code, on, kind, number or "", "", "", "", ""])
    report = import_files(user=data_manager, files={"visits": visits})
    assert [(p.file, p.line, p.column) for p in report.problems] == [
        ("visits.csv", 2, "visited_on")]
    assert not Visit.objects.exists()


def test_moving_a_series_start_that_would_break_a_visit_is_refused(clinician, patient, treated):
    services.visit_record(patient=patient, data={
        "visited_on": date(1994, 1, 24), "kind": "post_series", "series": treated[1]})
    series = treated[2]
    response = api(clinician).patch(f"/api/v1/series/{series.pk}/", {
        "version": series.version, "started_on": "1994-01-20"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["started_on"]
    assert "post_series visit of 1994-01-24" in response.json()["started_on"][0]
    series.refresh_from_db()
    assert series.started_on == S2
    moved = api(clinician).patch(f"/api/v1/series/{series.pk}/", {
        "version": series.version, "started_on": "1994-02-14"}, format="json")
    assert moved.status_code == 200  # a later start breaks nothing


def test_a_new_series_that_would_break_a_visit_is_refused(patient, treated):
    services.visit_record(patient=patient, data={
        "visited_on": date(1994, 3, 1), "kind": "post_series", "series": treated[2]})
    data = {"started_on": date(1994, 2, 25), "days": 5, "dose_g_per_kg": Decimal("2.0"),
            "weight_kg": Decimal("70"), "product": "IVIg"}
    with pytest.raises(ValidationError) as refused:
        series_give(patient=patient, data=data)
    assert list(refused.value.message_dict) == ["started_on"]
    assert not Series.objects.filter(number=3).exists()
    series_give(patient=patient, data={**data, "started_on": date(1994, 3, 7)})


def test_a_visit_already_at_odds_does_not_block_an_unrelated_series_change(patient, treated):
    VisitFactory(patient=patient, kind="baseline", visited_on=date(1995, 1, 1))  # stored at odds
    from treatments.services import series_update

    series_update(series=treated[2], version=1, data={"started_on": date(1994, 2, 10)})


def test_the_command_lists_the_stored_visits_at_odds_and_deletes_nothing(capsys, patient,
                                                                         treated):
    VisitFactory(patient=patient, kind="final", visited_on=date(1993, 12, 1))
    late = VisitFactory(patient=patient, kind="post_series", series=treated[1],
                        visited_on=date(1997, 3, 1))
    VisitFactory(patient=patient, kind="baseline", visited_on=date(1994, 1, 3))  # agrees
    other = PatientFactory(code="MMN-902", center=patient.center)
    VisitFactory(patient=other, kind="final", visited_on=date(1994, 1, 1))  # no series

    call_command("date_problems")
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("MMN-900\t") and "1993-12-01\tfinal\t" in lines[0]
    assert f"visit {late.pk}\t1997-03-01\tpost_series (series 1)\t" in lines[1]
    assert "before series 2 starts (1994-02-07)" in lines[1]
    assert lines[2].startswith("MMN-902\t") and "no series yet" in lines[2]
    assert "3 visit(s)" in out.err
    assert Visit.objects.count() == 4

    call_command("date_problems", "--patient", "MMN-902")
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_the_issue_cases_are_refused_where_they_were_201(clinician, patient):
    """A post_series visit of the only series dated years later; a final visit before it."""
    only = SeriesFactory(patient=patient, number=1, started_on=S1)
    client = api(clinician)
    late = client.post("/api/v1/visits/", {"patient": patient.pk, "visited_on": "1997-01-10",
                                           "kind": "post_series", "series": only.pk},
                       format="json")
    early = client.post("/api/v1/visits/", {"patient": patient.pk, "visited_on": "1993-06-01",
                                            "kind": "final", "series": None}, format="json")
    assert (late.status_code, early.status_code) == (400, 400)
    assert "within 42 days of its start (on or before 1994-02-21)" in late.json()["visited_on"][0]
    assert "after series 1 starts (1994-01-10)" in early.json()["visited_on"][0]


def test_the_series_page_refuses_a_start_that_would_break_a_visit(client, clinician, patient,
                                                                  treated):
    services.visit_record(patient=patient, data={
        "visited_on": date(1994, 1, 24), "kind": "post_series", "series": treated[1]})
    series = treated[2]
    client.force_login(clinician)
    url = reverse("treatments:series_edit", args=[patient.pk, series.pk])
    response = client.post(url, {
        "number": "2", "started_on": "1994-01-20", "days": "5", "dose_g_per_kg": "2.0",
        "weight_kg": "70", "product": "IVIg", "status": "given", "stop_reason": "",
        "lot_numbers": "", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        "version": series.version})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["started_on"]
    series.refresh_from_db()
    assert series.started_on == S2


def test_the_admin_refuses_a_series_start_that_would_break_a_visit(client, data_manager,
                                                                    patient, treated):
    services.visit_record(patient=patient, data={
        "visited_on": date(1994, 1, 24), "kind": "post_series", "series": treated[1]})
    client.force_login(data_manager)
    url = reverse("admin:treatments_series_change", args=[treated[2].pk])
    form = posted_form(client.get(url))
    response = client.post(url, {**form, "started_on": "1994-01-20"})
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["started_on"]
    treated[2].refresh_from_db()
    assert treated[2].started_on == S2 and treated[2].version == 1
