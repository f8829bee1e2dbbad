"""clinical-rules.md §1: dates that agree with the kind of visit (the pure rule)."""

from datetime import date, timedelta

import pytest

from treatments.rules.dates import (
    SeriesDates,
    VisitDates,
    date_problems,
    expected_interval_days,
    post_window_end,
    visit_date_problem,
)

S1, S2 = date(2024, 1, 8), date(2024, 2, 5)
SERIES = (SeriesDates(1, S1), SeriesDates(2, S2))
ONE = timedelta(days=1)


def problem(kind, on, number=None, series=SERIES):
    return visit_date_problem(VisitDates(None, kind, on, number), series)


@pytest.mark.parametrize(("kind", "on", "number"), [
    ("baseline", S1, None), ("baseline", S1 - 400 * ONE, None),
    ("pre_series", S1, 1), ("pre_series", S1 - 30 * ONE, 1),
    ("pre_series", S1 + ONE, 2), ("pre_series", S2, 2),
    ("post_series", S1 + ONE, 1), ("post_series", S2, 1),  # the day series 2 starts
    ("post_series", S2 + ONE, 2), ("post_series", S2 + 42 * ONE, 2),  # 1.5 × 28 days
    ("final", S1 + ONE, None), ("final", S2 + 3000 * ONE, None),
    ("follow_up", S1 - 999 * ONE, None), ("follow_up", S2 + 999 * ONE, None),
])
def test_dates_that_agree_with_the_kind(kind, on, number):
    assert problem(kind, on, number) is None


@pytest.mark.parametrize(("kind", "on", "number", "says"), [
    ("baseline", S1 + ONE, None, "on or before series 1 starts (2024-01-08)"),
    ("pre_series", S1 + ONE, 1, "on or before it starts (2024-01-08)"),
    ("pre_series", S2 + ONE, 2, "on or before it starts (2024-02-05)"),
    ("pre_series", S1, 2, "after series 1 started (2024-01-08)"),
    ("post_series", S1, 1, "after it starts (2024-01-08)"),
    ("post_series", S2 + ONE, 1, "before series 2 starts (2024-02-05)"),
    ("post_series", S2 + 43 * ONE, 2, "within 42 days of its start (on or before 2024-03-18)"),
    ("final", S1, None, "after series 1 starts (2024-01-08)"),
    ("final", S1 - 100 * ONE, None, "after series 1 starts"),
])
def test_dates_at_odds_with_the_kind(kind, on, number, says):
    assert says in problem(kind, on, number)


def test_the_issue_cases():
    """A post_series visit of the only series years later, a final visit before series 1."""
    only = (SeriesDates(1, S1),)
    assert "within 42 days" in problem("post_series", S1 + 3 * 365 * ONE, 1, only)
    assert "after series 1 starts" in problem("final", S1 - 30 * ONE, None, only)


def test_a_final_visit_needs_a_series():
    assert "no series yet" in problem("final", S1, None, ())
    assert problem("baseline", S1, None, ()) is None


def test_the_expected_interval_is_the_default_month_unless_the_series_says():
    assert expected_interval_days(SeriesDates(1, S1)) == 28
    assert post_window_end(SeriesDates(1, S1)) == S1 + 42 * ONE
    weekly = SeriesDates(1, S1, expected_interval_days=7)
    assert post_window_end(weekly) == S1 + 10 * ONE  # 1.5 × 7, whole days
    assert problem("post_series", S1 + 11 * ONE, 1, (weekly,)) is not None


def test_date_problems_lists_each_visit_at_odds_in_date_order():
    visits = [VisitDates(3, "final", S1, None), VisitDates(1, "baseline", S1 + ONE, None),
              VisitDates(2, "post_series", S1 + 2 * ONE, 1)]
    assert [p.visit.id for p in date_problems(visits, SERIES)] == [3, 1]
