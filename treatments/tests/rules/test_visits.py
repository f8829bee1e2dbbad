"""clinical-rules.md §1: which visit is the baseline, the post and the pre visit."""

from datetime import timedelta

from treatments.rules import baseline_visit, final_visit, post_visit, pre_visit
from treatments.rules.defaults import SEED_1
from treatments.rules.types import SeriesIn
from treatments.rules.visits import OrderedSeries, ordered_series
from treatments.tests.rules.builders import Visits, day, make_series, series_start

SERIES = make_series(3)


def test_baseline_is_the_last_baseline_visit_before_series_1():
    v = Visits()
    early, late = v.make("baseline", day(-30), 10), v.make("baseline", day(-7), 11)
    follow = v.make("follow_up", day(-3), 12)
    assert baseline_visit([late, follow, early], SERIES) == late


def test_baseline_falls_back_to_the_last_visit_of_any_kind_before_series_1():
    v = Visits()
    older, newer = v.make("follow_up", day(-30), 10), v.make("follow_up", day(-7), 11)
    after = v.make("follow_up", day(3), 12)
    assert baseline_visit([newer, after, older], SERIES) == newer


def test_baseline_fallback_never_takes_a_post_series_visit():
    v = Visits()
    follow = v.make("follow_up", day(-10), 10)
    odd_post = v.make("post_series", day(-1), 12, series=1)
    assert baseline_visit([follow, odd_post], SERIES) == follow


def test_a_visit_on_the_day_series_1_starts_counts_as_before_it():
    v = Visits()
    same_day = v.make("pre_series", series_start(1), 10, series=1)
    assert baseline_visit([same_day], SERIES) == same_day


def test_a_baseline_visit_after_series_1_started_is_not_the_baseline():
    v = Visits()
    assert baseline_visit([v.make("baseline", day(2), 10)], SERIES) is None


def test_no_visit_before_series_1_means_no_baseline():
    v = Visits()
    assert baseline_visit([v.make("post_series", day(14), 10, series=1)], SERIES) is None
    assert baseline_visit([], SERIES) is None


def test_same_day_visits_are_ordered_by_id():
    v = Visits()
    first, second = v.make("baseline", day(-7), 10), v.make("baseline", day(-7), 11)
    assert baseline_visit([second, first], SERIES) == second


def test_post_visit_is_the_linked_post_series_visit():
    v = Visits()
    linked = v.make("post_series", day(10), 20, series=1)
    later_follow = v.make("follow_up", day(20), 15)
    assert post_visit([linked, later_follow], SERIES, 1, rules=SEED_1) == linked


def test_post_visit_falls_back_to_the_last_visit_between_series_k_and_k_plus_1():
    v = Visits()
    first, last = v.make("follow_up", day(5), 18), v.make("follow_up", day(20), 19)
    after_next = v.make("follow_up", series_start(2) + timedelta(days=3), 25)
    assert post_visit([first, last, after_next], SERIES, 1, rules=SEED_1) == last


def test_post_visit_fallback_ignores_visits_linked_to_another_series():
    v = Visits()
    follow = v.make("follow_up", day(5), 18)
    pre_of_2 = v.make("pre_series", day(20), 15, series=2)
    assert post_visit([follow, pre_of_2], SERIES, 1, rules=SEED_1) == follow


def test_post_visit_of_the_last_series_falls_back_within_the_longest_interval():
    v = Visits()
    within = v.make("follow_up", series_start(3) + timedelta(days=42), 20)
    beyond = v.make("follow_up", series_start(3) + timedelta(days=43), 21)
    assert post_visit([within, beyond], SERIES, 3, rules=SEED_1) == within


def test_post_visit_of_an_unknown_series_is_none():
    assert post_visit([], SERIES, 9, rules=SEED_1) is None


def test_pre_visit_is_the_linked_pre_series_visit():
    v = Visits()
    linked = v.make("pre_series", series_start(2), 15, series=2)
    assert pre_visit([linked], SERIES, 2, rules=SEED_1) == linked


def test_pre_visit_falls_back_to_the_last_visit_after_the_previous_post_visit():
    v = Visits()
    post = v.make("post_series", day(10), 20, series=1)
    dip, trough = v.make("follow_up", day(20), 18), v.make("follow_up", day(27), 16)
    assert pre_visit([post, dip, trough], SERIES, 2, rules=SEED_1) == trough


def test_one_unlinked_visit_between_series_is_the_post_visit_not_also_the_pre_visit():
    v = Visits()
    only = v.make("follow_up", day(20), 18)
    assert post_visit([only], SERIES, 1, rules=SEED_1) == only
    assert pre_visit([only], SERIES, 2, rules=SEED_1) is None


def test_fallback_post_and_pre_visits_split_peak_then_trough():
    v = Visits()
    peak, trough = v.make("follow_up", day(10), 20), v.make("follow_up", day(25), 16)
    # The post fallback takes the last visit of the interval (spec), leaving no trough.
    assert post_visit([peak, trough], SERIES, 1, rules=SEED_1) == trough
    assert pre_visit([peak, trough], SERIES, 2, rules=SEED_1) is None


def test_pre_visit_fallback_excludes_the_linked_post_visit_of_the_previous_series():
    v = Visits()
    post = v.make("post_series", day(10), 20, series=1)
    trough = v.make("follow_up", day(27), 16)
    assert pre_visit([post, trough], SERIES, 2, rules=SEED_1) == trough


def test_series_1_has_no_fallback_pre_visit():
    v = Visits()
    assert pre_visit([v.make("baseline", day(-7), 10)], SERIES, 1, rules=SEED_1) is None


def test_final_visit_is_the_last_final_visit():
    v = Visits()
    a, b = v.make("final", day(200), 20), v.make("final", day(300), 21)
    assert final_visit([b, a, v.make("follow_up", day(400), 22)]) == b


def test_ordered_series_orders_once_and_gives_its_own_result_back_as_it_is():
    first, second, again = make_series(2) + (SeriesIn(number=1, started_on=day(9), days=5),)
    ordered = ordered_series([second, again, first])
    assert ordered == (first, second)  # number order; the earliest start wins a duplicate
    assert isinstance(ordered, OrderedSeries)
    assert ordered_series(ordered) is ordered
    assert ordered_series(list(ordered)) == ordered
