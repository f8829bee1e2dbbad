"""End to end (ui.md, 2026-12-01): a clinician signs a visit on the patient page, its edit
page is then read-only, a data manager unlocks it with a reason, the clinician edits it."""

import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from patients import services
from patients.models import Visit
from registry.models import Role
from registry.tests.browser.signin import sign_in
from registry.tests.factories import CenterFactory, PatientFactory, member

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PASSWORD = "correct-horse-battery"

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


def _sign_in(page, url: str, username: str) -> None:
    """Through the sign-in page, the data manager's second factor included; each role
    lands on its home page (the worklist for a clinician)."""
    user = get_user_model().objects.get(username=username)
    sign_in(page, url, user, password=PASSWORD,
            landing=re.compile(r"/(patients|worklist)/$"))


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_sign_unlock_and_edit_a_visit(live_server, page):
    center = CenterFactory(code="so", name="Sign-off neurology")
    member(center=center, role=Role.CLINICIAN, username="doc")
    member(center=center, role=Role.DATA_MANAGER, username="dm", is_staff=True)
    patient = PatientFactory(center=center, code="MMN-SIGN")
    visit = services.visit_record(patient=patient, data={
        "visited_on": date(1994, 1, 3), "kind": "baseline", "examiner": "Dr A"},
        mrc=[{"muscle": "deltoid", "side": "R", "grade": 3}])
    detail = f"{live_server.url}/patients/{patient.pk}/"
    edit = f"{detail}visits/{visit.pk}/edit/"

    _sign_in(page, live_server.url, "doc")
    page.goto(detail)
    page.get_by_role("link", name="Sign visit of 1994-01-03").click()
    assert "reviewed and confirmed" in page.content()
    page.fill("#id_password", "not my password")
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_selector(".field.has-error #id_password")
    assert "Wrong password" in page.content()
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_url("**/patients/*/#visits")
    visits = page.locator("#visits").inner_text()
    assert "Signed by doc on" in visits
    page.screenshot(path=ARTIFACTS / "signed-visit.png", full_page=True)

    page.goto(edit)
    locked = page.locator("#locked").inner_text()
    assert "signed by doc on" in locked and "read-only" in locked
    assert page.locator("#visit-form").count() == 0
    _sign_out(page)

    _sign_in(page, live_server.url, "dm")
    page.goto(detail)
    page.locator("#visits").get_by_role("link", name="unlock").click()
    page.get_by_role("button", name="Unlock").click()  # no reason: the browser refuses
    assert page.locator("#id_reason").evaluate("e => e.validity.valueMissing")
    page.fill("#id_reason", "   ")  # blanks only: the server refuses, beside the field
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_selector(".field.has-error #id_reason")
    page.fill("#id_reason", "Examiner misspelt")
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url("**/patients/*/#visits")
    assert "Signed by" not in page.locator("#visits").inner_text()
    page.locator("#history summary").click()
    history = page.locator("#history").inner_text()
    assert "Examiner misspelt" in history and "signed: reviewed and confirmed" in history
    _sign_out(page)

    _sign_in(page, live_server.url, "doc")
    page.goto(edit)
    page.fill("#id_examiner", "Dr B")
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url("**/patients/*/")
    assert "Dr B" in page.locator("#visits").inner_text()
    assert Visit.objects.get().examiner == "Dr B"
