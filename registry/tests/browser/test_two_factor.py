"""In a real Chromium: a data manager signs in with a password, is sent to enrolment and
can go nowhere else, scans (reads) the secret, confirms a code, prints backup codes, signs
out, and signs in again with the password and a code, then with a backup code. Every
code is computed in the test with pyotp, as an authenticator app would; the enrolment
pages load nothing from another host and the content security policy blocks nothing."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pyotp
import pytest

from registry.models import Role
from registry.tests.factories import CenterFactory, member
from registry.tests.otp import authenticator, totp_code

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"

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


@pytest.fixture
def browser_page(live_server):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context().new_page()
        page.add_init_script(WATCH)
        foreign: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(live_server.url)
                else foreign.append(r.url))
        page.foreign = foreign
        console: list[str] = []  # a policy violation on any page of the flow is reported here
        page.on("console", lambda message: console.append(message.text))
        yield page
        browser.close()
    assert not [text for text in console if "Content Security Policy" in text], console


def password_step(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")


def test_a_data_manager_enrols_and_signs_in_with_codes(live_server, browser_page):
    page, base = browser_page, live_server.url
    center = CenterFactory(code="otp", name="OTP neurology")
    manager = member(center=center, role=Role.DATA_MANAGER, username="dm2fa")

    password_step(page, base, "dm2fa")
    page.wait_for_url("**/accounts/two-factor/setup/**")
    page.goto(f"{base}/patients/")  # nothing else until enrolled
    assert "/accounts/two-factor/setup/" in page.url

    page.get_by_role("button", name="Next").click()  # the welcome step
    page.wait_for_selector("img[alt='QR Code']")
    assert page.evaluate("document.querySelector(\"img[alt='QR Code']\").naturalWidth") > 0
    secret = re.search(r"TOTP Secret:\s*([A-Z2-7]+)", page.inner_text("main")).group(1)
    page.fill("#id_generator-token", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/patients/")  # back where the password step was going
    device = authenticator(manager)
    assert device.confirmed

    page.goto(f"{base}/accounts/two-factor/backup/tokens/")
    page.get_by_role("button", name="Generate Tokens").click()
    page.wait_for_selector("main li")
    codes = page.eval_on_selector_all("main li", "items => items.map(i => i.textContent.trim())")
    assert len(codes) == 10
    assert page.evaluate("window.__violations") == [] and page.foreign == []
    sign_out(page)

    password_step(page, base, "dm2fa")
    page.wait_for_selector("#id_token-otp_token")
    page.goto(f"{base}/patients/")  # the password alone signs no one in
    assert "/accounts/login/" in page.url
    password_step(page, base, "dm2fa")
    page.fill("#id_token-otp_token", "123456" if totp_code(device) != "123456" else "654321")
    page.get_by_role("button", name="Verify").click()
    assert page.is_visible("#id_token-otp_token")  # a wrong code: asked again
    time.sleep(1.1)  # django-otp's delay after a wrong code
    page.fill("#id_token-otp_token", totp_code(device, steps_ahead=1))  # the setup's was used
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/patients/")
    page.goto(f"{base}/admin/")
    assert page.is_visible("#site-name")
    page.goto(f"{base}/patients/")
    sign_out(page)

    password_step(page, base, "dm2fa")
    page.get_by_role("button", name="Use a backup code instead").click()
    page.fill("#id_backup-otp_token", codes[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/patients/")
    assert page.evaluate("window.__violations") == [] and page.foreign == []
