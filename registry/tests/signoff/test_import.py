"""Sign-off in the imports: a row that would change a signed record is refused, naming the
row and the record; all or nothing, nothing written. The same data again is unchanged."""

import pytest

from exchange.imports import VALID_ONLY, import_files
from exchange.tests.helpers import csv_file
from patients.models import MrcGrade, Titre, Visit
from treatments.models import LotNumber, Series

pytestmark = pytest.mark.django_db

VISIT_HEADER = ["patient", "visited_on", "kind", "series", "examiner", "functional_score",
                "prineas_score", "notes"]
MRC_HEADER = ["patient", "visited_on", "kind", "muscle", "side", "grade"]
TITRES = csv_file(["patient", "sampled_on", "antigen", "isotype", "method", "value", "unit"],
                  ["MMN-900", "1993-01-11", "gm1", "IgM", "elisa", "3200", "dilution"])


def _visits(examiner: str) -> str:
    return csv_file(VISIT_HEADER, ["MMN-900", "1994-01-03", "baseline", "", examiner, "", "",
                                   ""])


def test_a_row_changing_a_signed_visit_is_refused_and_nothing_is_written(
        data_manager, signed_visit):
    report = import_files(user=data_manager, files={"visits": _visits("Dr B"),
                                                    "titres": TITRES})
    assert not report.committed
    [problem] = report.problems
    assert (problem.file, problem.line) == ("visits.csv", 2)
    assert "the baseline visit of MMN-900 on 1994-01-03 is signed by clinician" in (
        problem.message)
    assert Visit.objects.get().examiner == "Dr A"
    assert not Titre.objects.exists()  # all or nothing


def test_mrc_rows_of_a_signed_visit_are_refused(data_manager, signed_visit):
    mrc = csv_file(MRC_HEADER, ["MMN-900", "1994-01-03", "baseline", "deltoid", "R", "5"])
    report = import_files(user=data_manager, files={"mrc": mrc})
    assert not report.committed
    assert [(p.file, p.line) for p in report.problems] == [("mrc.csv", 2)]
    assert "signed by clinician" in report.problems[0].message
    assert MrcGrade.objects.get().grade == 3


def test_the_same_data_again_is_unchanged_not_refused(data_manager, signed_visit):
    mrc = csv_file(MRC_HEADER, ["MMN-900", "1994-01-03", "baseline", "deltoid", "R", "3"])
    report = import_files(user=data_manager, files={"visits": _visits("Dr A"), "mrc": mrc})
    assert report.problems == []
    assert report.counts_dict()["visits"] == {"unchanged": 1}


def test_valid_only_writes_the_rest(data_manager, signed_visit):
    report = import_files(user=data_manager, mode=VALID_ONLY,
                          files={"visits": _visits("Dr B"), "titres": TITRES})
    assert report.committed and len(report.problems) == 1
    assert Titre.objects.count() == 1 and Visit.objects.get().examiner == "Dr A"


def test_lots_of_a_signed_series_are_refused(data_manager, signed_series):
    lots = csv_file(["patient", "series", "lot"], ["MMN-900", "1", "LOT-2"])
    report = import_files(user=data_manager, files={"lots": lots})
    assert not report.committed
    [problem] = report.problems
    assert problem.file == "lots.csv" and "series 1 of MMN-900 is signed by" in problem.message
    assert list(LotNumber.objects.values_list("lot", flat=True)) == ["LOT-1"]
    assert Series.objects.get().signed_at is not None


def test_after_an_unlock_the_import_goes_through(data_manager, signed_visit):
    from patients import services
    services.visit_unlock(visit=signed_visit, reason="import corrections", by=data_manager)
    report = import_files(user=data_manager, files={"visits": _visits("Dr B")})
    assert report.committed and report.problems == []
    assert Visit.objects.get().examiner == "Dr B"
