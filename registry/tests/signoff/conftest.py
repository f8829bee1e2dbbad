"""A visit and a series of the fixtures' patient, and a way to sign them as the clinician."""

from datetime import date

import pytest

from patients import services as patient_services
from registry.tests.factories import MrcGradeFactory, SeriesFactory, VisitFactory
from treatments import services as treatment_services

PASSWORD = "correct-horse-battery"  # registry.tests.factories.UserFactory's


@pytest.fixture
def series(patient):
    series = SeriesFactory(patient=patient, number=1, started_on=date(1994, 1, 10))
    series.lots.create(lot="LOT-1")
    series.adverse_events.create(kind="headache", severity="mild")
    return series


@pytest.fixture
def visit(patient):
    visit = VisitFactory(patient=patient, visited_on=date(1994, 1, 3), kind="baseline",
                         examiner="Dr A")
    MrcGradeFactory(visit=visit, muscle="deltoid", side="R", grade=3)
    return visit


@pytest.fixture
def signed_visit(visit, clinician):
    return patient_services.visit_sign(visit=visit, password=PASSWORD, by=clinician)


@pytest.fixture
def signed_series(series, clinician):
    return treatment_services.series_sign(series=series, password=PASSWORD, by=clinician)
