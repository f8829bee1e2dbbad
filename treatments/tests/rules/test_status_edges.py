"""clinical-rules.md §2 status as amended: ``no_response`` counts series with a post
score, unmeasured series are flagged, and ``stable_on_treatment`` / ``not_evaluable``
replace ``no_response`` where a response could not be seen."""

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogues import OUTCOME_STATUSES
from treatments.rules import (
    SEED_1,
    PriorTreatmentIn,
    SeriesIn,
    Status,
    baseline_visit,
    compute_outcome,
    series_scores,
    target_muscles,
)
from treatments.rules.mrc import (
    baseline_at_ceiling,
    on_immunoglobulin_at,
    series_without_post_score,
)
from treatments.tests.rules.builders import SEED_INPUTS, day, mmn_patient, series_start


def outcome(patient):
    return compute_outcome(patient, **SEED_INPUTS)


def unmeasured_flags(result):
    return [f for f in result.flags if f.startswith("series without a post score")]


# no_response needs three series WITH a post score.
def test_three_series_without_any_post_score_are_not_no_response():
    result = outcome(mmn_patient(10, [None, None, None]))
    assert result.status == Status.ON_TREATMENT
    assert unmeasured_flags(result) == ["series without a post score: 1, 2, 3"]


def test_three_series_of_which_two_scored_are_not_no_response():
    result = outcome(mmn_patient(10, [10, None, 10]))
    assert result.status == Status.ON_TREATMENT
    assert unmeasured_flags(result) == ["series without a post score: 2"]


def test_three_scored_series_without_benefit_are_no_response():
    result = outcome(mmn_patient(10, [10, 10, 10]))
    assert result.status == Status.NO_RESPONSE
    assert unmeasured_flags(result) == []


def test_four_series_three_scored_without_benefit_are_no_response_and_flagged():
    result = outcome(mmn_patient(10, [10, None, 10, 10]))
    assert result.status == Status.NO_RESPONSE
    assert unmeasured_flags(result) == ["series without a post score: 2"]


def test_the_flag_names_every_given_series_without_a_post_score_in_the_specs_words():
    result = outcome(mmn_patient(10, [12, None, None, 14]))
    assert "series without a post score: 2, 3" in result.flags


def test_a_stopped_series_is_not_named_as_given():
    patient = mmn_patient(10, [12, None, None])
    stopped = replace(patient.series[2], status="stopped")
    result = outcome(replace(patient, series=(*patient.series[:2], stopped)))
    assert unmeasured_flags(result) == ["series without a post score: 2"]


def test_series_without_post_score_reads_the_scores_rows():
    patient = mmn_patient(10, [12, None, 13])
    targets = target_muscles(baseline_visit(patient.visits, patient.series), rules=SEED_1)
    rows = series_scores(patient.visits, patient.series, targets.muscles, rules=SEED_1)
    assert series_without_post_score(rows, patient.series) == (2,)


# stable_on_treatment: already on immunoglobulin when series 1 was recorded.
def on_ig(patient, *, started_days=-400, ended_days=None):
    course = PriorTreatmentIn(
        kind="immunoglobulin", started_on=day(started_days),
        ended_on=None if ended_days is None else day(ended_days))
    return replace(patient, prior_treatments=(course,))


def test_a_patient_already_on_immunoglobulin_is_stable_on_treatment_not_no_response():
    result = outcome(on_ig(mmn_patient(10, [10, 10, 10])))
    assert result.status == Status.STABLE_ON_TREATMENT
    assert result.as_dict()["status"] == "stable_on_treatment"


def test_an_immunoglobulin_course_ended_before_series_1_is_not_ongoing():
    ended = on_ig(mmn_patient(10, [10, 10, 10]), ended_days=-30)
    assert outcome(ended).status == Status.NO_RESPONSE
    # Ended on the day series 1 starts: not "ended before series 1".
    same_day = on_ig(mmn_patient(10, [10, 10, 10]), ended_days=0)
    assert outcome(same_day).status == Status.STABLE_ON_TREATMENT


