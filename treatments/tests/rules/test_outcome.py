"""compute_outcome end to end (clinical-rules.md §1-§6, api.md "Outcome")."""

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from treatments.rules import (
    EFNS_PNS_2010_BLOCKS,
    PatientIn,
    RuleSet,
    SegmentIn,
    SeriesIn,
    StudyIn,
    TitreIn,
    beneficial_series,
    compute_outcome,
    final_result,
    initial_response,
    plateau,
)
from treatments.tests.rules.builders import (
    SEED_INPUTS,
    TARGETS,
    Visits,
    day,
    grades,
    make_series,
    mmn_patient,
    series_start,
)
from treatments.tests.rules.test_response import points, scores

API_KEYS = {
    "rules_version", "status", "baseline_score", "target_muscles", "initial_response",
    "beneficial_series", "n_star", "plateau_after_series", "wear_off_intervals",
    "infusion_dependent", "final", "disability", "conduction_blocks", "titres_significant",
    "series", "flags", "next_series_due", "overdue",
    "tailoring",  # api.md, additions of 2026-12-01 (§10)
}
ADDED_KEYS = {"visits", "titres_before_ivig", "overdue_from"}
# api.md "Additions of 2026-12-01" (§9), and the primary measure's baseline value beside
# ``baseline_score`` (docs/rules-decisions.md, "§9 measures").
API_KEYS |= {"primary_measure", "measures"}
ADDED_KEYS |= {"primary_baseline"}


def outcome(patient, **kwargs):
    return compute_outcome(patient, **(SEED_INPUTS | kwargs)).as_dict()


# Worked example, Table 1 case 4 (clinical-rules.md §2).
def test_worked_example_case_4_on_the_specs_scores():
    seed = RuleSet()
    rows = scores([21, 22, 23, 24, 25, 26])
    assert initial_response(10, 21, 5, rules=seed) == "dramatic"  # mean gain 2.2
    assert beneficial_series(10, rows, rules=seed) == (1, 2, 3, 4, 5, 6)
    assert plateau(10, points([21, 22, 23, 24, 25, 26], follow_ups=[26, 26]), 6, rules=seed) == 6
    final = final_result(baseline_score=10, final_visit_score=None,
                         points=points([21, 22, 23, 24, 25, 26], follow_ups=[26, 26]),
                         targets=5, dependent=False, rules=seed)
    assert (final.grade, final.persistent, final.label) == (
        "dramatic", True, "Persistent improvement")  # mean gain 3.2


def test_worked_example_case_4_end_to_end():
    # Five targets cannot sum to 26 (max 25): the same gains one grade lower.
    result = outcome(mmn_patient(9, [20, 21, 22, 23, 24, 25], follow_ups=[25, 25]))
    assert result["baseline_score"] == 9
    assert result["target_muscles"] == [{"muscle": m, "side": s} for m, s in TARGETS]
    assert result["initial_response"] == "dramatic"
    assert result["beneficial_series"] == [1, 2, 3, 4, 5, 6]
    assert result["n_star"] == 6
    assert result["plateau_after_series"] == 6
    assert result["status"] == "plateau"
    assert result["final"] == {"grade": "dramatic", "persistent": True,
                               "label": "Persistent improvement"}
    assert result["wear_off_intervals"] == []
    assert result["infusion_dependent"] is False
    assert result["flags"] == []


def test_worked_example_case_6():
    result = outcome(mmn_patient(10, [10, 10, 10]))
    assert result["initial_response"] == "none"
    assert result["n_star"] is None
    assert result["beneficial_series"] == []
    assert result["status"] == "no_response"
    assert result["final"]["label"] == "No response"
    assert result["final"]["grade"] == "none"


def test_no_baseline_is_insufficient_data_and_says_why():
    v = Visits()
    patient = PatientIn(diagnosis="mmn", series=make_series(2), visits=(
        v.make("post_series", series_start(1) + timedelta(days=14), 15, series=1),))
    result = outcome(patient)
    assert result["status"] == "insufficient_data"
    assert result["baseline_score"] is None
    assert result["final"] == {"grade": None, "persistent": None, "label": None}
    assert result["initial_response"] is None
    assert "no baseline visit: no visit before series 1" in result["flags"]
    assert result["series"][0]["post_score"] is None


def test_baseline_fallback_is_flagged():
    v = Visits()
    patient = PatientIn(diagnosis="mmn", series=make_series(1), visits=(
        v.make("follow_up", day(-3), 10),
        v.make("post_series", day(14), 16, series=1),
    ))
    result = outcome(patient)
    assert result["baseline_score"] == 10
    assert result["initial_response"] == "mild"
    assert any(f.startswith("no baseline visit: visit 1") for f in result["flags"])


def test_no_series_is_insufficient_data():
    result = outcome(mmn_patient(10, []))
    assert result["status"] == "insufficient_data"
    assert "no series given" in result["flags"]
    assert result["baseline_score"] == 10


