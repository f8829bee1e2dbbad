"""In a real Chromium, the content security policy blocks nothing the registry serves:
the patient page with its chart, the visit form's script, the API docs and the admin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry.models import Role
from registry.tests.browser.signin import sign_in
from registry.tests.factories import CenterFactory, PatientFactory, clinical_history, member

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_the_policy_blocks_nothing_the_registry_serves(live_server):
    center = CenterFactory(code="csp", name="CSP neurology")
    manager = member(center=center, role=Role.DATA_MANAGER, username="dm")
    patient = PatientFactory(center=center, code="MMN-777")
    clinical_history(patient, 3)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.add_init_script(WATCH)
        console = []
        page.on("console", lambda message: console.append(message.text))
        sign_in(page, live_server.url, manager)  # with the second factor
        for path, ready in (
            (f"/patients/{patient.pk}/", "#chart svg"),
            (f"/patients/{patient.pk}/visits/new/", "#id_visited_on"),
            ("/api/v1/docs/", ".swagger-ui .info .title"),
            ("/admin/patients/patient/", "#result_list"),
            ("/accounts/two-factor/", "h1"),
        ):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_selector(ready, timeout=20000)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__violations") == [], path
            page.screenshot(path=ARTIFACTS / f"csp-{path.strip('/').replace('/', '-')}.png")
        page.goto(f"{live_server.url}/patients/{patient.pk}/#history")
        page.click("#history summary")
        page.screenshot(path=ARTIFACTS / "history-tab.png", full_page=True)
        browser.close()
    assert not [text for text in console if "Content Security Policy" in text], console
