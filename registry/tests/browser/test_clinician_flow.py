"""End to end: a clinician records a patient, a baseline, series 1 and its effect."""

import os
from pathlib import Path

import pytest

from registry.models import Role
from registry.tests.factories import CenterFactory, member

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
TARGETS = ["deltoid", "biceps", "triceps", "wrist_extensors", "finger_extensors"]

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
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        yield context.new_page()
        context.close()
        browser.close()


def _visit(page, *, day: str, kind: str, grade: str, series: str | None = None):
    page.get_by_role("link", name="New visit").click()
    page.fill("#id_visited_on", day)
    page.select_option("#id_kind", kind)
    if series:
        page.select_option("#id_series", label=series)
    else:
        page.select_option("#id_series", "")
    page.fill("#id_examiner", "Dr E2E")
    for muscle in TARGETS:
        page.select_option(f"#id_mrc_{muscle}_R", grade)
    page.screenshot(path=ARTIFACTS / f"visit-{kind}.png", full_page=True)
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url("**/patients/*/")


def test_clinician_flow(live_server, page):
    center = CenterFactory(code="e2e", name="E2E neurology")
    member(center=center, role=Role.CLINICIAN, username="e2e")
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "e2e")
    page.fill("#id_password", "correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/worklist/")  # a clinician's home page (ui.md)
    page.get_by_role("link", name="Patients", exact=True).click()
    page.wait_for_url("**/patients/")

    page.get_by_role("link", name="New patient").click()
    page.fill("#id_code", "MMN-E2E")
    page.select_option("#id_center", label=str(center))
    page.select_option("#id_sex", "F")
    page.fill("#id_birth_year", "1960")
    page.select_option("#id_diagnosis", "mmn")
    page.fill("#id_onset_year", "1990")
    page.check("input[name=affected_nerves][value='R:median']")
    page.fill("#id_consent_given_on", "1993-12-01")  # else in no report (§8)
    page.fill("#id_consent_version", "1.0")
    page.fill("#id_identity_hospital_number", "H-E2E")
    page.get_by_role("button", name="Create patient").click()
    page.wait_for_url("**/patients/*/")
    assert "given on 1993-12-01 (version 1.0)" in page.locator("#consent").inner_text()
    assert "Recomputing" not in page.content()  # eager tasks: computed on commit

    _visit(page, day="1994-01-03", kind="baseline", grade="2")

    page.get_by_role("link", name="New series").click()
    assert page.input_value("#id_number") == "1"
    assert page.input_value("#id_dose_g_per_kg") == "2.0"
    page.fill("#id_started_on", "1994-01-10")
    page.fill("#id_weight_kg", "70")
    page.fill("#id_product", "IVIg")
    page.fill("#id_lot_numbers", "LOT-A, LOT-B")
    page.get_by_role("button", name="Save series").click()
    page.wait_for_url("**/patients/*/")

    assert "LOT-A" in page.locator("#series").inner_text()
    _visit(page, day="1994-01-24", kind="post_series", grade="5",
           series="Series 1 (1994-01-10)")

    badges = page.locator("#outcome-badges")
    assert "Initial response: Dramatic" in badges.inner_text()
    assert page.locator("#chart svg .serie-0 .dot").count() == 2
    page.screenshot(path=ARTIFACTS / "patient.png", full_page=True)

    page.get_by_role("link", name="Reports").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download Table 1 (CSV)").click()
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0].startswith("case,")
    assert "MMN-E2E" in text
    page.screenshot(path=ARTIFACTS / "reports.png", full_page=True)
