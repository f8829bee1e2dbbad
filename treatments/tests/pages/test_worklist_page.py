"""``/worklist/`` (ui.md, 2026-12-01): the clinicians' home page, their centres only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from treatments.tests.worklist_rows import scheduled

URL = "/worklist/"
TODAY = timezone.localdate()

pytestmark = pytest.mark.django_db


def test_login_required(client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_lists_my_centres_only(client, clinician, center, other_center):
    scheduled(center, "MINE-DUE", due=TODAY + timedelta(days=3))
    scheduled(center, "MINE-LATE", due=TODAY - timedelta(days=20), overdue=True)
    scheduled(center, "MINE-PENDING", due=None, stale=True)
    scheduled(other_center, "THEIRS-DUE", due=TODAY + timedelta(days=3), stale=True)
    client.force_login(clinician)
    text = client.get(URL).content.decode()
    due = text[text.index('id="due"'):text.index('id="overdue"')]
    overdue = text[text.index('id="overdue"'):text.index('id="stale"')]
    stale = text[text.index('id="stale"'):text.index('id="queries"')]
    assert "MINE-DUE" in due and "MINE-LATE" in overdue and ">20<" in overdue
    assert "MINE-PENDING" in stale
    assert "THEIRS" not in text
    assert "No open query." in text


@pytest.mark.parametrize("rows", [1, 30])
def test_query_count(client, clinician, center, rows, django_assert_num_queries):
    for index in range(rows):
        scheduled(center, f"P{index:03}", due=TODAY + timedelta(days=index % 9),
                  overdue=index % 5 == 0, stale=index % 2 == 0)
    client.force_login(clinician)
    # session, user, memberships, the outcome rows with their patient codes, the open
    # data-quality queries of the scoped patients (§11, the worklist's queries hook)
    with django_assert_num_queries(5):
        assert client.get(URL).status_code == 200
