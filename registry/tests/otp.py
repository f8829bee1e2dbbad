"""Two-factor helpers for tests: a confirmed authenticator for a user, its current code
(computed with pyotp from the device's key, as an authenticator app does), a session
verified with it, and the sign-in wizard driven through the test client."""

from __future__ import annotations

import time
from base64 import b32encode

import pyotp
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.twofactor import two_factor_required


def authenticator(user) -> TOTPDevice:
    """The user's confirmed TOTP device (django-two-factor-auth's ``default``), made once."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="default",
                                                 defaults={"confirmed": True})
    return device


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` periods later: a code
    already used is refused, so a second sign-in in the same 30 s takes the next one)."""
    totp = pyotp.TOTP(b32encode(device.bin_key).decode(), digits=device.digits,
                      interval=device.step)
    return totp.at(time.time() + steps_ahead * device.step)


def backup_codes(user, count: int = 3) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    return [device.token_set.create(token=StaticToken.random_token()).token
            for _ in range(count)]


def verify_session(client, user) -> TOTPDevice:
    """Mark the client's session as signed in with the user's authenticator."""
    device = authenticator(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def verify_if_required(client, user) -> None:
    """What ``client.force_login`` does in this suite (conftest): users who must use a
    second factor get a session that passed it, as after a real sign-in."""
    fresh = get_user_model().objects.get(pk=user.pk)  # leaves the caller's object as it was
    if two_factor_required(fresh):
        verify_session(client, fresh)


def wizard_sign_in(client, username: str, password: str, *, code: str | None = None,
                   backup: str | None = None, next_url: str = ""):
    """Sign in through the pages: the password, then the code (or a backup code)."""
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    answer = client.post(url, {"username": username, "password": password})
    if code is not None:
        answer = client.post(url, {"login_view-current_step": "token",
                                   "token-otp_token": code})
    elif backup is not None:
        client.post(url, {"wizard_goto_step": "backup"})
        answer = client.post(url, {"login_view-current_step": "backup",
                                   "backup-otp_token": backup})
    return answer
