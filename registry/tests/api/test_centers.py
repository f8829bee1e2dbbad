import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api

URL = "/api/v1/centers/"

pytestmark = pytest.mark.django_db


def test_lists_my_centres_only(clinician, other_center):
    body = api(clinician).get(URL).json()
    assert [row["code"] for row in body["results"]] == ["north"]


def test_other_centre_is_404(clinician, other_center):
    assert api(clinician).get(f"{URL}{other_center.pk}/").status_code == 404


def test_superuser_sees_all(superuser, center, other_center):
    assert api(superuser).get(URL).json()["count"] == 2


def test_read_only(clinician, center):
    assert api(clinician).post(URL, {"code": "x", "name": "X"},
                               format="json").status_code == 405


def test_list_query_count(clinician, center, django_assert_num_queries):
    client = api(clinician)
    # auth (2), count, centres
    with django_assert_num_queries(AUTH_QUERIES + 2):
        client.get(URL)


def test_detail_query_count(clinician, center, django_assert_num_queries):
    client = api(clinician)
    # auth (2), centre
    with django_assert_num_queries(AUTH_QUERIES + 1):
        assert client.get(f"{URL}{center.pk}/").status_code == 200
