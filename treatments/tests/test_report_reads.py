"""The reports' reads: on PostgreSQL the cohort's ids go in as one array and the
consumption report reads only the series ``series_needed`` may keep; the other databases
(SQLite, ``make run``) take the ORM's path. Both paths run here on PostgreSQL and must
give the same answers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection

from patients.models import AffectedNerve
from registry.tests.factories import PatientFactory, SeriesFactory
from treatments import reports
from treatments.rules.consumption import series_needed

pytestmark = pytest.mark.django_db

D0 = date(2020, 1, 6)


def both_paths(monkeypatch, build):
    """``build()`` on the PostgreSQL path, then on the other databases' path."""
    assert connection.vendor == "postgresql"
    fast = build()
    with monkeypatch.context() as patched:
        patched.setattr(reports, "_postgresql", lambda: False)
        portable = build()
    return fast, portable


@pytest.fixture
def courses(center, other_center):
    """Courses whose numbers and dates disagree, with gaps in the numbers and series on
    the edges of the periods below: the series a period needs by number, not by date."""
    made = []
    for index, days in enumerate((
        (0, 28, 56, 84, 112, 140, 168),
        (0, 200, 100, 300, 310, 400),  # series 3 started before series 2
        (-400, -90, -84, -83, 0, 1, 113, 140, 500),
        (50,),
        (112, 113),
    )):
        patient = PatientFactory(center=center if index % 2 else other_center,
                                 diagnosis=("mmn", "cidp")[index % 2])
        for number, day in enumerate(days, start=1):
            SeriesFactory(
                patient=patient, number=number * 2 if index == 2 else number,  # gaps
                started_on=D0 + timedelta(days=day), expected_interval_days=28 + index,
                dose_g_per_kg=Decimal("1.5") + Decimal(number) / 10,
                grams_given=Decimal(100 + number) if number % 3 else None,
                prescribed_grams=Decimal(90 + number), product=f"P{index % 3}",
            )
        made.append(patient)
    return made


PERIODS = [(D0, D0 + timedelta(days=112)), (D0 + timedelta(days=1), D0 + timedelta(days=1)),
           (D0 - timedelta(days=84), D0), (D0 + timedelta(days=113), D0 + timedelta(days=400)),
           (D0 - timedelta(days=1000), D0 + timedelta(days=1000))]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_consumption_reads_the_needed_series_and_answers_as_reading_every_one(
        monkeypatch, courses, start, end):
    superuser = User(is_superuser=True)
    fast, portable = both_paths(monkeypatch, lambda: reports.consumption_report(
        user=superuser, start=start, end=end))
    assert fast == portable
    assert fast["total"]["series"] > 0


def test_consumption_reads_no_series_it_does_not_need(courses, django_assert_num_queries):
    """What the query sends is what ``series_needed`` keeps of each whole course."""
    start, end = PERIODS[0]
    with django_assert_num_queries(1):
        read = reports._consumption_series(reports.Patient.objects.all(), start=start, end=end)
    for patient in courses:
        course = sorted(patient.series.values_list("number", "started_on"))
        dates = [day for _, day in course]
        if not any(start <= day <= end for day in dates):
            assert patient.pk not in read
            continue
        needed = [course[i][0] for i in series_needed(dates, start=start, end=end)]
        assert [row[1] for row in read[patient.pk]] == needed


def test_tables_answer_alike_on_both_paths(monkeypatch, courses, center):
    mmn = [p for p in courses if p.diagnosis == "mmn"]
    AffectedNerve.objects.create(patient=mmn[0], side="R", nerve="ulnar")
    AffectedNerve.objects.create(patient=mmn[0], side="L", nerve="median")
    AffectedNerve.objects.create(patient=mmn[1], side="L", nerve="median")
    PatientFactory(center=center, diagnosis="igm_mgus_pn")
    superuser = User(is_superuser=True)
    for build in (lambda: reports.table1_report(user=superuser),
                  lambda: reports.table1_report(user=superuser, every_diagnosis=True),
                  lambda: reports.table2_report(user=superuser)):
        fast, portable = both_paths(monkeypatch, build)
        assert fast == portable
        assert fast["rows"]
    table1 = reports.table1_report(user=superuser)
    assert {row["case"]: row["distribution"] for row in table1["rows"]} == {
        mmn[0].code: "R ulnar, L median", mmn[1].code: "L median", mmn[2].code: ""}
    assert {row["case"]: row["series_count"] for row in table1["rows"]} == {
        p.code: p.series.count() for p in mmn}
