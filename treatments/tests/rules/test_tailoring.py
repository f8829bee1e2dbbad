"""clinical-rules.md §10 "Dose tailoring and trial off": the window, the reference, the
result, status ``off_treatment`` and the helpers the schedule reads."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from treatments.rules import (
    SEED_1,
    SeriesIn,
    Status,
    TailoringIn,
    TailoringResult,
    compute_outcome,
)
from treatments.rules.tailoring import (
    assess_tailoring,
    episode_result,
    extension_periods,
    off_treatment,
    treatment_stopped,
    window_end,
)
from treatments.tests.rules.builders import SEED_INPUTS, Visits, mmn_patient, series_start

START = date(2025, 3, 1)
LATE = date(2030, 1, 1)  # every window long closed


def on(offset: int) -> date:
    return START + timedelta(days=offset)


def episode(offset: int = 0, kind: str = "withdrawal", *, ended: int | None = None,
            id: int = 1) -> TailoringIn:
    return TailoringIn(id=id, kind=kind, started_on=on(offset),
                       ended_on=on(ended) if ended is not None else None)


def assess(episodes, values, *, today=LATE, step=1, rules=SEED_1):
    return assess_tailoring(episodes, [(on(d), v) for d, v in values], step=step,
                            today=today, rules=rules)


# --- The window.

def test_window_runs_relapse_window_days_by_default():
    assert SEED_1.relapse_window_days == 180
    assert window_end(episode(), None, rules=SEED_1) == on(180)


def test_end_date_cuts_the_window():
    assert window_end(episode(ended=30), None, rules=SEED_1) == on(30)


def test_next_episode_cuts_the_window():
    assert window_end(episode(ended=100), on(40), rules=SEED_1) == on(40)


def test_window_days_are_a_rule_set_parameter():
    assert window_end(episode(), None, rules=replace(SEED_1, relapse_window_days=84)) == on(84)


# --- The result.

def test_relapse_exactly_at_the_mcid():
    [result] = assess([episode()], [(-10, 20), (30, 19)])
    assert (result.result, result.relapse_on) == (TailoringResult.RELAPSE, on(30))


def test_just_under_the_mcid_is_no_relapse():
    [result] = assess([episode()], [(-10, 20), (30, 19.5)])
    assert result.result == TailoringResult.TOLERATED


def test_mcid_is_the_measure_step():
    [result] = assess([episode()], [(-10, 20), (30, 19)], step=2)
    assert result.result == TailoringResult.TOLERATED
    [result] = assess([episode()], [(-10, 20), (30, 18)], step=2)
    assert result.result == TailoringResult.RELAPSE


def test_relapse_exactly_at_the_windows_end_counts():
    [result] = assess([episode()], [(-10, 20), (180, 15)])
    assert (result.result, result.relapse_on) == (TailoringResult.RELAPSE, on(180))


def test_a_worse_visit_after_the_windows_end_does_not():
    [result] = assess([episode()], [(-10, 20), (90, 20), (181, 15)])
    assert result.result == TailoringResult.TOLERATED


def test_end_date_cuts_the_window_for_relapse():
    [result] = assess([episode(ended=60)], [(-10, 20), (45, 20), (61, 10)])
    assert result.result == TailoringResult.TOLERATED


def test_next_episode_cuts_the_window_and_is_judged_on_its_own():
    first, second = assess(
        [episode(0, "dose_reduction", id=1), episode(50, "withdrawal", id=2)],
        [(-10, 20), (30, 20), (70, 18)])
    assert first.window_ends_on == on(50)
    assert first.result == TailoringResult.TOLERATED  # the drop at day 70 is the second's
    assert second.result == TailoringResult.RELAPSE and second.relapse_on == on(70)


def test_first_relapse_visit_is_named():
    [result] = assess([episode()], [(-10, 20), (20, 20), (40, 18), (60, 15)])
    assert result.relapse_on == on(40)


def test_reference_is_the_last_value_on_or_before_the_start():
    # A visit on the start day is the reference, not a window visit.
    [result] = assess([episode()], [(-30, 25), (0, 20), (30, 20)])
    assert result.reference == 20 and result.result == TailoringResult.TOLERATED


def test_no_reference_is_not_assessable():
    [result] = assess([episode()], [(10, 20), (30, 5)])
    assert (result.result, result.relapse_on) == (TailoringResult.NOT_ASSESSABLE, None)


def test_closed_window_without_a_visit_is_not_assessed():
    [result] = assess([episode()], [(-10, 20), (200, 20)])
    assert result.result == TailoringResult.NOT_ASSESSED


def test_open_window_is_ongoing_until_its_last_day_has_passed():
    values = [(-10, 20), (30, 20)]
    assert assess([episode()], values, today=on(180))[0].result == TailoringResult.ONGOING
    assert assess([episode()], values, today=on(181))[0].result == TailoringResult.TOLERATED


def test_relapse_needs_no_closed_window():
    [result] = assess([episode()], [(-10, 20), (30, 17)], today=on(31))
    assert result.result == TailoringResult.RELAPSE


def test_a_pairwise_change_may_judge_the_visits():
    # A measure compared pairwise (§9 adjusted INCAT) gives its own change function.
    result, relapse_on, _ = episode_result(
        started_on=on(0), window_ends_on=on(180), values=[(on(-1), 1), (on(10), 0)], step=1,
        today=LATE, change=lambda reference, value: 0)
    assert (result, relapse_on) == (TailoringResult.TOLERATED, None)


# --- Status ``off_treatment`` and the schedule's helpers.

GIVEN = (SeriesIn(number=1, started_on=on(-60), days=5),)


def test_tolerated_withdrawal_without_a_series_since_is_off_treatment():
    assessed = assess([episode()], [(-10, 20), (90, 20)])
    assert off_treatment(assessed, GIVEN, today=LATE)
    resumed = (*GIVEN, SeriesIn(number=2, started_on=on(200), days=5))
    assert not off_treatment(assessed, resumed, today=LATE)


@pytest.mark.parametrize("kind", ["dose_reduction", "interval_extension"])
def test_only_a_withdrawal_is_off_treatment(kind):
    assert not off_treatment(assess([episode(kind=kind)], [(-10, 20), (90, 20)]), GIVEN,
                             today=LATE)


def test_a_later_episode_ends_off_treatment():
    assessed = assess([episode(0, id=1), episode(200, "dose_reduction", id=2)],
                      [(-10, 20), (90, 20)])
    assert assessed[0].result == TailoringResult.TOLERATED
    assert not off_treatment(assessed, GIVEN, today=LATE)


def test_ongoing_or_tolerated_withdrawal_stops_the_schedule_relapse_does_not():
    ongoing = assess([episode()], [(-10, 20)], today=on(10))
    assert treatment_stopped(ongoing, GIVEN, on(10))
    tolerated = assess([episode()], [(-10, 20), (90, 20)])
    assert treatment_stopped(tolerated, GIVEN, LATE)
    relapse = assess([episode()], [(-10, 20), (90, 10)])
    assert not treatment_stopped(relapse, GIVEN, LATE)
    assert not treatment_stopped(assess([episode(kind="dose_reduction")], [(-10, 20)]),
                                 GIVEN, LATE)


def test_extension_periods():
    episodes = [episode(0, "interval_extension", id=1), episode(50, "withdrawal", id=2),
                episode(60, "interval_extension", ended=90, id=3),
                episode(100, "interval_extension", id=4)]
    assert extension_periods(episodes, on(120)) == (
        (on(0), on(50)), (on(60), on(90)), (on(100), None))
    # Not in force before it starts; an end date still ahead is still in force.
    assert extension_periods(episodes, on(70)) == ((on(0), on(50)), (on(60), None))


# --- In the outcome.

def withdrawn_patient(*, after_days: int, score: int, series_after: bool = False):
    """Three series with a post score each (12 → 14 → 15 → 16), then a withdrawal
    60 days after series 3 and a follow-up visit ``after_days`` after its start."""
    base = mmn_patient(10, [12, 14, 16])
    start = series_start(3) + timedelta(days=60)
    visits = Visits()
    visits.next_id = 100
    extra = [visits.make("follow_up", start, 16),
             visits.make("follow_up", start + timedelta(days=after_days), score)]
    series = base.series
    if series_after:
        series = (*series, SeriesIn(number=4, started_on=start + timedelta(days=200), days=5))
    return replace(base, visits=(*base.visits, *extra), series=series,
                   tailoring=(TailoringIn(id=7, kind="withdrawal", started_on=start),)), start


def test_outcome_lists_the_episodes_with_their_result():
    patient, start = withdrawn_patient(after_days=40, score=14)
    result = compute_outcome(patient, **SEED_INPUTS, today=start + timedelta(days=41))
    assert result.as_dict()["tailoring"] == [{
        "id": 7, "kind": "withdrawal", "started_on": start.isoformat(), "result": "relapse",
        "relapse_on": (start + timedelta(days=40)).isoformat(),
        "window_ends_on": (start + timedelta(days=180)).isoformat(),
    }]
    assert result.status != Status.OFF_TREATMENT


def test_status_off_treatment_after_a_tolerated_withdrawal():
    patient, start = withdrawn_patient(after_days=90, score=16)
    assert compute_outcome(patient, **SEED_INPUTS, today=start + timedelta(days=100)).status \
        != Status.OFF_TREATMENT  # the window is still open
    assert compute_outcome(patient, **SEED_INPUTS, today=LATE).status == Status.OFF_TREATMENT
    resumed, _ = withdrawn_patient(after_days=90, score=16, series_after=True)
    assert compute_outcome(resumed, **SEED_INPUTS, today=LATE).status != Status.OFF_TREATMENT


def test_deteriorating_comes_before_off_treatment():
    # Tolerated against its reference (9 → 9), yet below the baseline (10).
    base = mmn_patient(10, [12, 14, 16])
    start = series_start(3) + timedelta(days=60)
    visits = Visits()
    visits.next_id = 100
    extra = (visits.make("follow_up", start, 9), visits.make("follow_up",
                                                             start + timedelta(days=30), 9))
    patient = replace(base, visits=(*base.visits, *extra),
                      tailoring=(TailoringIn(id=1, kind="withdrawal", started_on=start),))
    outcome = compute_outcome(patient, **SEED_INPUTS, today=LATE)
    assert outcome.tailoring[0].result == TailoringResult.TOLERATED
    assert outcome.status == Status.DETERIORATING


def test_insufficient_data_comes_before_off_treatment():
    patient, _ = withdrawn_patient(after_days=90, score=16)
    no_baseline = replace(patient, visits=tuple(v for v in patient.visits
                                                if v.kind != "baseline"))
    outcome = compute_outcome(no_baseline, **SEED_INPUTS, today=LATE)
    assert outcome.status == Status.INSUFFICIENT_DATA
