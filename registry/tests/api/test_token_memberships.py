"""Token authentication reads the user's memberships with the token (one query in all)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import Membership

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_clinician_is_authenticated_with_its_memberships_read_once(
    clinician, patient, other_patient, django_assert_num_queries
):
    Membership.objects.create(user=clinician, center=other_patient.center, role="researcher")
    client = token_client(clinician)
    # the token with its user and the user's memberships (one query: issue 19; none later
    # in the request); the patient joined with its outcome
    with django_assert_num_queries(2):
        response = client.get(f"/api/v1/patients/{patient.pk}/outcome/")
    assert response.status_code == 200
    # a researcher in the other centre: reads there too, writes only in its own centre
    assert client.get("/api/v1/patients/").json()["count"] == 2
    assert client.patch(f"/api/v1/patients/{other_patient.pk}/", {"version": 1, "notes": "x"},
                        format="json").status_code == 403


def test_a_superuser_without_memberships_is_found_by_its_token(superuser, patient,
                                                                other_patient):
    response = token_client(superuser).get("/api/v1/patients/")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_an_inactive_user_or_a_wrong_token_gets_401(clinician, patient):
    client = token_client(clinician)
    clinician.is_active = False
    clinician.save()
    assert client.get("/api/v1/patients/").status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert wrong.get("/api/v1/patients/").status_code == 401


def test_write_rights_come_from_the_memberships_read_with_the_token(researcher, patient):
    response = token_client(researcher).patch(f"/api/v1/patients/{patient.pk}/",
                                              {"version": 1, "notes": "x"}, format="json")
    assert response.status_code == 403


def test_a_user_without_memberships_reads_nothing(django_user_model, patient):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    client = token_client(nobody)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert client.get(f"/api/v1/patients/{patient.pk}/outcome/").status_code == 404


def test_the_list_reads_the_memberships_with_the_token(clinician, patient,
                                                       django_assert_num_queries):
    client = token_client(clinician)
    # the token with its user and memberships; the page with the count; its nested rows
    with django_assert_num_queries(3):
        response = client.get("/api/v1/patients/")
    assert response.json()["count"] == 1


def test_the_memberships_read_with_the_token_are_the_policys(clinician, center,
                                                             django_assert_num_queries):
    from registry import scoping

    scoping.remember_memberships(clinician, [(center.pk, "clinician")])
    with django_assert_num_queries(0):  # nothing prefetched any more
        scoping.load_memberships(clinician)
        assert scoping.user_center_ids(clinician) == [center.pk]
        assert scoping.can_write(clinician, center.pk)
        assert scoping.user_roles(clinician) == {"clinician"}


def test_other_databases_take_the_orms_way(monkeypatch, clinician, patient,
                                           django_assert_num_queries):
    """SQLite (``make run``): the token with its user, then the memberships prefetched."""
    from django.db import connections

    client = token_client(clinician)
    monkeypatch.setattr(type(connections["default"]), "vendor", "sqlite")
    with django_assert_num_queries(3):  # token and user; memberships; the outcome
        response = client.get(f"/api/v1/patients/{patient.pk}/outcome/")
    assert response.status_code == 200
    assert client.get("/api/v1/patients/").json()["count"] == 1
    monkeypatch.undo()
