"""A data manager fixes what a query found through the import: the recompute the import
triggers closes the query (clinical-rules.md §11)."""

import pytest

from exchange.imports import import_files
from exchange.tests.helpers import csv_file
from exchange.tests.test_imports import FILES
from patients.models import Visit
from queries.models import AUTO, CLOSED, OPEN, Query
from treatments.models import Outcome
from treatments.tasks import outcome_sweep_stale

pytestmark = pytest.mark.django_db

MRC_HEADER = ["patient", "visited_on", "kind", "muscle", "side", "grade"]


def test_a_corrected_visit_imported_closes_its_query(data_manager,
                                                     django_capture_on_commit_callbacks):
    # MMN-100's post visit lacks biceps R, a target muscle of its baseline
    lacking = csv_file(MRC_HEADER, ["MMN-100", "1993-01-25", "baseline", "deltoid", "R", "3"],
                       ["MMN-100", "1993-01-25", "baseline", "biceps", "R", "2"],
                       ["MMN-100", "1993-02-15", "post_series", "deltoid", "R", "4"])
    with django_capture_on_commit_callbacks(execute=True):
        assert import_files(user=data_manager, files={**FILES, "mrc": lacking}).committed
    post = Visit.objects.get(patient__code="MMN-100", kind="post_series")
    [query] = Query.objects.filter(rule="target_grade_missing")
    assert (query.record_id, query.status, query.fingerprint) == (
        post.pk, OPEN, {"missing": [["biceps", "R"]]})

    corrected = csv_file(MRC_HEADER, ["MMN-100", "1993-02-15", "post_series", "deltoid", "R",
                                      "4"],
                         ["MMN-100", "1993-02-15", "post_series", "biceps", "R", "3"])
    report = import_files(user=data_manager, files={"mrc": corrected})
    assert report.counts_dict() == {"mrc": {"updated": 2}}  # rows of the one grid
    # The import marked the outcome stale; its recompute (here the sweep's: the test's
    # transaction never commits) closes the query.
    assert Outcome.objects.get(patient=post.patient).stale
    assert outcome_sweep_stale() == 1
    query.refresh_from_db()
    assert (query.status, query.close_reason, query.closed_by) == (CLOSED, AUTO, None)
    assert query.history.count() == 2

