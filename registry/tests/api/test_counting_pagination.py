"""The patient list reads its page and its count in one query (CountingPaginator)."""

import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"


@pytest.fixture
def patients(center):
    return [PatientFactory(center=center) for _ in range(7)]


def test_pages_and_links_as_before(clinician, patients, other_patient):
    client = api(clinician)
    first = client.get(URL, {"page_size": 3}).json()
    assert first["count"] == 7  # the other centre's patient is not counted
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get(URL, {"page_size": 3, "page": 3}).json()
    assert last["count"] == 7 and last["next"] is None and len(last["results"]) == 1
    codes = [row["code"] for page in (1, 2, 3)
             for row in client.get(URL, {"page_size": 3, "page": page}).json()["results"]]
    assert sorted(codes) == sorted(p.code for p in patients) and len(set(codes)) == 7


@pytest.mark.parametrize("page", ["4", "0", "-1", "x", "1.5"])
def test_a_page_that_is_not_one_of_the_lists_is_a_404(clinician, patients, page):
    response = api(clinician).get(URL, {"page_size": 3, "page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_an_empty_list_has_its_first_page(clinician, django_assert_num_queries):
    client = api(clinician)
    # auth, the page (no row), then the count Django's way
    with django_assert_num_queries(AUTH_QUERIES + 2):
        body = client.get(URL).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_filtered_or_ordered_list_counts_what_it_shows(clinician, patients):
    client = api(clinician)
    body = client.get(URL, {"code": patients[0].code}).json()
    assert body["count"] == 1 and body["results"][0]["code"] == patients[0].code
    ordered = client.get(URL, {"ordering": "-code", "page_size": 2}).json()
    assert ordered["count"] == 7
    assert [r["code"] for r in ordered["results"]] == sorted(
        (p.code for p in patients), reverse=True)[:2]
