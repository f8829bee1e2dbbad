"""``/queries/`` and the patient page's "Open queries" (ui.md "Additions of 2026-12-01")."""

from decimal import Decimal

import pytest
from django.urls import reverse

from queries.models import Query
from queries.services import query_raise
from queries.tests.conftest import recompute
from registry.models import Role
from registry.tests.factories import PatientFactory, member
from treatments.models import Series
from treatments.services import series_update

pytestmark = pytest.mark.django_db
LIST = "/queries/"


@pytest.fixture
def weight_query(treated) -> Query:
    second = Series.objects.get(patient=treated, number=2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    [query] = recompute(treated)
    return query


def test_login_is_required(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_researchers_get_403(client, researcher):
    client.force_login(researcher)
    assert client.get(LIST).status_code == 403


def test_a_data_manager_sees_the_centres_queries_with_counts_and_forms(
        client, data_manager, weight_query):
    client.force_login(data_manager)
    page = client.get(LIST).content.decode()
    assert weight_query.message in page
    assert reverse("queries:close", args=[weight_query.pk]) in page
    assert reverse("queries:answer", args=[weight_query.pk]) in page
    assert reverse("treatments:series_edit", args=[weight_query.patient_id,
                                                   weight_query.record_id]) in page
    assert 'id="counts"' in page and 'id="raise"' in page
    assert "<td class=\"num\">1</td>" in page  # north: one open


def test_counts_per_centre(data_manager, weight_query, center, other_center):
    from queries.selectors import query_counts_by_centre

    query_raise(patient=weight_query.patient, message="Consent?", by=data_manager)
    other = PatientFactory(center=other_center)
    query_raise(patient=other, message="Elsewhere?", by=member(
        center=other_center, role=Role.DATA_MANAGER, username="dm_south"))
    [north] = query_counts_by_centre(data_manager)  # only the user's centres
    assert (north["code"], north["open"], north["answered"], north["closed"]) == (
        "north", 2, 0, 0)


def test_a_data_manager_closes_as_confirmed_from_the_page(client, data_manager, weight_query):
    client.force_login(data_manager)
    response = client.post(reverse("queries:close", args=[weight_query.pk]),
                           {"reason": "confirmed", "version": 1, "next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    weight_query.refresh_from_db()
    assert (weight_query.status, weight_query.close_reason, weight_query.closed_by) == (
        "closed", "confirmed", data_manager)
    assert weight_query.history.latest().history_source == "page"


def test_a_stale_close_is_refused_with_a_message(client, data_manager, weight_query):
    client.force_login(data_manager)
    response = client.post(reverse("queries:close", args=[weight_query.pk]),
                           {"reason": "resolved", "version": 7}, follow=True)
    assert "version 7 is stale" in response.content.decode()
    weight_query.refresh_from_db()
    assert weight_query.status == "open"


def test_filters_on_the_page(client, data_manager, weight_query):
    manual = query_raise(patient=weight_query.patient, message="Consent form?", by=data_manager)
    client.force_login(data_manager)
    page = client.get(LIST, {"rule": "manual"}).content.decode()
    assert manual.message in page and weight_query.message not in page
    assert weight_query.message not in client.get(LIST, {"status": "closed"}).content.decode()
    assert weight_query.message in client.get(
        LIST, {"patient": weight_query.patient.code}).content.decode()


def test_a_data_manager_raises_a_query_from_the_page(client, data_manager, treated):
    client.force_login(data_manager)
    visit = treated.visits.get(kind="baseline")
    client.post(reverse("queries:raise"), {"patient": treated.code, "record": "visit",
                                           "record_id": visit.pk, "message": "Really 2?"})
    query = Query.objects.get(rule="manual")
    assert (query.record_model, query.record_id, query.raised_by) == (
        "patients.visit", visit.pk, data_manager)


def test_a_clinician_does_not_raise_or_close(client, clinician, treated, weight_query):
    client.force_login(clinician)
    assert client.post(reverse("queries:raise"), {
        "patient": treated.code, "record": "patient", "message": "?"}).status_code == 403
    assert client.post(reverse("queries:close", args=[weight_query.pk]), {
        "reason": "resolved", "version": 1}).status_code == 403
    assert not Query.objects.filter(rule="manual").exists()


def test_the_patient_page_lists_open_queries_and_a_clinician_answers_there(
        client, clinician, weight_query):
    client.force_login(clinician)
    detail = reverse("patients:detail", args=[weight_query.patient_id])
    page = client.get(detail).content.decode()
    assert "Open queries" in page and weight_query.message in page
    assert reverse("queries:close", args=[weight_query.pk]) not in page  # clinicians answer
    response = client.post(reverse("queries:answer", args=[weight_query.pk]), {
        "answer": "Weighed again: 90 kg.", "version": 1, "next": detail})
    assert response["Location"] == detail
    weight_query.refresh_from_db()
    assert (weight_query.status, weight_query.answered_by) == ("answered", clinician)
    assert "Weighed again: 90 kg." in client.get(detail).content.decode()


def test_researchers_see_no_queries_on_the_patient_page(client, researcher, weight_query):
    client.force_login(researcher)
    page = client.get(reverse("patients:detail", args=[weight_query.patient_id]))
    assert page.status_code == 200
    assert "Open queries" not in page.content.decode()


def test_another_centres_query_is_404(client, other_centre_clinician, weight_query):
    client.force_login(other_centre_clinician)
    assert weight_query.message not in client.get(LIST).content.decode()
    assert client.post(reverse("queries:answer", args=[weight_query.pk]), {
        "answer": "x", "version": 1}).status_code == 404


@pytest.mark.parametrize("count", [1, 6])
def test_the_page_needs_the_same_queries_for_one_or_many(
        client, data_manager, treated, count, django_assert_num_queries):
    for n in range(count):
        query_raise(patient=treated, message=f"Question {n}?", by=data_manager)
    client.force_login(data_manager)
    # session, user, the session's authenticator (django-otp's middleware: a data manager
    # signs in with a second factor, §11), memberships, the count, the page (patient,
    # centre, users joined), the counts per centre
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200