def test_a_baseline_lacking_a_pinned_target_grade_is_insufficient_data():
    patient = replace(mmn_patient(10, [15]), pinned_targets=(("gastrocnemius", "L"),))
    result = outcome(patient)
    assert result["status"] == "insufficient_data"
    assert "no baseline score: the baseline visit lacks a target grade" in result["flags"]


def test_a_visit_missing_a_target_grade_has_no_score_and_is_flagged():
    v = Visits()
    partial = dict(grades(15))
    del partial[("biceps", "L")]
    patient = PatientIn(diagnosis="mmn", series=make_series(1), visits=(
        v.make("baseline", day(-7), 10),
        v.make("post_series", day(14), mrc=partial, series=1),
    ))
    result = outcome(patient)
    assert result["series"][0]["post_score"] is None
    assert result["visits"][1]["score"] is None
    assert "visit lacks a grade for a target muscle" in result["flags"]
    assert "visit 2 (2024-01-22) has no score: no grade for biceps L" in result["flags"]
    assert result["initial_response"] is None


def test_fewer_than_five_targets_is_flagged_in_the_outcome():
    v = Visits()
    two = (("deltoid", "R"), ("biceps", "R"))
    patient = PatientIn(diagnosis="mmn", series=make_series(1), visits=(
        v.make("baseline", day(-7), mrc=grades(4, two)),
        v.make("post_series", day(14), mrc=grades(8, two), series=1),
    ))
    result = outcome(patient)
    assert "fewer than five target muscles" in result["flags"]
    assert result["initial_response"] == "dramatic"  # mean gain 2.0 over two targets


def test_one_series_improving():
    result = outcome(mmn_patient(10, [15]))
    assert result["status"] == "improving"
    assert result["initial_response"] == "mild"
    assert result["n_star"] == 1
    assert result["final"]["label"] == "Mild improvement (not persistent)"
    assert result["series"] == [{"number": 1, "pre_score": None, "post_score": 15,
                                 "grade": "mild", "beneficial": True, "interval_days": None,
                                 "interval_flag": False, "route": "iv",
                                 "dose_intensity": None}]


def test_improving_when_the_latest_series_was_beneficial():
    assert outcome(mmn_patient(10, [12, 14]))["status"] == "improving"


def test_on_treatment_when_the_latest_series_was_not_beneficial():
    assert outcome(mmn_patient(10, [12, 12]))["status"] == "on_treatment"


def test_deterioration_below_baseline():
    result = outcome(mmn_patient(10, [12, 14, 13], follow_ups=[9]))
    assert result["status"] == "deteriorating"
    assert result["final"]["label"] == "Deterioration"
    assert result["final"]["grade"] == "deterioration"


def test_case_2_shape_slight_then_deterioration():
    result = outcome(mmn_patient(10, [11, 12, 13, 14, 15, 15, 13, 9]))
    assert result["initial_response"] == "slight"
    assert result["n_star"] == 5
    assert result["final"]["label"] == "Deterioration"


def test_final_visit_decides_the_final_result():
    result = outcome(mmn_patient(10, [21, 22], follow_ups=[22, 22], final=16))
    assert result["final"]["grade"] == "mild"
    assert result["final"]["label"] == "Mild persistent improvement"


def test_wear_off_once_is_listed_but_not_infusion_dependent():
    result = outcome(mmn_patient(10, [15, 16, 16], pres=[14, 16], follow_ups=[16, 16]))
    assert result["wear_off_intervals"] == [
        {"after_series": 1, "before_series": 2, "post_score": 15, "pre_score": 14, "drop": 1,
         "post_visit": 2, "pre_visit": 5}]  # the visits compared, by id
    assert result["infusion_dependent"] is False
    assert result["final"]["label"] == "Mild persistent improvement"


def test_wear_off_twice_is_infusion_dependent_if_repeated():
    # Case 5's shape: mild, persistent only with repeated infusions.
    result = outcome(mmn_patient(10, [15, 16, 16], pres=[12, 13], follow_ups=[16, 16]))
    assert [w["after_series"] for w in result["wear_off_intervals"]] == [1, 2]
    assert result["infusion_dependent"] is True
    assert result["final"]["label"] == "Mild persistent improvement if repeated"
    assert [s["pre_score"] for s in result["series"]] == [None, 12, 13]


def test_series_intervals_outside_21_to_42_days_are_flagged():
    v = Visits()
    series = (SeriesIn(1, date(2024, 1, 1), 5), SeriesIn(2, date(2024, 1, 29), 5),
              SeriesIn(3, date(2024, 3, 29), 5))
    patient = PatientIn(diagnosis="mmn", series=series,
                        visits=(v.make("baseline", date(2023, 12, 20), 10),))
    result = outcome(patient)
    assert [(s["interval_days"], s["interval_flag"]) for s in result["series"]] == [
        (None, False), (28, False), (60, True)]
    assert "series 3 given 60 days after the previous one (expected 21 to 42)" in result["flags"]


