"""Data-quality findings (clinical-rules.md §11 "Queries"), pure."""

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from treatments.rules import compute_outcome
from treatments.rules.defaults import DEFAULT_THRESHOLDS
from treatments.rules.quality import (
    INTERVAL,
    MRC_JUMP,
    POST_SCORE_MISSING,
    SERIES,
    TARGET_GRADE_MISSING,
    TITRE,
    TITRE_THRESHOLD_MISSING,
    VISIT,
    WEIGHT_CHANGE,
    quality_findings,
)
from treatments.rules.types import PatientIn, SeriesIn, ThresholdIn, TitreIn
from treatments.tests.rules.builders import (
    SEED_INPUTS,
    TARGETS,
    day,
    grades,
    mmn_patient,
    series_start,
)


def with_ids(patient: PatientIn, weights=()) -> PatientIn:
    """The builders' series with record ids (100 + number) and weights (70 kg unless given)."""
    weights = list(weights) or [Decimal("70")] * len(patient.series)
    return replace(patient, series=tuple(
        replace(s, id=100 + s.number, weight_kg=weights[i])
        for i, s in enumerate(patient.series)))


def findings(patient: PatientIn, rule: str | None = None, *, thresholds=DEFAULT_THRESHOLDS):
    outcome = compute_outcome(patient, **{**SEED_INPUTS, "thresholds": thresholds})
    found = quality_findings(patient, outcome, thresholds=thresholds)
    return [f for f in found if rule is None or f.rule == rule]


def test_clean_data_raise_nothing():
    assert findings(with_ids(mmn_patient(10, [15, 17, 18]))) == []


# target_grade_missing

def test_a_visit_without_a_target_grade_is_found_with_the_muscles_it_lacks():
    patient = with_ids(mmn_patient(10, [15, 17]))
    post = patient.visits[1]
    lacking = dict(post.mrc)
    del lacking[TARGETS[2]]
    patient = replace(patient, visits=(patient.visits[0], replace(post, mrc=lacking),
                                       *patient.visits[2:]))
    [finding] = findings(patient, TARGET_GRADE_MISSING)
    assert (finding.model, finding.record_id) == (VISIT, post.id)
    assert finding.values == {"missing": [["biceps", "R"]]}
    assert "biceps R" in finding.message


def test_without_target_muscles_no_visit_lacks_one():
    patient = with_ids(mmn_patient(None, [15]))
    assert findings(patient, TARGET_GRADE_MISSING) == []


# mrc_jump

def test_a_grade_changing_by_three_between_consecutive_visits_is_found_on_the_later():
    patient = with_ids(mmn_patient(10, [25]))  # 2 → 5 in every target muscle
    found = findings(patient, MRC_JUMP)
    assert len(found) == len(TARGETS)
    post = patient.visits[1]
    assert {f.record_id for f in found} == {post.id}
    assert found[0].values == {"muscle": "biceps", "side": "L",
                               "previous_visited_on": patient.visits[0].visited_on.isoformat(),
                               "previous_grade": 2, "grade": 5}


def test_a_change_of_two_is_no_jump_and_a_fall_of_three_is_one():
    assert findings(with_ids(mmn_patient(10, [20])), MRC_JUMP) == []  # 2 → 4
    fall = findings(with_ids(mmn_patient(25, [10])), MRC_JUMP)  # 5 → 2
    assert {f.values["grade"] for f in fall} == {2} and len(fall) == len(TARGETS)


def test_a_jump_is_counted_between_the_visits_that_graded_the_muscle_only():
    patient = with_ids(mmn_patient(10, [20, 25]))
    baseline, first, second = patient.visits
    # the middle visit did not grade deltoid R: baseline 2 → second post 5 is consecutive
    ungraded = {k: v for k, v in first.mrc.items() if k != ("deltoid", "R")}
    patient = replace(patient, visits=(baseline, replace(first, mrc=ungraded), second))
    jumps = [f for f in findings(patient, MRC_JUMP) if f.values["muscle"] == "deltoid"
             and f.values["side"] == "R"]
    assert [(f.record_id, f.values["previous_visited_on"]) for f in jumps] == [
        (second.id, baseline.visited_on.isoformat())]


