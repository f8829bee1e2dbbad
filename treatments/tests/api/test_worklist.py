"""``worklist/`` (api.md, additions of 2026-12-01): the user's centres only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registry.tests.api.helpers import AUTH_QUERIES, api
from treatments.services import tailoring_record
from treatments.tests.worklist_rows import scheduled

URL = "/api/v1/worklist/"
TODAY = timezone.localdate()

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_sections_of_my_centres(clinician, center, other_center):
    scheduled(center, "DUE-TODAY", due=TODAY)
    scheduled(center, "DUE-IN-7", due=TODAY + timedelta(days=7))
    scheduled(center, "DUE-IN-8", due=TODAY + timedelta(days=8))
    scheduled(center, "LATE", due=TODAY - timedelta(days=10), overdue=True)
    scheduled(center, "GRACE", due=TODAY - timedelta(days=2))  # past due, within the grace
    scheduled(center, "STOPPED", due=None)  # a withdrawal stops the schedule
    scheduled(center, "PENDING", due=None, stale=True)
    scheduled(other_center, "THEIRS", due=TODAY, overdue=False, stale=True)
    scheduled(other_center, "THEIRS-LATE", due=TODAY - timedelta(days=10), overdue=True)
    body = api(clinician).get(URL).json()
    assert [row["code"] for row in body["due"]] == ["DUE-TODAY", "DUE-IN-7"]
    assert body["due"][0]["next_series_due"] == TODAY.isoformat()
    assert body["overdue"] == [{"patient": body["overdue"][0]["patient"], "code": "LATE",
                                "next_series_due": (TODAY - timedelta(days=10)).isoformat(),
                                "days_overdue": 10}]
    assert [row["code"] for row in body["stale"]] == ["PENDING"]
    assert body["queries"] == []


def test_another_centres_clinician_sees_only_theirs(other_centre_clinician, center,
                                                    other_center):
    scheduled(center, "MINE", due=TODAY, stale=True)
    scheduled(other_center, "THEIRS", due=TODAY)
    body = api(other_centre_clinician).get(URL).json()
    assert [row["code"] for row in body["due"]] == ["THEIRS"]
    assert body["stale"] == []


def test_a_researcher_has_no_worklist(researcher, center):
    scheduled(center, "DUE", due=TODAY, stale=True)
    body = api(researcher).get(URL).json()
    assert body == {"due": [], "overdue": [], "stale": [], "queries": []}


def test_a_write_puts_the_patient_in_stale_until_recomputed(clinician, patient):
    tailoring_record(patient=patient, data={"kind": "withdrawal", "started_on": TODAY})
    body = api(clinician).get(URL).json()
    assert [row["code"] for row in body["stale"]] == [patient.code]


def test_unknown_query_parameter_is_a_400(clinician):
    assert api(clinician).get(URL, {"center": "x"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 40])
def test_query_count(clinician, center, rows, django_assert_num_queries):
    for index in range(rows):
        scheduled(center, f"P{index:03}", due=TODAY + timedelta(days=index % 10),
                  overdue=index % 7 == 0, stale=index % 3 == 0)
    client = api(clinician)
    # auth, the outcome rows with their patient codes, the open data-quality queries of
    # the scoped patients (§11, the worklist's queries hook) in one query
    with django_assert_num_queries(AUTH_QUERIES + 2):
        body = client.get(URL).json()
    assert len(body["stale"]) == len(range(0, rows, 3))
