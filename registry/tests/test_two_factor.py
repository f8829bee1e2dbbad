"""Two-factor sign-in (registry.twofactor): required for data managers, superusers and the
admin, optional for clinicians and researchers; codes and backup codes on the sign-in page
and on the token endpoint; django-axes' lockout still applies. The browser enrolment is in
``browser/test_two_factor.py``."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from registry.tests.otp import authenticator, backup_codes, totp_code, wizard_sign_in

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # registry.tests.factories.UserFactory
SETUP = "/accounts/two-factor/setup/"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def token(username: str, **extra):
    return APIClient().post("/api/v1/auth/token/",
                            {"username": username, "password": PASSWORD, **extra},
                            format="json")


# Required roles ---------------------------------------------------------------------------

def test_a_data_manager_without_a_device_is_sent_to_enrolment_and_nowhere_else(
        client, data_manager, patient):
    answer = wizard_sign_in(client, "data_manager", PASSWORD)
    assert answer.status_code == 302
    assert client.get(answer["Location"], follow=True).redirect_chain[-1][0].startswith(SETUP)
    for url in ("/patients/", f"/patients/{patient.pk}/", "/reports/", "/exports/",
                "/admin/", "/accounts/two-factor/"):
        refused = client.get(url)
        assert refused.status_code == 302 and refused["Location"].startswith(SETUP), url
    api = client.get("/api/v1/patients/")
    assert api.status_code == 403 and "Two-factor" in api.json()["detail"]
    assert client.get(SETUP).status_code == 200


def test_a_superuser_is_required_too(client, superuser):
    wizard_sign_in(client, "admin", PASSWORD)
    assert client.get("/patients/")["Location"].startswith(SETUP)


def test_the_required_roles_are_a_setting(client, data_manager, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["superuser"]
    wizard_sign_in(client, "data_manager", PASSWORD)
    assert client.get("/patients/").status_code == 200


def test_a_password_is_not_enough_once_a_device_is_enrolled(client, data_manager, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp waits 1 s, 2 s, 4 s… after a wrong code
    device = authenticator(data_manager)
    answer = wizard_sign_in(client, "data_manager", PASSWORD)
    assert answer.status_code == 200 and not signed_in(client)
    assert 'name="token-otp_token"' in answer.content.decode()
    wrong = client.post("/accounts/login/", {"login_view-current_step": "token",
                                             "token-otp_token": "000000"})
    assert wrong.status_code == 200 and not signed_in(client)
    right = client.post("/accounts/login/", {"login_view-current_step": "token",
                                             "token-otp_token": totp_code(device)})
    assert right.status_code == 302 and signed_in(client)
    assert client.get("/patients/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_backup_code_signs_in_once(client, data_manager):
    authenticator(data_manager)
    code, _other, _third = backup_codes(data_manager)
    assert wizard_sign_in(client, "data_manager", PASSWORD, backup=code).status_code == 302
    assert client.get("/patients/").status_code == 200
    client.logout()
    again = wizard_sign_in(client, "data_manager", PASSWORD, backup=code)
    assert again.status_code == 200 and not signed_in(client)


@pytest.mark.password_only
def test_a_session_that_skipped_the_second_factor_is_sent_back(client, data_manager):
    authenticator(data_manager)
    client.force_login(data_manager)
    answer = client.get("/patients/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


@pytest.mark.password_only
def test_staff_need_the_second_factor_on_the_admin_whatever_the_role(client, clinician):
    clinician.is_staff = True
    clinician.save()
    client.force_login(clinician)
    assert client.get("/patients/").status_code == 200  # optional for clinicians
    assert client.get("/admin/")["Location"].startswith(SETUP)


def test_the_admin_login_is_the_registry_sign_in(client):
    answer = client.get("/admin/login/?next=/admin/patients/")
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?next=/admin/patients/"


def test_required_users_cannot_switch_it_off(client, data_manager, clinician):
    client.force_login(data_manager)
    assert client.get("/accounts/two-factor/disable/").status_code == 403
    assert "role requires" in client.get("/accounts/two-factor/").content.decode()


# Optional roles -------------------------------------------------------------------------

def test_a_clinician_signs_in_with_a_password_until_they_enrol(client, clinician):
    assert wizard_sign_in(client, "clinician", PASSWORD).status_code == 302
    assert client.get("/patients/").status_code == 200
    assert "Set up an authenticator" in client.get("/accounts/two-factor/").content.decode()
    client.logout()
    device = authenticator(clinician)
    assert wizard_sign_in(client, "clinician", PASSWORD).status_code == 200
    assert not signed_in(client)
    answer = client.post("/accounts/login/", {"login_view-current_step": "token",
                                              "token-otp_token": totp_code(device)})
    assert answer.status_code == 302 and signed_in(client)


def test_a_clinician_may_switch_it_off(client, clinician):
    device = authenticator(clinician)
    wizard_sign_in(client, "clinician", PASSWORD, code=totp_code(device))
    assert client.post("/accounts/two-factor/disable/", {"understand": "on"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=clinician).exists()


# Lockout ---------------------------------------------------------------------------------

def test_the_sign_in_page_still_locks_out_and_a_code_does_not_unlock(client, data_manager,
                                                                    settings):
    device = authenticator(data_manager)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        wizard_sign_in(client, "data_manager", "wrong")
    locked = wizard_sign_in(client, "data_manager", PASSWORD)
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    code = client.post("/accounts/login/", {"login_view-current_step": "token",
                                            "token-otp_token": totp_code(device)})
    assert code.status_code == 200 and not signed_in(client)


# The token endpoint ---------------------------------------------------------------------

def test_a_token_without_a_device_needs_only_the_password(clinician):
    answer = token("clinician")
    assert answer.status_code == 200 and answer.json()["token"]


def test_a_token_asks_for_the_code_once_a_device_is_enrolled(clinician, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp waits 1 s, 2 s, 4 s… after a wrong code
    device = authenticator(clinician)
    missing = token("clinician")
    assert missing.status_code == 400 and "otp_token" in missing.json()
    wrong = token("clinician", otp_token="000000")
    assert wrong.status_code == 400 and wrong.json()["otp_token"] == ["Wrong or expired code."]
    right = token("clinician", otp_token=totp_code(device))
    assert right.status_code == 200 and right.json()["token"]


def test_a_backup_code_gets_a_token(clinician):
    authenticator(clinician)
    (code,) = backup_codes(clinician, 1)
    assert token("clinician", otp_token=code).status_code == 200
    assert token("clinician", otp_token=code).status_code == 400  # used


def test_a_data_manager_without_a_device_gets_no_token(data_manager):
    answer = token("data_manager")
    assert answer.status_code == 400 and "enrol" in answer.json()["otp_token"][0]


def test_wrong_codes_lock_the_token_endpoint_out(clinician, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lockout, not django-otp's own delay
    device = authenticator(clinician)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token("clinician", otp_token="000000").status_code == 400
    assert token("clinician", otp_token="000000").status_code == 429
    locked = token("clinician", otp_token=totp_code(device))
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]