# weight_change

def test_a_weight_more_than_ten_percent_from_the_previous_series_is_found():
    patient = with_ids(mmn_patient(10, [15, 17, 18]),
                       weights=[Decimal("70"), Decimal("77.5"), Decimal("77")])
    [finding] = findings(patient, WEIGHT_CHANGE)
    assert (finding.model, finding.record_id) == (SERIES, 102)
    assert finding.values == {"previous_series": 1, "previous_weight_kg": 70,
                              "weight_kg": 77.5}


def test_exactly_ten_percent_is_not_a_weight_change():
    patient = with_ids(mmn_patient(10, [15, 17]), weights=[Decimal("70"), Decimal("77")])
    assert findings(patient, WEIGHT_CHANGE) == []
    patient = with_ids(mmn_patient(10, [15, 17]), weights=[Decimal("70"), Decimal("63")])
    assert findings(patient, WEIGHT_CHANGE) == []


def test_a_series_without_a_weight_is_not_compared():
    patient = with_ids(mmn_patient(10, [15, 17]), weights=[None, Decimal("90")])
    assert findings(patient, WEIGHT_CHANGE) == []


# interval

def test_the_interval_flag_of_the_outcome_is_a_finding():
    patient = with_ids(mmn_patient(10, [15, 17, 18]))
    late = replace(patient.series[2], started_on=series_start(2) + timedelta(days=50))
    patient = replace(patient, series=(*patient.series[:2], late))
    outcome = compute_outcome(patient, **SEED_INPUTS)
    assert [s.interval_flag for s in outcome.series] == [False, False, True]
    [finding] = findings(patient, INTERVAL)
    assert (finding.model, finding.record_id, finding.values) == (SERIES, 103,
                                                                  {"interval_days": 50})


def test_the_interval_finding_follows_the_outcome_not_its_own_arithmetic():
    """One truth: the finding reads the outcome's flag, so a rule set that widens the
    interval (§10: 0.75–1.5 × the previous series' expected interval) or a longer
    expected interval is followed."""
    patient = with_ids(mmn_patient(10, [15, 17]))
    late = replace(patient.series[1], started_on=series_start(1) + timedelta(days=50))
    patient = replace(patient, series=(patient.series[0], late))
    wide = replace(SEED_INPUTS["rules"], interval_max_factor=2.0)  # 28 → up to 56 days
    outcome = compute_outcome(patient, **{**SEED_INPUTS, "rules": wide})
    assert quality_findings(patient, outcome, thresholds=DEFAULT_THRESHOLDS) == ()
    six_weekly = replace(patient, series=(
        replace(patient.series[0], expected_interval_days=42), late))  # 31.5–63 days
    outcome = compute_outcome(six_weekly, **SEED_INPUTS)
    assert quality_findings(six_weekly, outcome, thresholds=DEFAULT_THRESHOLDS) == ()


# post_score_missing (route and regimen: §10, SeriesIn's when it has them)

@dataclass(frozen=True)
class CourseSeries(SeriesIn):
    """A series with §10's route and regimen (a stand-in until ``SeriesIn`` has them)."""

    route: str = "iv"
    regimen: str = "maintenance"


def course(patient: PatientIn, regimens: dict[int, str], route: str = "iv") -> PatientIn:
    return replace(patient, series=tuple(
        CourseSeries(number=s.number, started_on=s.started_on, days=s.days, status=s.status,
                     id=s.id, weight_kg=s.weight_kg, route=route,
                     regimen=regimens.get(s.number, "maintenance"))
        for s in patient.series))


def test_a_loading_series_without_a_post_score_is_found_once_the_next_is_given():
    patient = course(with_ids(mmn_patient(10, [None, 17])), {1: "loading", 2: "loading"})
    [finding] = findings(patient, POST_SCORE_MISSING)
    assert (finding.model, finding.record_id, finding.values) == (SERIES, 101,
                                                                  {"next_series": 2})


