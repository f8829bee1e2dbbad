"""The registry's API classes are DRF's defaults (``REST_FRAMEWORK``), not a mixin's: a view
that declares nothing authenticates, parses and answers errors as every API view does."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from registry.services import VersionConflict
from registry.tests.api.helpers import api

pytestmark = pytest.mark.django_db

factory = APIRequestFactory()


class Bare(APIView):
    """Declares no authentication, parser, permission or exception handling."""

    def post(self, request):
        kind = request.data.get("raise")
        if kind == "invalid":
            raise DjangoValidationError({"onset_date": ["Onset cannot follow diagnosis."]})
        if kind == "stale":
            raise VersionConflict(current=3, sent=2)
        return Response({"user": request.user.username})


def test_no_credentials_is_a_401_asking_for_a_token():
    response = Bare.as_view()(factory.post("/bare/", {}, format="json"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_authenticates_with_the_users_memberships(clinician):
    key = Token.objects.create(user=clinician).key
    request = factory.post("/bare/", {}, format="json", HTTP_AUTHORIZATION=f"Token {key}")
    response = Bare.as_view()(request)
    assert response.status_code == 200
    assert response.data == {"user": "clinician"}


def test_a_form_body_is_a_415(clinician):
    request = factory.post("/bare/", {"raise": "invalid"})  # multipart
    force_authenticate(request, clinician)
    assert Bare.as_view()(request).status_code == 415


@pytest.mark.parametrize(("kind", "status", "body"), [
    ("invalid", 400, {"onset_date": ["Onset cannot follow diagnosis."]}),
    ("stale", 409, {"detail": str(VersionConflict(current=3, sent=2))}),
])
def test_service_errors_are_answered_by_the_exception_handler(clinician, kind, status, body):
    request = factory.post("/bare/", {"raise": kind}, format="json")
    force_authenticate(request, clinician)
    response = Bare.as_view()(request)
    assert response.status_code == status
    assert response.data == body


def test_the_api_root_lists_every_app_resource(clinician):
    response = api(clinician).get("/api/v1/")
    assert response.status_code == 200
    assert response.json() == {
        prefix: f"http://testserver/api/v1/{prefix}/"
        for prefix in ("centers", "access-log", "patients", "titres", "paraproteins",
                       "prior-treatments", "visits", "nerve-studies", "series", "rule-sets",
                       "titre-thresholds", "block-criteria", "queries", "tailoring")
    }
    assert APIClient().get("/api/v1/").status_code == 401


def test_format_suffixes_are_routed_as_drfs_default_router_did(clinician, patient):
    client = api(clinician)
    assert client.get("/api/v1/patients.json").json()["count"] == 1
    assert client.get(f"/api/v1/patients/{patient.pk}.json").json()["id"] == patient.pk
    assert client.get("/api/v1/series.json").status_code == 200
