"""clinical-rules.md §2: beneficial series, N*, evaluation points, plateau,
wear-off, status and final result, on scores."""

from datetime import date, timedelta

import pytest

from treatments.rules import (
    EvaluationPoint,
    FinalResult,
    Grade,
    RuleSet,
    SeriesScores,
    Status,
    beneficial_series,
    evaluation_points,
    final_label,
    final_result,
    infusion_dependent,
    initial_response,
    n_star,
    plateau,
    status,
    wear_off_intervals,
)
from treatments.rules.defaults import SEED_1
from treatments.tests.rules.builders import TARGETS, Visits, make_series, series_start

SEED = RuleSet()


def scores(posts, pres=None):
    pres = pres or [None] * len(posts)
    return tuple(SeriesScores(n, None, pre, None, post)
                 for n, (pre, post) in enumerate(zip(pres, posts, strict=True), start=1))


def points(post_scores, follow_ups=()):
    first = date(2024, 1, 1)
    out = [EvaluationPoint(n, first + timedelta(days=28 * n), "post_series", n, s)
           for n, s in enumerate(post_scores, start=1)]
    out += [EvaluationPoint(100 + i, first + timedelta(days=1000 + i), "follow_up", None, s)
            for i, s in enumerate(follow_ups)]
    return tuple(out)


def test_initial_response_is_the_grade_of_the_post_score_of_series_1():
    assert initial_response(10, 21, 5, rules=SEED) == Grade.DRAMATIC
    assert initial_response(10, None, 5, rules=SEED) is None
    assert initial_response(None, 21, 5, rules=SEED) is None


def test_a_series_is_beneficial_when_it_beats_baseline_and_earlier_posts():
    assert beneficial_series(10, scores([12, 12, 11, 13]), rules=SEED) == (1, 4)


def test_no_beneficial_series_gives_no_n_star():
    assert beneficial_series(10, scores([10, 9, 10]), rules=SEED) == ()
    assert n_star(()) is None


def test_n_star_respects_min_step():
    two_steps = RuleSet(version="x", min_step=2)
    assert beneficial_series(10, scores([11, 13, 14, 16]), rules=two_steps) == (2, 4)
    assert n_star(beneficial_series(10, scores([11, 13, 14, 15]), rules=two_steps)) == 2
    assert n_star(beneficial_series(10, scores([11, 13, 14, 15]), rules=SEED)) == 4


def test_creeping_gains_below_min_step_never_make_a_series_beneficial():
    two_steps = RuleSet(version="x", min_step=2)
    assert beneficial_series(10, scores([11, 12, 13, 14]), rules=two_steps) == ()


def test_a_series_without_a_post_score_is_not_beneficial_and_does_not_reset_the_best():
    assert beneficial_series(10, scores([15, None, 15, 16]), rules=SEED) == (1, 4)


def test_evaluation_points_are_posts_then_follow_ups_after_the_last_post_not_troughs():
    v = Visits()
    series = make_series(2)
    post1 = v.make("post_series", series_start(1) + timedelta(days=10), 15, series=1)
    between = v.make("follow_up", series_start(1) + timedelta(days=20), 14)
    pre2 = v.make("pre_series", series_start(2), 13, series=2)
    post2 = v.make("post_series", series_start(2) + timedelta(days=10), 16, series=2)
    after = v.make("follow_up", series_start(2) + timedelta(days=60), 17)
    final = v.make("final", series_start(2) + timedelta(days=90), 18)
    unscored = v.make("follow_up", series_start(2) + timedelta(days=70), mrc={})
    found = evaluation_points([post1, between, pre2, post2, after, final, unscored], series,
                              TARGETS, rules=SEED)
    assert [(p.visit_id, p.series_number, p.score) for p in found] == [
        (post1.id, 1, 15), (post2.id, 2, 16), (after.id, None, 17), (final.id, None, 18),
    ]


def test_evaluation_points_without_series_are_empty():
    v = Visits()
    assert evaluation_points([v.make("follow_up", series_start(1), 10)], (), TARGETS,
                             rules=SEED_1) == ()


def test_plateau_is_reached_by_follow_up_visits_after_the_last_series():
    assert plateau(10, points([21, 22, 23], follow_ups=[23, 23]), 3, rules=SEED) == 3


def test_plateau_is_reached_by_later_post_scores_that_do_not_beat_the_best():
    assert plateau(10, points([15, 18, 18, 17]), 2, rules=SEED) == 2


def test_plateau_is_not_reached_with_a_single_evaluation_point_after_n_star():
    assert plateau(10, points([21, 22, 23], follow_ups=[23]), 3, rules=SEED) is None


def test_plateau_is_not_reached_while_a_later_point_still_beats_the_best():
    assert plateau(10, points([21, 22, 23], follow_ups=[23, 24]), 3, rules=SEED) is None


def test_plateau_needs_an_n_star():
    assert plateau(10, points([10, 10, 10], follow_ups=[10, 10]), None, rules=SEED) is None


def test_plateau_window_is_a_parameter():
    three = RuleSet(version="x", plateau_window=3)
    assert plateau(10, points([21], follow_ups=[21, 21]), 1, rules=three) is None
    assert plateau(10, points([21], follow_ups=[21, 21, 20]), 1, rules=three) == 1


def test_wear_off_once_is_not_infusion_dependent():
    found = wear_off_intervals(scores([15, 16, 16], pres=[None, 14, 16]), rules=SEED)
    assert [(w.after_series, w.before_series, w.post_score, w.pre_score, w.drop)
            for w in found] == [(1, 2, 15, 14, 1)]
    assert not infusion_dependent(found)