def test_the_last_series_and_maintenance_or_sc_series_are_not_found():
    last = course(with_ids(mmn_patient(10, [15, None])), {1: "loading", 2: "loading"})
    assert findings(last, POST_SCORE_MISSING) == []
    maintenance = course(with_ids(mmn_patient(10, [None, 17])), {})
    assert findings(maintenance, POST_SCORE_MISSING) == []
    sc = course(with_ids(mmn_patient(10, [None, 17])), {1: "loading"}, route="sc")
    assert findings(sc, POST_SCORE_MISSING) == []


def test_a_next_series_that_was_stopped_has_not_been_given():
    patient = course(with_ids(mmn_patient(10, [None, 17])), {1: "loading"})
    stopped = replace(patient.series[1], status="stopped")
    patient = replace(patient, series=(patient.series[0], stopped))
    assert findings(patient, POST_SCORE_MISSING) == []


def test_series_without_a_regimen_are_maintenance_series():
    """Until §10's fields exist on ``SeriesIn`` the rule reads their defaults."""
    assert findings(with_ids(mmn_patient(10, [None, 17])), POST_SCORE_MISSING) == []


# titre_threshold_missing

def titre(antigen="gm1", method="elisa", unit="dilution", pk=7) -> TitreIn:
    return TitreIn(sampled_on=day(-3), antigen=antigen, isotype="IgM", method=method,
                   value=Decimal("3200"), unit=unit, id=pk)


def test_a_titre_of_an_assay_without_a_threshold_is_found():
    patient = replace(with_ids(mmn_patient(10, [15])),
                      titres=(titre(), titre("mag", "western_blot", pk=8)))
    [finding] = findings(patient, TITRE_THRESHOLD_MISSING)
    assert (finding.model, finding.record_id) == (TITRE, 8)
    assert finding.values == {"antigen": "mag", "isotype": "IgM", "method": "western_blot",
                              "unit": "dilution"}


def test_the_unit_is_part_of_the_assay():
    patient = replace(with_ids(mmn_patient(10, [15])), titres=(titre(unit="au"),))
    assert [f.record_id for f in findings(patient, TITRE_THRESHOLD_MISSING)] == [7]


def test_a_threshold_added_for_the_assay_ends_the_finding():
    patient = replace(with_ids(mmn_patient(10, [15])), titres=(titre("mag"),))
    more = (*DEFAULT_THRESHOLDS, ThresholdIn("mag", "IgM", "elisa", "dilution",
                                             Decimal("1000")))
    assert findings(patient, TITRE_THRESHOLD_MISSING, thresholds=more) == []


def test_every_finding_names_values_that_are_json():
    import json

    patient = with_ids(mmn_patient(10, [25, 17]), weights=[Decimal("70"), Decimal("90.5")])
    patient = replace(patient, titres=(titre("mag"),),
                      visits=(*patient.visits, patient.visits[-1].__class__(
                          id=99, visited_on=day(200), kind="follow_up", mrc=grades(9))))
    found = findings(patient)
    assert {f.rule for f in found} >= {MRC_JUMP, WEIGHT_CHANGE, TITRE_THRESHOLD_MISSING}
    for finding in found:
        assert json.loads(json.dumps(finding.values)) == finding.values


def test_every_rule_is_a_code_of_the_catalogue():
    import catalogues as cat
    from treatments.rules.quality import RULES

    assert set(RULES) | {"manual"} == set(cat.codes(cat.QUERY_RULES))


def test_a_visits_jumps_come_in_muscle_side_order_whatever_the_order_of_its_grid():
    patient = with_ids(mmn_patient(10, [25]))
    baseline, post = patient.visits
    # the same grades, the grid's keys in reverse order
    reversed_grid = dict(reversed(list(post.mrc.items())))
    shuffled = replace(patient, visits=(baseline, replace(post, mrc=reversed_grid)))
    found = findings(shuffled, MRC_JUMP)
    assert [(f.values["muscle"], f.values["side"]) for f in found] == sorted(
        (f.values["muscle"], f.values["side"]) for f in found)
    assert found == findings(patient, MRC_JUMP)
