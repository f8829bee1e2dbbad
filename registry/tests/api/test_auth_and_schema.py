import pytest
from rest_framework.test import APIClient

from registry.tests.api.helpers import api

pytestmark = pytest.mark.django_db


def test_token_then_token_authentication(clinician, patient):
    response = api().post("/api/v1/auth/token/",
                          {"username": "clinician", "password": "correct-horse-battery"},
                          format="json")
    assert response.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/patients/").json()["count"] == 1


def test_a_browser_session_does_not_block_the_token_request(clinician):
    """A signed-in browser (session cookie, no CSRF token) can still ask for a token."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(clinician)
    response = client.post("/api/v1/auth/token/",
                           {"username": "clinician", "password": "correct-horse-battery"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["token"]


def test_wrong_password_is_a_400(clinician):
    response = api().post("/api/v1/auth/token/",
                          {"username": "clinician", "password": "nope"}, format="json")
    assert response.status_code == 400


def test_session_authentication(clinician, client):
    client.force_login(clinician)
    assert client.get("/api/v1/centers/").status_code == 200


def test_unauthenticated_answer_is_401_with_challenge():
    response = api().get("/api/v1/centers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_schema_and_docs_need_no_login():
    assert api().get("/api/v1/schema/").status_code == 200
    response = api().get("/api/v1/schema/", {"format": "yaml"})
    assert response.status_code == 200
    assert b"openapi:" in response.content
    docs = api().get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar" in docs.content  # served locally, no CDN


def test_schema_names_the_contract_paths():
    paths = api().get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/patients/", "/api/v1/titres/", "/api/v1/paraproteins/",
                 "/api/v1/prior-treatments/", "/api/v1/series/", "/api/v1/visits/",
                 "/api/v1/nerve-studies/", "/api/v1/centers/",
                 "/api/v1/patients/{id}/outcome/", "/api/v1/patients/{id}/history/",
                 "/api/v1/lots/{lot}/patients/", "/api/v1/reports/table1/",
                 "/api/v1/reports/table2/", "/api/v1/auth/token/"):
        assert path in paths
    assert "delete" not in paths["/api/v1/series/{id}/"]
