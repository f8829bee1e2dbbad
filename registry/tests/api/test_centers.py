import pytest

from registry.factories import CenterFactory
from registry.models import Membership
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


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count(clinician, center, rows, django_assert_num_queries):
    for number in range(1, rows):
        Membership.objects.create(user=clinician, center=CenterFactory(code=f"extra{number}"),
                                  role="clinician")
    client = api(clinician)
    # auth, count, centres
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert len(client.get(URL).json()["results"]) == rows


def test_ordering_and_code_filter(clinician, center, other_center):
    Membership.objects.create(user=clinician, center=other_center, role="researcher")
    client = api(clinician)
    assert [c["code"] for c in client.get(URL, {"ordering": "-code"}).json()["results"]] == [
        "south", "north"]
    assert client.get(URL, {"code": "south"}).json()["count"] == 1
    assert client.get(URL, {"ordering": "members"}).status_code == 400


def test_detail_query_count(clinician, center, django_assert_num_queries):
    client = api(clinician)
    # auth, centre
    with django_assert_num_queries(AUTH_QUERIES + 1):
        assert client.get(f"{URL}{center.pk}/").status_code == 200
