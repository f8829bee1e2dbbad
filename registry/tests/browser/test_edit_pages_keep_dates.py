"""In a real Chromium, every edit page shows the record's dates and saves them unchanged.

A date input shows its value only in ISO (``YYYY-MM-DD``); any other format shows an empty
field, which the browser then submits empty (issue 20, item 1: editing the notes of a prior
treatment erased its dates; a visit, series or titre could not be saved at all). Each case
opens one edit page, changes a field that is not a date, saves, and compares every date the
patient holds before and after.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry.models import Role
from registry.tests.edit_pages import EDIT_PAGES, EditPage, every_date, record_everything
from registry.tests.factories import CenterFactory, member

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


@pytest.mark.parametrize("edit", EDIT_PAGES, ids=lambda e: e.name.split(":")[1])
def test_saving_an_edit_page_keeps_every_date(live_server, page, edit: EditPage):
    center = CenterFactory(code="dates", name="Dates neurology")
    member(center=center, role=Role.CLINICIAN, username="dates")
    recorded = record_everything(center)
    patient = recorded.patient
    before = every_date(patient)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dates")
    page.fill("#id_password", "correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/worklist/")  # a clinician's home page (ui.md)

    page.goto(f"{live_server.url}{edit.url(recorded)}")
    shown = dict(page.eval_on_selector_all(
        "input[type=date]", "inputs => inputs.map(i => [i.name, i.value])"))
    assert set(edit.dates) <= set(shown), f"{edit.name} shows the date inputs {shown}"
    page.fill(f"#id_{edit.field}", edit.value)
    page.get_by_role("button", name=edit.button).click()
    try:
        page.wait_for_url(f"**/patients/{patient.pk}/", timeout=10_000)
    except playwright.TimeoutError:
        page.screenshot(path=ARTIFACTS / f"edit-{edit.record or 'patient'}.png", full_page=True)
        pytest.fail(f"{edit.name} was not saved; its date inputs showed {shown}")
    assert edit.read(recorded) == edit.value
    assert every_date(patient) == before, f"its date inputs showed {shown}"
