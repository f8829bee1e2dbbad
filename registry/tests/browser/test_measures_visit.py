"""A CIDP visit recorded through the form with INCAT and grip (clinical-rules.md §9), then
the patient page read back: its primary measure's status and its INCAT and grip charts
change, as the stored outcome (recomputed on commit) says."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from registry.models import Role
from registry.tests.browser.signin import sign_in
from registry.tests.factories import (
    CenterFactory,
    PatientFactory,
    SeriesFactory,
    VisitFactory,
    member,
)
from treatments.models import Outcome
from treatments.services import outcome_recompute

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def page():
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        context.close()
        browser.close()


def _dots(page, measure: str) -> int:
    return page.locator(f'.measure-chart[data-measure="{measure}"] svg .serie-0 .dot').count()


def test_a_cidp_visit_with_incat_and_grip_changes_the_status_and_the_charts(live_server, page):
    center = CenterFactory(code="cidp-b", name="CIDP neurology")
    user = member(center=center, role=Role.CLINICIAN, username="cidpb")
    patient = PatientFactory(center=center, code="CIDP-B01", diagnosis="cidp")
    VisitFactory(patient=patient, visited_on=date(2025, 1, 6), kind="baseline",
                 incat_arm=2, incat_leg=3, grip_right_kpa=40, grip_left_kpa=44)
    SeriesFactory(patient=patient, number=1, started_on=date(2025, 1, 13))
    outcome_recompute(patient_id=patient.pk)  # factories bypass the services

    sign_in(page, live_server.url, user, landing="**/")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    before = page.locator("#outcome-badges .badge").first.inner_text()
    assert _dots(page, "incat") == 1 and _dots(page, "grip") == 1
    assert "lower is better, drawn upwards" in page.locator(
        '.measure-chart[data-measure="incat"] h3').inner_text()

    page.goto(f"{live_server.url}/patients/{patient.pk}/visits/new/")
    page.fill("#id_visited_on", "2025-02-10")
    page.select_option("#id_kind", "post_series")
    page.select_option("#id_series", label="Series 1 (2025-01-13)")
    page.fill("#id_examiner", "Dr Scales")
    assert page.get_attribute("#id_incat_leg", "max") == "5"
    page.fill("#id_incat_arm", "1")
    page.fill("#id_incat_leg", "1")
    page.fill("#id_grip_right_kpa", "60")
    page.fill("#id_grip_left_kpa", "64")
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(f"{live_server.url}/patients/{patient.pk}/")

    result = Outcome.objects.get(patient=patient).result
    assert result["primary_measure"] == "adjusted_incat"
    page.reload()
    after = page.locator("#outcome-badges .badge").first.inner_text()
    page.screenshot(path=ARTIFACTS / "patient-measures.png", full_page=True)
    assert after != before, (before, after)
    assert "Insufficient data" not in after
    assert _dots(page, "incat") == 2 and _dots(page, "grip") == 2
    rows = {row["measure"]: row for row in result["measures"]}
    assert rows["grip"]["latest"] == 62
    table = page.locator('#measures-table tr[data-measure="grip"]').inner_text()
    assert "62" in table
