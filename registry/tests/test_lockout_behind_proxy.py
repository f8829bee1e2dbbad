"""Behind the README's TLS proxy every connection comes from the proxy's address: the
sign-in lockout must count failures per client (the address the trusted proxy appended
to X-Forwarded-For), or anyone could lock any known user out (issue 20 item 7)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
ROOT = Path(django_settings.BASE_DIR)
PASSWORD = "correct-horse-battery"  # registry.tests.factories.UserFactory
PROXY = "10.0.0.2"  # the one address every request arrives from


def behind_proxy(forwarded_for: str | None, api: bool = False) -> Client:
    headers = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return APIClient(**headers) if api else Client(**headers)


def sign_in(client: Client, password: str, username: str = "clinician"):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


def test_one_clients_failures_do_not_lock_another_behind_the_same_proxy(clinician, one_proxy):
    attacker, colleague = behind_proxy("203.0.113.66"), behind_proxy("198.51.100.7")
    for _ in range(one_proxy.AXES_FAILURE_LIMIT):
        sign_in(attacker, "wrong")
    assert sign_in(attacker, PASSWORD).status_code == 429
    assert sign_in(colleague, PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


def test_the_token_endpoint_counts_per_client_too(clinician, one_proxy):
    attacker, colleague = behind_proxy("203.0.113.66", api=True), behind_proxy(
        "198.51.100.7", api=True)
    for _ in range(one_proxy.AXES_FAILURE_LIMIT):
        attacker.post("/api/v1/auth/token/", {"username": "clinician", "password": "wrong"},
                      format="json")
    locked = attacker.post("/api/v1/auth/token/",
                           {"username": "clinician", "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    answer = colleague.post("/api/v1/auth/token/",
                            {"username": "clinician", "password": PASSWORD}, format="json")
    assert answer.status_code == 200 and answer.json()["token"]


def test_a_forged_chain_beyond_the_trusted_proxy_is_not_believed(clinician, one_proxy):
    """The client writes whatever it likes before the proxy's entry: changing it on every
    attempt does not escape the lock, and cannot lock the address it names."""
    real = "203.0.113.66"
    for attempt in range(one_proxy.AXES_FAILURE_LIMIT):
        sign_in(behind_proxy(f"192.0.2.{attempt}, {real}"), "wrong")
    assert sign_in(behind_proxy(f"192.0.2.200, {real}"), PASSWORD).status_code == 429
    assert sign_in(behind_proxy(real), PASSWORD).status_code == 429
    assert sign_in(behind_proxy("192.0.2.1"), PASSWORD).status_code == 302


def test_without_a_trusted_proxy_the_header_is_ignored(clinician, settings):
    settings.TRUSTED_PROXY_COUNT = 0  # development: clients connect directly
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(behind_proxy(f"192.0.2.{attempt}"), "wrong")
    assert sign_in(behind_proxy("198.51.100.7"), PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_two_proxies_take_the_second_address_from_the_right(clinician, settings):
    settings.TRUSTED_PROXY_COUNT = 2  # e.g. a load balancer, then the TLS proxy
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(behind_proxy(f"192.0.2.{attempt}, 203.0.113.66, 10.0.0.9"), "wrong")
    assert sign_in(behind_proxy("203.0.113.66, 10.0.0.9"), PASSWORD).status_code == 429
    assert sign_in(behind_proxy("198.51.100.7, 10.0.0.9"), PASSWORD).status_code == 302
    # Fewer entries than proxies: the request did not come through them all.
    assert sign_in(behind_proxy("10.0.0.9"), "wrong").status_code == 200
    assert AccessAttempt.objects.filter(ip_address=PROXY).exists()


def test_a_malformed_entry_falls_back_to_the_connection(clinician, one_proxy):
    for _ in range(one_proxy.AXES_FAILURE_LIMIT):
        sign_in(behind_proxy("203.0.113.66, not-an-address"), "wrong")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_production_settings_read_the_client_behind_one_proxy():
    """Production (TRUSTED_PROXY_COUNT unset = 1) gives django-axes the client's address."""
    script = (
        "import json, django; django.setup()\n"
        "from axes.helpers import get_client_ip_address\n"
        "from django.test import RequestFactory\n"
        "factory = RequestFactory()\n"
        "def ip(forwarded):\n"
        "    request = factory.post('/accounts/login/', REMOTE_ADDR='10.0.0.2',\n"
        "                           HTTP_X_FORWARDED_FOR=forwarded)\n"
        "    return get_client_ip_address(request)\n"
        "print(json.dumps([ip('203.0.113.66'), ip('192.0.2.1, 203.0.113.66'), ip('')]))\n"
    )
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(DJANGO_SETTINGS_MODULE="registry.settings.production",
               SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="registry.example.org",
               DATABASE_URL="postgres://registry@db.invalid:5432/registry",
               CELERY_BROKER_URL="redis://redis.invalid:6379/0")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "203.0.113.66", "203.0.113.66", "10.0.0.2"]
