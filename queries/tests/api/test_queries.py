"""``queries/`` (api.md "Additions of 2026-12-01"): manual queries, the workflow by role,
optimistic locking, filters, centre scoping and bounded lists."""

from decimal import Decimal

import pytest

from queries.models import Query
from queries.services import query_raise
from queries.tests.conftest import recompute
from registry.models import Role
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import member
from treatments.models import Series
from treatments.services import series_update

URL = "/api/v1/queries/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def weight_query(treated) -> Query:
    second = Series.objects.get(patient=treated, number=2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    [query] = recompute(treated)
    return query


def patch(user, query: Query, body: dict):
    return api(user).patch(f"{URL}{query.pk}/", body, format="json")


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_a_registry_query_reads_as_api_md_names_it(clinician, weight_query):
    row = api(clinician).get(f"{URL}{weight_query.pk}/").json()
    second = Series.objects.get(patient=weight_query.patient, number=2)
    assert row["record"] == {"model": "series", "id": second.pk}
    assert (row["rule"], row["status"], row["answer"], row["version"]) == (
        "weight_change", "open", "", 1)
    assert row["fingerprint"] == {"previous_series": 1, "previous_weight_kg": 70,
                                  "weight_kg": 90}
    assert {"id", "patient", "message", "raised_at", "answered_by", "answered_at",
            "closed_by", "closed_at"} <= set(row)


def test_a_data_manager_raises_a_manual_query_on_a_record(data_manager, treated):
    visit = treated.visits.get(kind="baseline")
    response = api(data_manager).post(URL, {
        "patient": treated.pk, "record": {"model": "visit", "id": visit.pk},
        "message": "Was deltoid R really 2?"}, format="json")
    assert response.status_code == 201, response.json()
    row = response.json()
    assert (row["rule"], row["status"], row["raised_by"], row["record"]) == (
        "manual", "open", "data_manager", {"model": "visit", "id": visit.pk})
    assert Query.objects.get(pk=row["id"]).history.get().history_user == data_manager


def test_a_manual_query_without_a_record_is_about_the_patient(data_manager, treated):
    response = api(data_manager).post(URL, {"patient": treated.pk, "message": "Consent?"},
                                      format="json")
    assert response.json()["record"] == {"model": "patient", "id": treated.pk}


@pytest.mark.parametrize("body, field", [
    ({"message": ""}, "message"),
    ({"record": {"model": "visit", "id": 999999}}, "record"),
    ({"record": {"model": "spaceship", "id": 1}}, "record"),
    ({"record": "visit 3"}, "record"),
    ({"rule": "mrc_jump", "status": "closed"}, "status"),
])
def test_a_bad_manual_query_is_a_400_naming_the_field(data_manager, treated, body, field):
    response = api(data_manager).post(URL, {"patient": treated.pk, "message": "Why?", **body},
                                      format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_record_of_another_patient_is_refused(data_manager, treated, other_patient):
    from patients.models import Visit
    from registry.tests.factories import VisitFactory

    foreign = VisitFactory(patient=treated.__class__.objects.create(
        code="MMN-950", center=treated.center, sex="F", birth_year=1950, diagnosis="mmn"))
    response = api(data_manager).post(URL, {
        "patient": treated.pk, "record": {"model": "visit", "id": foreign.pk},
        "message": "?"}, format="json")
    assert response.status_code == 400 and "record" in response.json()
    assert Visit.objects.filter(pk=foreign.pk).exists()


def test_clinicians_and_researchers_raise_no_query(clinician, researcher, treated):
    for user in (clinician, researcher):
        response = api(user).post(URL, {"patient": treated.pk, "message": "?"}, format="json")
        assert response.status_code == 403
    assert not Query.objects.exists()


def test_another_centres_data_manager_cannot_raise_on_this_patient(other_center, treated):
    other = member(center=other_center, role=Role.DATA_MANAGER, username="dm_south")
    response = api(other).post(URL, {"patient": treated.pk, "message": "?"}, format="json")
    assert response.status_code == 400 and "patient" in response.json()  # not one of theirs


def test_a_clinician_answers_and_a_data_manager_closes(clinician, data_manager, weight_query):
    answered = patch(clinician, weight_query, {"answer": "Weighed again: 90 kg.", "version": 1})
    assert answered.status_code == 200, answered.json()
    assert (answered.json()["status"], answered.json()["answered_by"],
            answered.json()["version"]) == ("answered", "clinician", 2)
    assert answered.json()["answered_at"] is not None
    closed = patch(data_manager, weight_query, {"status": "closed", "close_reason": "confirmed",
                                                "version": 2})
    assert closed.status_code == 200, closed.json()
    assert (closed.json()["status"], closed.json()["close_reason"],
            closed.json()["closed_by"]) == ("closed", "confirmed", "data_manager")
    history = weight_query.history.order_by("history_id")
    assert [(h.status, h.history_user) for h in history] == [
        ("open", None), ("answered", clinician), ("closed", data_manager)]
    # confirmed: the same values are not raised again
    assert [q.status for q in recompute(weight_query.patient)] == ["closed"]


def test_a_closed_query_takes_no_answer_and_is_not_closed_twice(clinician, data_manager,
                                                                 weight_query):
    patch(data_manager, weight_query, {"status": "closed", "version": 1})
    again = patch(data_manager, weight_query, {"status": "closed", "version": 2})
    assert again.status_code == 400 and "status" in again.json()
    answer = patch(clinician, weight_query, {"answer": "late", "version": 2})
    assert answer.status_code == 400 and "answer" in answer.json()


def test_closing_without_a_reason_resolves(data_manager, weight_query):
    closed = patch(data_manager, weight_query, {"status": "closed", "version": 1}).json()
    assert closed["close_reason"] == "resolved"


@pytest.mark.parametrize("body, field", [
    ({"status": "open"}, "status"), ({"status": "answered"}, "status"),
    ({"status": "closed", "close_reason": "auto"}, "close_reason"),
    ({"message": "new text"}, "message"), ({"answer": ""}, "answer"),
])
def test_a_bad_change_is_a_400_naming_the_field(data_manager, weight_query, body, field):
    response = patch(data_manager, weight_query, {**body, "version": 1})
    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_clinicians_do_not_close_and_researchers_do_nothing(clinician, researcher,
                                                            weight_query):
    assert patch(clinician, weight_query, {"status": "closed", "version": 1}).status_code == 403
    assert patch(researcher, weight_query, {"answer": "x", "version": 1}).status_code == 403
    assert api(researcher).post(URL, {"patient": weight_query.patient_id, "message": "?"},
                                format="json").status_code == 403
    weight_query.refresh_from_db()
    assert (weight_query.status, weight_query.version) == ("open", 1)


def test_a_stale_version_is_refused_and_changes_nothing(clinician, weight_query):
    patch(clinician, weight_query, {"answer": "first", "version": 1})
    stale = patch(clinician, weight_query, {"answer": "second", "version": 1})
    assert stale.status_code == 409
    missing = patch(clinician, weight_query, {"answer": "third"})  # no version: 400 naming it
    assert missing.status_code == 400 and "version" in missing.json()
    weight_query.refresh_from_db()
    assert (weight_query.answer, weight_query.version) == ("first", 2)


def test_put_and_delete_are_not_allowed(data_manager, weight_query):
    client = api(data_manager)
    assert client.put(f"{URL}{weight_query.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"{URL}{weight_query.pk}/").status_code == 405


def test_another_centres_queries_are_invisible(other_centre_clinician, weight_query):
    client = api(other_centre_clinician)
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{weight_query.pk}/").status_code == 404
    assert patch(other_centre_clinician, weight_query,
                 {"answer": "x", "version": 1}).status_code == 404


def test_filters(clinician, data_manager, weight_query, center):
    manual = query_raise(patient=weight_query.patient, message="Consent?", by=data_manager)
    client = api(clinician)

    def ids(**params):
        return [row["id"] for row in client.get(URL, params).json()["results"]]

    assert ids(rule="weight_change") == [weight_query.pk]
    assert ids(rule="manual") == [manual.pk]
    assert sorted(ids(status="open")) == sorted([weight_query.pk, manual.pk])
    assert ids(status="closed") == []
    assert len(ids(patient=weight_query.patient_id)) == 2
    assert len(ids(center=center.code)) == 2 and len(ids(center=center.pk)) == 2
    assert ids(center="south") == []
    for bad in ({"status": "pending"}, {"rule": "nonsense"}, {"patient": "x"},
                {"stauts": "open"}):
        assert client.get(URL, bad).status_code == 400


def test_the_list_needs_the_same_queries_for_one_or_many(clinician, data_manager, treated,
                                                         django_assert_num_queries):
    query_raise(patient=treated, message="One?", by=data_manager)
    client = api(clinician)
    # the count, the page (with patient, centre and users joined)
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert client.get(URL).json()["count"] == 1
    for n in range(5):
        query_raise(patient=treated, message=f"More {n}?", by=data_manager)
    client = api(clinician)
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert client.get(URL).json()["count"] == 6


def test_researchers_read_the_consented_patients_queries_only(researcher, weight_query):
    from patients.models import Consent

    assert [row["id"] for row in api(researcher).get(URL).json()["results"]] == [
        weight_query.pk]
    Consent.objects.filter(patient=weight_query.patient).update(withdrawn_on="2000-01-01")
    assert api(researcher).get(URL).json()["count"] == 0
