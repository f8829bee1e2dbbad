import pytest
from django.urls import reverse

from registry.tests.factories import PatientFactory, SeriesFactory, VisitFactory

URL = reverse("patients:list")


def test_login_is_required(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_is_the_worklist_for_clinicians_the_list_for_others(client, clinician,
                                                                  data_manager, researcher):
    client.force_login(clinician)
    assert client.get("/")["Location"] == "/worklist/"
    for user in (data_manager, researcher):
        client.force_login(user)
        assert client.get("/")["Location"] == URL


def test_lists_only_the_users_centres(client, clinician, patient, other_patient):
    client.force_login(clinician)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"MMN-900" in response.content
    assert b"MMN-901" not in response.content


def test_row_shows_series_count_and_last_visit(client, clinician, patient):
    SeriesFactory(patient=patient, number=1)
    VisitFactory(patient=patient, visited_on="1994-03-02", kind="follow_up")
    client.force_login(clinician)
    row = client.get(URL).context["page"][0]
    assert row.series_count == 1
    assert str(row.last_visit) == "1994-03-02"


def test_search_and_filters(client, clinician, center):
    PatientFactory(center=center, code="MMN-001", diagnosis="mmn")
    PatientFactory(center=center, code="PN-002", diagnosis="igm_mgus_pn")
    client.force_login(clinician)
    assert [p.code for p in client.get(URL, {"q": "pn-"}).context["page"]] == ["PN-002"]
    codes = [p.code for p in client.get(URL, {"diagnosis": "mmn"}).context["page"]]
    assert codes == ["MMN-001"]
    assert list(client.get(URL, {"status": "plateau"}).context["page"]) == []
    assert len(client.get(URL, {"center": str(center.pk)}).context["page"]) == 2


def test_researcher_is_not_offered_new_patient(client, researcher, patient):
    client.force_login(researcher)
    response = client.get(URL)
    assert b"MMN-900" in response.content
    assert b"New patient" not in response.content


def test_paginated(client, clinician, center):
    PatientFactory.create_batch(55, center=center)
    client.force_login(clinician)
    response = client.get(URL, {"page": 2})
    assert len(response.context["page"]) == 5
    assert b"page 2 of 2" in response.content


@pytest.mark.parametrize("count", [1, 20])
def test_query_count_does_not_grow_with_rows(
    client, clinician, center, count, django_assert_num_queries
):
    for _ in range(count):
        SeriesFactory(patient=PatientFactory(center=center))
    client.force_login(clinician)
    # session, user, memberships (centre scope and roles: read once), count for the
    # paginator, the page of patients with centre, outcome, series count and last visit
    # (one query), centres of the filter.
    with django_assert_num_queries(6):
        response = client.get(URL)
    assert len(response.context["page"]) == count
