"""Sign-in is locked after repeated wrong passwords; cookies, headers and the content
security policy protect every answer; production settings refuse to start half-configured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from registry.tests.factories import TitreFactory

pytestmark = pytest.mark.django_db
ROOT = Path(django_settings.BASE_DIR)
PASSWORD = "correct-horse-battery"  # registry.tests.factories.UserFactory


def sign_in(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_wrong_passwords_lock_the_account_out(client, clinician, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "clinician", "wrong")
        assert response.status_code == 200 and response.context["form"].errors
    locked = sign_in(client, "clinician", "wrong")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    right = sign_in(client, "clinician", PASSWORD)  # even the right password, now
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(client, clinician, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "clinician", "wrong")
    assert sign_in(client, "clinician", PASSWORD).status_code == 429
    time.sleep(1.2)
    assert sign_in(client, "clinician", PASSWORD).status_code == 302


def test_another_account_is_not_locked(client, clinician, researcher, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "clinician", "wrong")
    assert sign_in(client, "researcher", PASSWORD).status_code == 302


def test_the_api_token_endpoint_is_locked_out_too(clinician, settings):
    from rest_framework.test import APIClient

    client = APIClient()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/api/v1/auth/token/", {"username": "clinician",
                                                       "password": "wrong"}, format="json")
        assert response.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 400)
    response = client.post("/api/v1/auth/token/", {"username": "clinician",
                                                   "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "locked" in response.json()["detail"] and "token" not in response.json()


def test_session_and_csrf_cookies(client, clinician):
    page = client.get(reverse("login"))
    csrf = page.cookies["csrftoken"]
    assert csrf["samesite"] == "Lax"
    response = sign_in(client, "clinician", PASSWORD)
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["max-age"]  # ends with the browser


def test_security_headers_and_content_security_policy(client, clinician, patient):
    client.force_login(clinician)
    for url in (reverse("login"), f"/patients/{patient.pk}/", "/api/v1/patients/",
                reverse("admin:login")):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        script = re.search(r"script-src ([^;]*)", policy).group(1)
        assert script.strip() == "'self'", policy  # no inline or foreign script, anywhere
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


def test_no_page_carries_an_inline_script(client, clinician, data_manager, patient):
    titre = TitreFactory(patient=patient)
    client.force_login(clinician)
    pages = [f"/patients/{patient.pk}/", "/patients/", f"/patients/{patient.pk}/visits/new/",
             f"/patients/{patient.pk}/nerve-studies/new/", f"/patients/{patient.pk}/series/new/",
             "/reports/", "/lots/?lot=L1", "/api/v1/docs/", reverse("login"), "/worklist/",
             f"/patients/{patient.pk}/tailoring/new/", reverse("two_factor:profile"),
             reverse("two_factor:setup")]
    for url in pages:
        text = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(text), url
    client.force_login(data_manager)
    for url in (reverse("admin:index"), reverse("admin:patients_titre_change", args=[titre.pk]),
                reverse("admin:patients_patient_add")):
        assert not INLINE_SCRIPT.search(client.get(url).content.decode()), url


def production(env: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests in this process, never in production.
    base = {k: v for k, v in os.environ.items() if k not in {
        "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, capture_output=True, text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "registry.settings.production", **env},
        timeout=120,
    )


FULL = {"SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-" + "y" * 20,
        "ALLOWED_HOSTS": "registry.example.org",
        "DATABASE_URL": "postgres://registry@db.invalid:5432/registry"}


@pytest.mark.parametrize("missing", sorted(FULL))
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in FULL.items() if k != missing}
    finished = production(env, "check")
    assert finished.returncode != 0
    assert f"Production settings need the environment variable {missing}" in finished.stderr


def test_check_deploy_is_clean_with_production_settings():
    finished = production(FULL, "check", "--deploy", "--fail-level", "WARNING")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "no issues" in finished.stdout
