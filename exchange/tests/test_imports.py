"""Imports: validated whole, written through the services, all-or-nothing or valid rows only,
and idempotent."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from exchange import services
from exchange.imports import ALL_OR_NOTHING, DRY_RUN, VALID_ONLY, import_files
from exchange.models import Source
from exchange.tests.helpers import csv_file
from patients.models import Identity, MrcGrade, Patient, Titre, Visit
from treatments.models import Outcome, Series

pytestmark = pytest.mark.django_db

PATIENTS = csv_file(
    ["patient", "center", "sex", "birth_year", "diagnosis", "onset_year",
     "neuropathy_pattern", "consent_given_on", "consent_version", "notes"],
    ["MMN-100", "north", "F", "1955", "mmn", "1990", "demyelinating", "1993-01-04", "1.0", ""],
    ["MMN-101", "north", "M", "1948", "mmn", "", "", "", "", "Referred."],
)
NERVES = csv_file(["patient", "side", "nerve"], ["MMN-100", "R", "median"],
                  ["MMN-100", "L", "ulnar"])
TITRES = csv_file(["patient", "sampled_on", "antigen", "isotype", "method", "value", "unit"],
                  ["MMN-100", "1993-01-11", "gm1", "IgM", "elisa", "3200", "dilution"])
SERIES = csv_file(
    ["patient", "series", "started_on", "days", "dose_g_per_kg", "weight_kg", "product",
     "status", "stop_reason"],
    ["MMN-100", "1", "1993-02-01", "5", "2.0", "61.5", "IVIg", "given", ""],
    ["MMN-100", "2", "1993-03-01", "5", "2.0", "61.5", "IVIg", "given", ""],
)
LOTS = csv_file(["patient", "series", "lot"], ["MMN-100", "1", "A1"], ["MMN-100", "1", "A2"],
                ["MMN-100", "2", "B1"])
EVENTS = csv_file(["patient", "series", "kind", "severity", "led_to_stop", "notes"],
                  ["MMN-100", "2", "headache", "mild", "false", ""])
VISITS = csv_file(
    ["patient", "visited_on", "kind", "series", "examiner", "functional_score",
     "prineas_score", "notes"],
    ["MMN-100", "1993-01-25", "baseline", "", "Dr A", "2", "", ""],
    ["MMN-100", "1993-02-15", "post_series", "1", "Dr A", "3", "", ""],
    ["MMN-101", "1994-05-02", "baseline", "", "", "", "", ""],
)
MRC = csv_file(
    ["patient", "visited_on", "kind", "muscle", "side", "grade"],
    ["MMN-100", "1993-01-25", "baseline", "deltoid", "R", "3"],
    ["MMN-100", "1993-01-25", "baseline", "biceps", "R", "2"],
    ["MMN-100", "1993-02-15", "post_series", "deltoid", "R", "5"],
    ["MMN-100", "1993-02-15", "post_series", "biceps", "R", "4"],
)
STUDIES = csv_file(["patient", "studied_on", "notes"], ["MMN-100", "1993-01-18", ""])
SEGMENTS = csv_file(
    ["patient", "studied_on", "nerve", "side", "distal_site", "proximal_site",
     "distal_amplitude_mv", "proximal_amplitude_mv"],
    ["MMN-100", "1993-01-18", "median", "R", "wrist", "elbow", "5.8", "1.8"],
)
FILES = {"patients": PATIENTS, "affected_nerves": NERVES, "titres": TITRES, "series": SERIES,
         "lots": LOTS, "adverse_events": EVENTS, "visits": VISITS, "mrc": MRC,
         "nerve_studies": STUDIES, "nerve_segments": SEGMENTS}


def problems(report) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.column) for p in report.problems]


def test_new_patients_and_their_records_are_written_through_the_services(data_manager):
    report = import_files(user=data_manager, files=FILES)
    assert report.problems == [] and report.committed
    patient = Patient.objects.get(code="MMN-100")
    assert patient.center.code == "north" and patient.consent.version == "1.0"
    assert [(n.side, n.nerve) for n in patient.affected_nerves.all()] == [
        ("R", "median"), ("L", "ulnar")]
    series = Series.objects.get(patient=patient, number=1)
    assert [lot.lot for lot in series.lots.all()] == ["A1", "A2"]
    assert series.total_grams == Decimal("123.0")
    post = Visit.objects.get(patient=patient, kind="post_series")
    assert post.series == series and post.recorded_by == data_manager
    assert {(g.muscle, g.grade) for g in post.mrc.all()} == {("deltoid", 5), ("biceps", 4)}
    assert patient.nerve_studies.get().segments.get().distal_amplitude_mv == Decimal("5.80")
    assert Visit.history.filter(patient_id=patient.pk).first().history_user == data_manager
    assert Outcome.objects.get(patient=patient).stale  # recomputed once the import commits
    assert report.counts_dict()["mrc"] == {"created": 4}
    assert report.counts_dict()["patients"] == {"created": 2}


def test_importing_the_same_files_again_changes_nothing(data_manager):
    import_files(user=data_manager, files=FILES)
    versions = sorted(Visit.objects.values_list("pk", "version"))
    history = Visit.history.count() + MrcGrade.history.count() + Series.history.count()
    data_versions = sorted(Outcome.objects.values_list("patient_id", "data_version"))
    report = import_files(user=data_manager, files=FILES)
    assert report.problems == [] and not report.committed
    assert {what for counts in report.counts_dict().values() for what in counts} == {
        "unchanged"}
    assert sorted(Visit.objects.values_list("pk", "version")) == versions
    assert Visit.history.count() + MrcGrade.history.count() + Series.history.count() == history
    assert sorted(Outcome.objects.values_list("patient_id", "data_version")) == data_versions


def test_a_changed_value_updates_the_record_through_its_service(data_manager):
    import_files(user=data_manager, files=FILES)
    titre = Titre.objects.get()
    stale_before = Outcome.objects.get(patient=titre.patient).data_version
    changed = TITRES.replace("3200", "6400")
    report = import_files(user=data_manager, files={"titres": changed})
    assert report.counts_dict() == {"titres": {"updated": 1}}
    titre.refresh_from_db()
    assert (titre.value, titre.version) == (Decimal("6400"), 2)
    assert Outcome.objects.get(patient=titre.patient).data_version > stale_before


def test_a_visits_mrc_rows_replace_its_grid_and_leave_the_rest(data_manager):
    import_files(user=data_manager, files=FILES)
    grid = csv_file(["patient", "visited_on", "kind", "muscle", "side", "grade"],
                    ["MMN-100", "1993-02-15", "post_series", "deltoid", "R", "4"])
    report = import_files(user=data_manager, files={"mrc": grid})
    assert report.counts_dict() == {"mrc": {"updated": 1}}
    post = Visit.objects.get(kind="post_series")
    assert [(g.muscle, g.grade) for g in post.mrc.all()] == [("deltoid", 4)]
    assert post.version == 2
    assert MrcGrade.objects.filter(visit__kind="baseline").count() == 2


def test_every_bad_row_is_reported_and_nothing_is_written(data_manager):
    visits = VISITS + "MMN-100,1993-13-01,follow_up,,,,,\n" + "MMN-100,1993-03-20,final,,,,9,\n"
    mrc = MRC + "MMN-100,1993-01-25,baseline,deltoid,L,7\n" + (
        "MMN-100,1993-01-25,baseline,tongue,L,3\n")
    series = SERIES + "MMN-100,4,1993-05-01,5,2.0,61.5,IVIg,given,\n"
    titres = TITRES + "MMN-999,1993-01-11,gm1,IgM,elisa,800,dilution\n"
    report = import_files(user=data_manager, files={**FILES, "visits": visits, "mrc": mrc,
                                                    "series": series, "titres": titres})
    assert problems(report) == [
        ("mrc.csv", 2, ""),  # the rest of the baseline's grid …
        ("mrc.csv", 3, ""),
        ("mrc.csv", 6, "grade"),  # … where 7 is not an MRC grade
        ("mrc.csv", 7, "muscle"),
        ("series.csv", 4, "series"),  # numbers run without gaps: the next is 3
        ("titres.csv", 3, "patient"),
        ("visits.csv", 2, ""),  # the baseline whose grid holds the bad grade
        ("visits.csv", 5, "visited_on"),
        ("visits.csv", 6, "prineas_score"),
    ]
    messages = {(p.file, p.line): p.message for p in report.problems}
    assert messages[("mrc.csv", 6)] == "Ensure this value is less than or equal to 5."
    assert messages[("series.csv", 4)] == "The next series of MMN-100 is number 3."
    assert messages[("visits.csv", 5)] == "'1993-13-01' is not a date: write it as YYYY-MM-DD."
    assert messages[("visits.csv", 2)] == (
        "Not imported: it goes with mrc.csv line 6, which is invalid.")
    assert "no patient MMN-999" in messages[("titres.csv", 3)]
    assert not report.committed
    assert not Patient.objects.exists() and not Visit.objects.exists()


def test_a_bad_grade_in_a_grid_names_its_file_line_and_column(data_manager):
    # The visit service refuses the grid naming the element (index 1) and its field
    # (grade); the importer maps them to mrc.csv's third data row and its grade column.
    mrc = MRC.replace("baseline,biceps,R,2", "baseline,biceps,R,7")
    report = import_files(user=data_manager, files={**FILES, "mrc": mrc}, mode=VALID_ONLY)
    messages = {(p.file, p.line, p.column): p.message for p in report.problems}
    assert messages == {
        ("mrc.csv", 3, "grade"): "Ensure this value is less than or equal to 5.",
        ("mrc.csv", 2, ""): "Not imported: it goes with mrc.csv line 3, which is invalid.",
        ("visits.csv", 2, ""): "Not imported: it goes with mrc.csv line 3, which is invalid.",
    }


def test_a_muscle_graded_twice_in_a_grid_names_the_line_it_repeats(data_manager):
    mrc = MRC + "MMN-100,1993-01-25,baseline,deltoid,R,4\n"
    report = import_files(user=data_manager, files={**FILES, "mrc": mrc}, mode=VALID_ONLY)
    messages = {(p.file, p.line, p.column): p.message for p in report.problems}
    assert messages[("mrc.csv", 6, "")] == "repeats line 2 (deltoid, R)."
    assert set(messages) == {("mrc.csv", 6, ""), ("mrc.csv", 2, ""), ("mrc.csv", 3, ""),
                             ("visits.csv", 2, "")}


def test_a_repeated_lot_names_the_line_it_repeats(data_manager):
    lots = LOTS + "MMN-100,2,B1\n"
    report = import_files(user=data_manager, files={**FILES, "lots": lots}, mode=VALID_ONLY)
    messages = {(p.file, p.line, p.column): p.message for p in report.problems}
    assert messages[("lots.csv", 5, "")] == "repeats line 4 (B1)."


def test_valid_only_writes_the_valid_rows_and_reports_the_others(data_manager):
    mrc = MRC.replace("deltoid,R,5", "deltoid,R,6")  # the post-series visit's grid is bad
    visits = VISITS.replace("MMN-101,1994-05-02", "MMN-101,1994-05-32")
    report = import_files(user=data_manager, files={**FILES, "mrc": mrc, "visits": visits},
                          mode=VALID_ONLY)
    assert report.committed
    assert problems(report) == [("mrc.csv", 4, "grade"), ("mrc.csv", 5, ""),
                                ("visits.csv", 3, ""), ("visits.csv", 4, "visited_on")]
    patient = Patient.objects.get(code="MMN-100")
    assert list(patient.visits.values_list("kind", flat=True)) == ["baseline"]
    assert patient.series.count() == 2 and patient.titres.count() == 1
    assert Patient.objects.get(code="MMN-101").visits.count() == 0
    assert report.counts_dict()["visits"] == {"created": 1, "skipped": 2}


def test_a_dry_run_writes_nothing(data_manager):
    report = import_files(user=data_manager, files=FILES, mode=DRY_RUN)
    assert report.problems == [] and not report.committed
    assert report.counts_dict()["patients"] == {"created": 2}
    assert not Patient.objects.exists()


def test_a_row_repeated_in_a_file_is_reported(data_manager):
    visits = VISITS + "MMN-100,1993-01-25,baseline,,Dr B,,,\n"
    report = import_files(user=data_manager, files={**FILES, "visits": visits})
    assert problems(report) == [("visits.csv", 5, "visited_on")]
    assert report.problems[0].message == (
        "Repeats line 2 (same patient, visited_on, kind).")


def test_children_of_a_bad_parent_row_are_not_imported(data_manager):
    series = SERIES.replace("MMN-100,2,1993-03-01,5,2.0", "MMN-100,2,1993-03-01,5,9.0")
    report = import_files(user=data_manager, files={**FILES, "series": series},
                          mode=VALID_ONLY)
    assert problems(report) == [("adverse_events.csv", 2, ""), ("lots.csv", 4, ""),
                                ("series.csv", 3, "dose_g_per_kg")]
    assert report.problems[0].message == (
        "Not imported: it goes with series.csv line 3, which is invalid.")
    assert Series.objects.get().number == 1


def test_patients_of_other_centres_are_refused(data_manager, other_patient):
    titres = TITRES.replace("MMN-100", "MMN-901")
    patients = PATIENTS.replace("MMN-101,north", "MMN-101,south")
    report = import_files(user=data_manager, files={"titres": titres, "patients": patients})
    assert problems(report) == [("patients.csv", 3, "center"), ("titres.csv", 2, "")]
    assert "not a data manager" in report.problems[0].message
    assert "not a data manager" in report.problems[1].message
    assert not Titre.objects.exists()


def test_an_unknown_centre_is_refused(superuser):
    report = import_files(user=superuser, files={"patients": PATIENTS.replace(",north,",
                                                                              ",east,")})
    assert problems(report) == [("patients.csv", 2, "center"), ("patients.csv", 3, "center")]
    assert "manage.py grant" in report.problems[0].message


def test_a_patient_does_not_move_to_another_centre(superuser, center, other_center):
    import_files(user=superuser, files={"patients": PATIENTS})
    report = import_files(user=superuser, files={"patients": PATIENTS.replace(
        "MMN-100,north", "MMN-100,south")})
    assert problems(report) == [("patients.csv", 2, "center")]


@pytest.mark.parametrize("role", ["clinician", "researcher"])
def test_only_data_managers_import(role, request):
    with pytest.raises(PermissionDenied):
        services.import_start(user=request.getfixturevalue(role), source=Source.PAGE,
                              mode=ALL_OR_NOTHING, files=FILES)


def test_identifiers_are_imported_when_the_file_has_them(data_manager):
    patients = csv_file(["patient", "center", "sex", "birth_year", "diagnosis", "name",
                         "date_of_birth", "hospital_number"],
                        ["MMN-100", "north", "F", "1955", "mmn", "Ada L", "1955-02-03", "H9"])
    import_files(user=data_manager, files={"patients": patients})
    identity = Identity.objects.get()
    assert (identity.name, identity.date_of_birth, identity.hospital_number) == (
        "Ada L", date(1955, 2, 3), "H9")
    pseudonymised = csv_file(["patient", "center", "sex", "birth_year", "diagnosis"],
                             ["MMN-100", "north", "F", "1955", "mmn"])
    report = import_files(user=data_manager, files={"patients": pseudonymised})
    assert report.counts_dict() == {"patients": {"unchanged": 1}}
    assert Identity.objects.get().name == "Ada L"  # no identifier column: left as it is


def test_an_exported_patient_imports_back_unchanged(data_manager, treated):
    from exchange.tests.helpers import zip_members

    job = services.export_start(user=data_manager, source=Source.COMMAND,
                                datasets=[d for d in FILES] + ["target_muscles",
                                                               "paraproteins",
                                                               "prior_treatments"],
                                format="zip")
    members = zip_members(b"".join(services.export_zip(job)))
    files = {name[:-4]: data.decode() for name, data in members.items()
             if name[:-4] in FILES or name[:-4] in ("target_muscles", "paraproteins",
                                                    "prior_treatments")}
    report = import_files(user=data_manager, files=files)
    assert report.problems == [] and not report.committed
    assert {what for counts in report.counts_dict().values() for what in counts} == {
        "unchanged"}


def test_what_depends_on_a_rejected_row_is_reported_with_it(data_manager):
    series = SERIES.replace("MMN-100,1,1993-02-01", "MMN-100,1,1993-02-30")
    report = import_files(user=data_manager, files={**FILES, "series": series},
                          mode=VALID_ONLY)
    messages = {(p.file, p.line, p.column): p.message for p in report.problems}
    assert messages == {
        ("series.csv", 2, "started_on"): "'1993-02-30' is not a date: write it as YYYY-MM-DD.",
        ("lots.csv", 2, ""): "Not imported: its series (series.csv line 2) is invalid.",
        ("lots.csv", 3, ""): "Not imported: its series (series.csv line 2) is invalid.",
        # series 2 cannot come before series 1:
        ("series.csv", 3, "series"): "The next series of MMN-100 is number 1.",
        ("lots.csv", 4, ""): "Not imported: it goes with series.csv line 3, which is invalid.",
        ("adverse_events.csv", 2, ""): (
            "Not imported: it goes with series.csv line 3, which is invalid."),
        ("visits.csv", 3, "series"): "Series 1 of MMN-100 was not imported.",
        ("mrc.csv", 4, ""): "Not imported: its visit (visits.csv line 3) is invalid.",
        ("mrc.csv", 5, ""): "Not imported: its visit (visits.csv line 3) is invalid.",
    }
    assert Visit.objects.filter(patient__code="MMN-100").get().kind == "baseline"


def test_references_to_records_that_exist_nowhere(data_manager):
    import_files(user=data_manager, files={"patients": PATIENTS})
    visits = csv_file(["patient", "visited_on", "kind", "series"],
                      ["MMN-100", "1993-02-15", "post_series", "3"])
    mrc = csv_file(["patient", "visited_on", "kind", "muscle", "side", "grade"],
                   ["MMN-101", "1994-01-01", "final", "deltoid", "R", "4"])
    report = import_files(user=data_manager, files={"visits": visits, "mrc": mrc})
    assert [str(p) for p in report.problems] == [
        "mrc.csv line 2: Not imported: no final visit on 1994-01-01 of MMN-101 in visits.csv "
        "or the registry.",
        "visits.csv line 2, series: Series 3 of MMN-100 is in neither series.csv nor the "
        "registry.",
    ]


def test_a_new_patients_code_follows_the_registry_rule(data_manager):
    report = import_files(user=data_manager, files={"patients": PATIENTS.replace(
        "MMN-100", "mmn 100"), "titres": TITRES.replace("MMN-100", "mmn 100")})
    assert [str(p) for p in report.problems] == [
        "patients.csv line 2, patient: Use capital letters, digits and dashes, e.g. MMN-001.",
        "titres.csv line 2: Not imported: its patient mmn 100 could not be imported.",
    ]


# clinical-rules.md §9: the eight visit scales import, out-of-range values name their cell.
MEASURE_HEADER = ["patient", "visited_on", "kind", "series", "incat_arm", "incat_leg",
                  "irods_centile", "irods_raw", "grip_right_kpa", "grip_left_kpa", "onls_arm",
                  "onls_leg"]


def test_the_measure_columns_of_visits_are_imported(data_manager):
    visits = csv_file(MEASURE_HEADER,
                      ["MMN-100", "1993-01-25", "baseline", "", "2", "3", "41", "22", "60.5",
                       "50.0", "2", "3"])
    report = import_files(user=data_manager, files={"patients": PATIENTS, "visits": visits})
    assert report.problems == [] and report.committed
    visit = Visit.objects.get(patient__code="MMN-100")
    assert (visit.incat_arm, visit.incat_leg, visit.irods_centile, visit.irods_raw,
            visit.grip_right_kpa, visit.grip_left_kpa, visit.onls_arm, visit.onls_leg) == (
        2, 3, 41, 22, Decimal("60.5"), Decimal("50.0"), 2, 3)
    again = import_files(user=data_manager, files={"patients": PATIENTS, "visits": visits})
    assert again.problems == []  # idempotent: the same values change nothing


def test_a_measure_out_of_range_names_its_column(data_manager):
    visits = csv_file(MEASURE_HEADER,
                      ["MMN-100", "1993-01-25", "baseline", "", "2", "3", "41", "22", "60.5",
                       "50.0", "2", "9"])
    report = import_files(user=data_manager, files={"patients": PATIENTS, "visits": visits})
    assert ("visits.csv", 2, "onls_leg") in problems(report)
    assert not Visit.objects.exists()


def test_the_parsed_rows_are_kept_from_the_garbage_collector_only_while_importing(
        data_manager, monkeypatch):
    import gc

    from exchange import imports

    frozen: list[int] = []
    write = imports.Importer._run

    def run(self, plans):
        frozen.append(gc.get_freeze_count())
        return write(self, plans)

    monkeypatch.setattr(imports.Importer, "_run", run)
    before = gc.get_freeze_count()
    report = import_files(user=data_manager, files=FILES)
    assert report.ok and frozen and frozen[0] > before
    assert gc.get_freeze_count() == before
