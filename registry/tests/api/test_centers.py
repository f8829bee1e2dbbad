import pytest

from registry.models import Membership
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import CenterFactory

URL = "/api/v1/centers/"

pytestmark = pytest.mark.django_db


def test_lists_my_centres_only(clinician, other_center):
    body = api(clinician).get(URL).json()
    assert [row["code"] for row in body["results"]] == ["north"]


def test_other_centre_is_404(clinician, other_center):
    assert api(clinician).get(f"{URL}{other_center.pk}/").status_code == 404


def test_superuser_sees_all(superuser, center, other_center):
    assert api(superuser).get(URL).json()["count"] == 2


def test_only_a_superuser_creates_a_centre(clinician, data_manager, superuser):
    for member in (clinician, data_manager):
        response = api(member).post(URL, {"code": "east", "name": "East"}, format="json")
        assert response.status_code == 403
    response = api(superuser).post(URL, {"code": "east", "name": "East neurology"},
                                   format="json")
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "name": "East neurology",
                               "code": "east", "version": 1}


def test_a_bad_or_taken_code_is_a_400_naming_it(superuser, center):
    client = api(superuser)
    assert "code" in client.post(URL, {"code": "north", "name": "Again"},
                                 format="json").json()
    assert "code" in client.post(URL, {"code": "not a slug", "name": "X"},
                                 format="json").json()
    assert "name" in client.post(URL, {"code": "west"}, format="json").json()


def test_a_superuser_renames_with_the_version_read(superuser, center):
    client = api(superuser)
    url = f"{URL}{center.pk}/"
    assert client.patch(url, {"name": "Renamed"}, format="json").status_code == 400
    response = client.patch(url, {"name": "Renamed", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = client.put(url, {"name": "Again", "code": "north", "version": 1}, format="json")
    assert stale.status_code == 409
    center.refresh_from_db()
    assert (center.name, center.version) == ("Renamed", 2)
    assert center.history.count() == 2  # created, renamed


def test_members_cannot_rename_and_other_centres_are_404(clinician, center, other_center):
    client = api(clinician)
    assert client.patch(f"{URL}{center.pk}/", {"name": "Mine", "version": 1},
                        format="json").status_code == 403
    assert client.patch(f"{URL}{other_center.pk}/", {"name": "Theirs", "version": 1},
                        format="json").status_code == 404


def test_a_centre_is_never_deleted(superuser, center):
    assert api(superuser).delete(f"{URL}{center.pk}/").status_code == 405


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
