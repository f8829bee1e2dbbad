"""A treated patient whose data the §11 rules find clean, written through the services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from patients import services
from queries.models import Query
from registry.tests.factories import mrc_grid
from treatments.services import outcome_recompute, series_give

START = date(1994, 1, 10)


def give(patient, number: int, *, days_after: int = 28, weight: str = "70", **fields):
    return series_give(patient=patient, data={
        "started_on": START + timedelta(days=days_after * (number - 1)), "days": 5,
        "dose_g_per_kg": Decimal("2.0"), "weight_kg": Decimal(weight), "product": "IVIg",
        **fields})


def post_visit(patient, series, grid, *, days: int = 14):
    return services.visit_record(patient=patient, data={
        "visited_on": series.started_on + timedelta(days=days), "kind": "post_series",
        "series": series}, mrc=grid)


def recompute(patient) -> list[Query]:
    outcome_recompute(patient_id=patient.pk)
    return list(Query.objects.filter(patient=patient).order_by("id"))


def unresolved(patient, rule: str | None = None) -> list[Query]:
    rows = Query.objects.unresolved().filter(patient=patient)
    return list(rows.filter(rule=rule) if rule else rows.order_by("id"))


@pytest.fixture
def treated(patient):
    """A baseline (five target muscles at 2), two series 28 days apart at 70 kg, a post
    visit after each (3, then 4), a GM1 titre that has a threshold: no finding."""
    services.visit_record(patient=patient, data={
        "visited_on": START - timedelta(days=7), "kind": "baseline"}, mrc=mrc_grid(2))
    first = give(patient, 1)
    post_visit(patient, first, mrc_grid(3))
    second = give(patient, 2)
    post_visit(patient, second, mrc_grid(4))
    services.titre_record(patient=patient, data={
        "sampled_on": START, "antigen": "gm1", "isotype": "IgM", "method": "elisa",
        "value": Decimal("1600"), "unit": "dilution"})
    assert recompute(patient) == []
    return patient