def test_another_prior_treatment_kind_does_not_make_stable_on_treatment():
    patient = replace(mmn_patient(10, [10, 10, 10]),
                      prior_treatments=(PriorTreatmentIn(kind="steroids",
                                                         started_on=day(-400)),))
    assert outcome(patient).status == Status.NO_RESPONSE


def test_stable_on_treatment_does_not_hide_an_improvement_or_a_deterioration():
    assert outcome(on_ig(mmn_patient(10, [12, 13, 14]))).status == Status.IMPROVING
    assert outcome(on_ig(mmn_patient(10, [10, 10, 9]))).status == Status.DETERIORATING


def test_on_immunoglobulin_at_needs_a_start_on_or_before_series_1():
    start = series_start(1)
    later = PriorTreatmentIn(kind="immunoglobulin", started_on=start + timedelta(days=1))
    undated = PriorTreatmentIn(kind="immunoglobulin")
    assert on_immunoglobulin_at((later,), start) is False
    assert on_immunoglobulin_at((undated,), start) is True
    assert on_immunoglobulin_at((undated,), None) is False


# not_evaluable: a baseline within one step of the scale's best value.
def test_a_baseline_at_the_ceiling_is_not_evaluable_and_flagged():
    result = outcome(mmn_patient(24, [24, 24, 24]))  # five targets: best 25, one step 1
    assert result.status == Status.NOT_EVALUABLE
    assert "baseline at ceiling" in result.flags


def test_a_baseline_two_steps_below_the_best_is_evaluable():
    result = outcome(mmn_patient(23, [23, 23, 23]))
    assert result.status == Status.NO_RESPONSE
    assert "baseline at ceiling" not in result.flags


def test_a_ceiling_baseline_that_still_gains_a_step_is_improving():
    assert outcome(mmn_patient(24, [25])).status == Status.IMPROVING


def test_the_ceiling_follows_the_rule_sets_step():
    two_steps = replace(SEED_1, version="x", min_step=2)
    assert baseline_at_ceiling(23, 5, rules=two_steps) is True
    assert baseline_at_ceiling(23, 5, rules=SEED_1) is False
    assert baseline_at_ceiling(None, 5, rules=SEED_1) is False


def test_stable_on_treatment_comes_before_not_evaluable():
    assert outcome(on_ig(mmn_patient(24, [24, 24, 24]))).status == Status.STABLE_ON_TREATMENT


@given(st.lists(st.one_of(st.none(), st.integers(0, 25)), min_size=1, max_size=8),
       st.integers(0, 23))
@settings(max_examples=200, deadline=None)
def test_no_response_always_has_three_scored_series_and_every_gap_is_flagged(posts, baseline):
    result = outcome(mmn_patient(baseline, posts))
    scored = [row for row in result.series if row.post_score is not None]
    if result.status == Status.NO_RESPONSE:
        assert len(scored) >= 3
        assert not result.beneficial_series
    missing = [row.number for row in result.series if row.post_score is None]
    flags = unmeasured_flags(result)
    if missing:
        assert flags == ["series without a post score: " + ", ".join(map(str, missing))]
    else:
        assert flags == []


def test_no_series_gives_no_unmeasured_flag():
    patient = replace(mmn_patient(10, []), series=())
    assert unmeasured_flags(outcome(patient)) == []
    assert outcome(patient).status == Status.INSUFFICIENT_DATA


def test_statuses_are_catalogue_codes():
    codes = {code for code, _ in OUTCOME_STATUSES}
    assert {str(s) for s in Status} == codes
    assert dict(OUTCOME_STATUSES)["stable_on_treatment"] == "Stable on treatment"


def test_series_in_defaults_to_given():
    assert SeriesIn(number=1, started_on=day(0), days=5).status == "given"
