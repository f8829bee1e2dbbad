"""In a real Chromium, the series form shows the dosing weight and grams as the user types
(clinical-rules.md §10; ui.md: "the computed dosing weight and grams shown before saving"),
under the app's content security policy (its own script, a same-origin round trip)."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from registry.models import Role
from registry.tests.factories import CenterFactory, PatientFactory, member
from treatments.models import Series

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def page():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        context.close()
        browser.close()


def test_the_grams_follow_weight_height_and_basis_then_save(live_server, page):
    center = CenterFactory(code="dose", name="Dosing neurology")
    member(center=center, role=Role.CLINICIAN, username="doser")
    patient = PatientFactory(center=center, sex="M", birth_year=1960)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "doser")
    page.fill("#id_password", "correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/worklist/")  # a clinician's home page (ui.md)
    page.goto(f"{live_server.url}/patients/{patient.pk}/series/new/")

    page.fill("#id_started_on", "2020-01-10")
    page.fill("#id_weight_kg", "100")
    page.fill("#id_dose_g_per_kg", "2.0")
    expect = playwright.expect  # waits for the answer (no script evaluated: the CSP)
    expect(page.locator("#prescribed-grams")).to_have_text("200")
    expect(page.locator("#dosing-weight")).to_have_text("100.0")

    page.select_option("#id_dose_basis", "adjusted")
    expect(page.locator("#dosing-error")).to_contain_text("height_cm")

    page.fill("#id_height_cm", "180")  # a man of 180 cm: adjusted 85.0 kg
    expect(page.locator("#prescribed-grams")).to_have_text("170")
    expect(page.locator("#dosing-weight")).to_have_text("85.0")
    expect(page.locator("#total-grams")).to_have_text("170.0")

    page.fill("#id_product", "Privigen")
    page.get_by_role("button", name="Save series").click()
    page.wait_for_url(f"**/patients/{patient.pk}/")
    series = Series.objects.get(patient=patient)
    assert (series.dosing_weight_kg, series.prescribed_grams) == (Decimal("85.0"),
                                                                  Decimal("170"))
    assert violations == []
