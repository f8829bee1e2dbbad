"""An unreachable database is answered 503 (a page, or JSON for the API), not a 500 page.

The database is made really unreachable: the connection is pointed at a closed port.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe closes


@contextmanager
def database_down():
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_a_page_answers_503_with_a_plain_message(clinician, patient):
    client = Client(raise_request_exception=False)
    client.force_login(clinician)
    with database_down():
        response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.content.decode()
    assert "database cannot be reached" in body
    assert "Traceback" not in body and "OperationalError" not in body
    assert client.get(f"/patients/{patient.pk}/").status_code == 200  # back once it is up


def test_the_api_answers_503_json(clinician, patient):
    token = Token.objects.create(user=clinician)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with database_down():
        response = client.post("/api/v1/titres/", {
            "patient": patient.pk, "sampled_on": "1994-01-01", "antigen": "gm1",
            "isotype": "IgM", "method": "elisa", "value": 1600, "unit": "dilution",
        }, format="json")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "database cannot be reached" in response.json()["detail"]
    assert set(response.json()) == {"detail"}
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200


def test_a_failure_outside_any_view_is_a_503_too(clinician):
    """An unknown address is answered by the 404 handler, whose page reads the session:
    that failure happens outside every view and middleware hook (``handler500``)."""
    client = Client(raise_request_exception=False)
    client.force_login(clinician)
    with database_down():
        response = client.get("/no-such-page/")
    assert response.status_code == 503
    assert "database cannot be reached" in response.content.decode()


def test_a_login_attempt_while_the_database_is_down_is_a_503(clinician):
    client = Client(raise_request_exception=False)
    with database_down():
        response = client.post("/accounts/login/", {"username": "clinician",
                                                    "password": "wrong"})
    assert response.status_code == 503
    assert "Traceback" not in response.content.decode()
