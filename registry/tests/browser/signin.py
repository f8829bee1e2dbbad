"""Signing in through the real sign-in page, second factor included: a user who must use
one (data managers, superusers: registry.twofactor) is given an authenticator first, and
the code is computed from its key with pyotp, as the app on a phone would."""

from __future__ import annotations

from registry.tests.otp import authenticator, totp_code
from registry.twofactor import has_device, two_factor_required

PASSWORD = "correct-horse-battery"  # registry.tests.factories.UserFactory


def sign_in(page, base_url: str, user, *, password: str = PASSWORD,
            landing: str = "**/patients/") -> None:
    if two_factor_required(user):
        authenticator(user)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    if has_device(user):
        page.fill("#id_token-otp_token", totp_code(authenticator(user)))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(landing)
