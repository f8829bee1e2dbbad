"""clinical-rules.md §6: intervals between series."""

from datetime import date, timedelta

from treatments.rules import RuleSet, SeriesIn, numbering_problems, series_intervals

START = date(2024, 1, 1)


def given(*offsets):
    return tuple(SeriesIn(n, START + timedelta(days=o), 5) for n, o in enumerate(offsets, 1))


def test_intervals_are_days_since_the_previous_series():
    rows = series_intervals(given(0, 28, 56))
    assert [(r.number, r.interval_days, r.flagged) for r in rows] == [
        (1, None, False), (2, 28, False), (3, 28, False)]


def test_intervals_of_21_and_42_days_are_not_flagged_20_and_43_are():
    rows = series_intervals(given(0, 21, 63, 83, 126))
    assert [(r.interval_days, r.flagged) for r in rows] == [
        (None, False), (21, False), (42, False), (20, True), (43, True)]


def test_interval_bounds_are_rule_set_parameters():
    rows = series_intervals(given(0, 28), RuleSet(version="x", interval_max_days=27))
    assert rows[1].flagged


def test_series_are_taken_in_number_order():
    rows = series_intervals(tuple(reversed(given(0, 30))))
    assert [(r.number, r.interval_days) for r in rows] == [(1, None), (2, 30)]


def test_numbering_problems_are_named():
    assert numbering_problems(given(0, 28)) == ()
    gap = (SeriesIn(1, START, 5), SeriesIn(3, START + timedelta(days=28), 5))
    assert numbering_problems(gap) == ("series numbers do not run 1, 2, 3 without gaps",)
    swapped = (SeriesIn(1, START + timedelta(days=28), 5), SeriesIn(2, START, 5))
    assert numbering_problems(swapped) == ("series numbers are not in date order",)
    duplicate = (SeriesIn(1, START, 5), SeriesIn(1, START + timedelta(days=1), 5))
    assert "duplicate series numbers" in numbering_problems(duplicate)
