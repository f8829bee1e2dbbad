"""Two clients record the same visit at the same moment: the database's unique constraint
decides, and the loser gets the same 400 on ``visited_on`` as a plain repeat — not the
database's words (a retried POST is how repeats were made; issue 20, item 3)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from patients.models import Visit
from registry.tests.api.helpers import api
from registry.tests.test_concurrency import lock_waiters

pytestmark = pytest.mark.django_db(transaction=True)

VISIT = {"visited_on": "1994-01-01", "kind": "baseline", "examiner": "Dr B"}


def test_the_visit_that_loses_the_race_is_refused_beside_its_date(clinician, patient):
    answers: list = []

    def second_client() -> None:
        try:
            answers.append(api(clinician).post("/api/v1/visits/",
                                               {**VISIT, "patient": patient.pk},
                                               format="json"))
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=second_client)
    with transaction.atomic():
        # The first client's visit, not committed yet: the second validates without
        # seeing it, and its INSERT waits on this row's unique key.
        Visit.objects.create(patient=patient, visited_on="1994-01-01", kind="baseline",
                             examiner="Dr A")
        thread.start()
        deadline = time.monotonic() + 30
        while lock_waiters() < 1:
            assert time.monotonic() < deadline, "the second insert never waited"
            time.sleep(0.05)
    thread.join(timeout=30)
    (response,) = answers
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["visited_on"]
    assert "already has a visit of kind" in response.json()["visited_on"][0]
    assert list(Visit.objects.values_list("examiner", flat=True)) == ["Dr A"]