def test_wear_off_twice_is_infusion_dependent():
    found = wear_off_intervals(scores([15, 16, 16], pres=[None, 12, 13]), rules=SEED)
    assert [(w.after_series, w.drop) for w in found] == [(1, 3), (2, 3)]
    assert infusion_dependent(found)


def test_wear_off_needs_the_drop_set_by_the_rules():
    found = wear_off_intervals(scores([15, 16], pres=[None, 14]), rules=RuleSet(wear_off_drop=2))
    assert found == ()


def test_wear_off_needs_both_scores():
    found = wear_off_intervals(scores([15, None, 16], pres=[None, 10, 10]), rules=SEED)
    assert [(w.after_series, w.before_series) for w in found] == [(1, 2)]


def _status(**overrides):
    args = {"baseline_score": 10, "series_count": 4, "scored_series_count": 4,
            "points": points([12, 13, 14, 15]), "beneficial": (1, 2, 3, 4),
            "plateau_after_series": None, "latest_series_number": 4,
            "on_immunoglobulin": False, "baseline_at_ceiling": False, "rules": SEED}
    args.update(overrides)
    args.setdefault("scored_series_count", args["series_count"])
    if "series_count" in overrides and "scored_series_count" not in overrides:
        args["scored_series_count"] = overrides["series_count"]
    return status(**args)


def test_status_insufficient_data_without_baseline_score_or_series():
    assert _status(baseline_score=None) == Status.INSUFFICIENT_DATA
    assert _status(series_count=0) == Status.INSUFFICIENT_DATA


def test_status_deteriorating_when_the_latest_point_is_below_baseline():
    assert _status(points=points([12, 13, 14, 9]), beneficial=(1, 2, 3)) == Status.DETERIORATING


def test_status_deteriorating_wins_over_no_response():
    assert _status(points=points([10, 10, 9]), beneficial=(), series_count=3) \
        == Status.DETERIORATING


def test_status_no_response_after_three_series_without_a_beneficial_one():
    assert _status(points=points([10, 10, 10]), beneficial=(), series_count=3,
                   latest_series_number=3) == Status.NO_RESPONSE


def test_status_two_series_without_benefit_is_still_on_treatment():
    assert _status(points=points([10, 10]), beneficial=(), series_count=2,
                   latest_series_number=2) == Status.ON_TREATMENT


def test_status_plateau():
    assert _status(plateau_after_series=4) == Status.PLATEAU


def test_status_improving_when_the_latest_series_was_beneficial():
    assert _status() == Status.IMPROVING


def test_status_on_treatment_otherwise():
    assert _status(beneficial=(1, 2)) == Status.ON_TREATMENT


@pytest.mark.parametrize(("grade", "persistent", "dependent", "label"), [
    (Grade.DRAMATIC, True, False, "Persistent improvement"),
    (Grade.MILD, True, False, "Mild persistent improvement"),
    (Grade.SLIGHT, True, False, "Slight persistent improvement"),
    (Grade.MILD, True, True, "Mild persistent improvement if repeated"),
    (Grade.DRAMATIC, True, True, "Persistent improvement if repeated"),
    (Grade.DETERIORATION, False, False, "Deterioration"),
    (Grade.DETERIORATION, False, True, "Deterioration"),
    (Grade.NONE, False, False, "No response"),
    (Grade.DRAMATIC, False, False, "Improvement (not persistent)"),
    (Grade.MILD, False, False, "Mild improvement (not persistent)"),
    (Grade.SLIGHT, False, True, "Slight improvement if repeated (not persistent)"),
])
def test_final_labels_are_the_papers(grade, persistent, dependent, label):
    assert final_label(grade, persistent, dependent) == label


def test_final_result_uses_the_final_visit_when_there_is_one():
    result = final_result(baseline_score=10, final_visit_score=16, points=points([21, 22, 22]),
                          targets=5, dependent=False, rules=SEED)
    assert result == FinalResult(Grade.MILD, True, "Mild persistent improvement")


def test_final_result_falls_back_to_the_latest_evaluation_point():
    result = final_result(baseline_score=10, final_visit_score=None, points=points([21, 22, 12]),
                          targets=5, dependent=False, rules=SEED)
    assert result == FinalResult(Grade.SLIGHT, True, "Slight persistent improvement")


def test_final_result_not_persistent_when_an_earlier_point_of_the_window_fell_back():
    result = final_result(baseline_score=10, final_visit_score=None, points=points([21, 10, 21]),
                          targets=5, dependent=False, rules=SEED)
    assert result == FinalResult(Grade.DRAMATIC, False, "Improvement (not persistent)")


def test_final_result_not_persistent_with_fewer_points_than_the_window():
    result = final_result(baseline_score=10, final_visit_score=None, points=points([21]),
                          targets=5, dependent=False, rules=SEED)
    assert result.persistent is False


def test_final_result_is_empty_without_any_score():
    assert final_result(baseline_score=10, final_visit_score=None, points=(), targets=5,
                        dependent=False, rules=SEED) == FinalResult(None, None, None)


def test_a_wear_off_names_the_visits_it_compared():
    rows = (SeriesScores(1, None, None, 11, 15), SeriesScores(2, 12, 13, 14, 16))
    (found,) = wear_off_intervals(rows, rules=SEED)
    assert (found.post_visit_id, found.pre_visit_id) == (11, 12)
