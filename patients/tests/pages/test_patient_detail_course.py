"""The patient page's treatment course (clinical-rules.md §10; ui.md: route, regimen, dosing
weight, grams and dose intensity in the series table; next series due / overdue)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from treatments import services

pytestmark = pytest.mark.django_db


def give(patient, started_on, **fields):
    return services.series_give(patient=patient, data={
        "started_on": started_on, "days": 1, "dose_g_per_kg": Decimal("0.4"),
        "weight_kg": Decimal("100"), "product": "Hizentra", "route": "sc", **fields})


def test_the_series_table_shows_the_course_and_the_schedule(client, clinician, patient):
    start = date.today() - timedelta(days=120)
    for week in range(14):
        give(patient, start + timedelta(days=7 * week),
             **({"dose_basis": "adjusted", "height_cm": Decimal("180")} if week == 13 else {}))
    services.outcome_recompute(patient_id=patient.pk)
    client.force_login(clinician)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    last_start = start + timedelta(days=91)
    due = last_start + timedelta(days=7)
    assert f"Next series due {due.isoformat()}" in page
    assert "overdue" in page  # 22 days past due: more than the weekly interval of grace
    row = page.split(f"<td>{last_start.isoformat()}</td>")[1].split("</tr>")[0]
    # route, regimen, days, dose, weight, dosing weight (adjusted), grams, intensity
    for cell in ("<td>sc</td>", "<td>Maintenance</td>", "85.0 (adjusted)", ">34<", ">1.6<"):
        assert cell in row, (cell, row)


def test_no_series_no_due_date(client, clinician, patient):
    client.force_login(clinician)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "No series due." in page