def test_series_numbering_problems_are_flagged():
    v = Visits()
    series = (SeriesIn(1, date(2024, 1, 1), 5), SeriesIn(3, date(2024, 1, 29), 5))
    result = outcome(PatientIn(diagnosis="mmn", series=series,
                               visits=(v.make("baseline", date(2023, 12, 20), 10),)))
    assert "series numbers do not run 1, 2, 3 without gaps" in result["flags"]


def test_visits_list_every_visit_with_score_and_grade():
    result = outcome(mmn_patient(10, [21], pres=[], follow_ups=[9]))
    # §9 added each visit's ``scores`` and ``primary_score`` (tested in test_measures.py).
    assert [{k: v[k] for k in ("id", "visited_on", "kind", "series", "score", "grade")}
            for v in result["visits"]] == [
        {"id": 1, "visited_on": "2024-01-01", "kind": "baseline", "series": None, "score": 10,
         "grade": "none"},
        {"id": 2, "visited_on": "2024-01-22", "kind": "post_series", "series": 1, "score": 21,
         "grade": "dramatic"},
        {"id": 3, "visited_on": "2024-02-21", "kind": "follow_up", "series": None, "score": 9,
         "grade": "deterioration"},
    ]


def test_disability_titres_and_blocks_reach_the_outcome():
    v = Visits()
    patient = PatientIn(
        diagnosis="igm_mgus_pn",
        series=make_series(3),
        visits=(v.make("baseline", day(-7), prineas=3), v.make("final", day(200), prineas=2)),
        titres=(
            TitreIn(day(-30), "mag", "IgM", "elisa", Decimal(70000), "btu"),
            TitreIn(day(-30), "gm1", "IgM", "elisa", Decimal(400)),
            TitreIn(day(-30), "asialo_gm1", "IgM", "elisa", Decimal("12.5"), "au"),
        ),
        studies=(StudyIn(day(-10), (SegmentIn("median", "R", "wrist", "elbow", 6, 2, 20, 6,
                                              5, 5.5, 40, 4.0),)),),
    )
    result = outcome(patient)
    assert result["status"] == "insufficient_data"
    assert result["disability"] == {"measure": "prineas", "before": 3, "after": 2, "change": -1,
                                    "result": "improved"}
    assert result["titres_significant"] == [
        {"antigen": "mag", "isotype": "IgM", "method": "elisa", "value": 70000, "unit": "btu",
         "sampled_on": "2023-12-09"}]
    assert [(t["antigen"], t["value"], t["significant"])
            for t in result["titres_before_ivig"]] == [
        ("asialo_gm1", 12.5, None), ("gm1", 400, False), ("mag", 70000, True)]
    blocks = result["conduction_blocks"]
    assert (blocks["criteria"], blocks["first_study"], blocks["latest_study"]) == ("seed-1", 1, 1)
    assert blocks["segments"][0]["state"] is None  # one study: no evolution yet
    efns = outcome(patient, block_criteria=EFNS_PNS_2010_BLOCKS)["conduction_blocks"]
    assert efns["criteria"] == "efns-pns-2010"
    assert efns["segments"][0]["latest"] == "definite_block"


def test_as_dict_has_exactly_the_api_keys_plus_visits_and_titres_before_ivig():
    result = outcome(mmn_patient(10, [15]))
    assert set(result) == API_KEYS | ADDED_KEYS
    assert not {"patient", "computed_at", "stale"} & set(result)
    assert set(result["final"]) == {"grade", "persistent", "label"}
    assert set(result["disability"]) == {"measure", "before", "after", "change", "result"}
    assert {"first_study", "latest_study", "segments"} <= set(result["conduction_blocks"])


def test_empty_patient_has_every_field_null_or_empty():
    result = outcome(PatientIn(diagnosis="mmn"))
    assert set(result) == API_KEYS | ADDED_KEYS
    assert result["status"] == "insufficient_data"
    assert result["conduction_blocks"]["first_study"] is None
    assert result["disability"]["result"] is None
    assert json.loads(json.dumps(result)) == result


def test_outcome_is_plain_json_and_deterministic():
    patient = mmn_patient(10, [15, 16, 16], pres=[12, 13], follow_ups=[16, 16])
    shuffled = replace(patient, visits=tuple(reversed(patient.visits)),
                       series=tuple(reversed(patient.series)))
    first = outcome(patient)
    assert json.loads(json.dumps(first, allow_nan=False)) == first
    assert json.dumps(outcome(shuffled), sort_keys=True) == json.dumps(first, sort_keys=True)
    assert all(type(value) is str for value in (first["status"], first["initial_response"]))


def test_rules_version_is_recorded():
    result = outcome(mmn_patient(10, [15]), rules=RuleSet(version="seed-2"))
    assert result["rules_version"] == "seed-2"
