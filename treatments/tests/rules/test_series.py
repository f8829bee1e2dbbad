"""clinical-rules.md §6: intervals between series."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from treatments.rules import (
    RuleSet,
    SeriesIn,
    interval_days,
    interval_flagged,
    numbering_problems,
    series_intervals,
    total_grams,
)
from treatments.rules.defaults import SEED_1

START = date(2024, 1, 1)


def given(*offsets):
    return tuple(SeriesIn(n, START + timedelta(days=o), 5) for n, o in enumerate(offsets, 1))


def test_intervals_are_days_since_the_previous_series():
    rows = series_intervals(given(0, 28, 56), rules=SEED_1)
    assert [(r.number, r.interval_days, r.flagged) for r in rows] == [
        (1, None, False), (2, 28, False), (3, 28, False)]


def test_intervals_of_21_and_42_days_are_not_flagged_20_and_43_are():
    rows = series_intervals(given(0, 21, 63, 83, 126), rules=SEED_1)
    assert [(r.interval_days, r.flagged) for r in rows] == [
        (None, False), (21, False), (42, False), (20, True), (43, True)]


def test_interval_bounds_are_rule_set_parameters():
    rows = series_intervals(given(0, 28), rules=RuleSet(version="x", interval_max_factor=0.95))
    assert rows[1].flagged


def test_series_are_taken_in_number_order():
    rows = series_intervals(tuple(reversed(given(0, 30))), rules=SEED_1)
    assert [(r.number, r.interval_days) for r in rows] == [(1, None), (2, 30)]


def test_numbering_problems_are_named():
    assert numbering_problems(given(0, 28)) == ()
    gap = (SeriesIn(1, START, 5), SeriesIn(3, START + timedelta(days=28), 5))
    assert numbering_problems(gap) == ("series numbers do not run 1, 2, 3 without gaps",)
    swapped = (SeriesIn(1, START + timedelta(days=28), 5), SeriesIn(2, START, 5))
    assert numbering_problems(swapped) == ("series numbers are not in date order",)
    duplicate = (SeriesIn(1, START, 5), SeriesIn(1, START + timedelta(days=1), 5))
    assert "duplicate series numbers" in numbering_problems(duplicate)


# clinical-rules.md §6: total grams and the interval, computed here and nowhere else.
def test_total_grams_is_dose_times_weight_to_a_tenth_of_a_gram():
    assert total_grams(dose_g_per_kg=Decimal("0.4"), weight_kg=Decimal("72.5")) \
        == Decimal("29.0")
    assert total_grams(dose_g_per_kg=Decimal("2.0"), weight_kg=Decimal("70.3")) \
        == Decimal("140.6")
    assert total_grams(dose_g_per_kg=Decimal("0.45"), weight_kg=Decimal("70.1")) \
        == Decimal("31.5")  # 31.545 → 31.5


def test_total_grams_of_an_unknown_dose_or_weight_is_unknown():
    assert total_grams(dose_g_per_kg=None, weight_kg=Decimal("70")) is None
    assert total_grams(dose_g_per_kg=Decimal("2.0"), weight_kg=None) is None


def test_interval_days_and_its_flag():
    assert interval_days(started_on=date(2024, 2, 5), previous_started_on=date(2024, 1, 8)) \
        == 28
    assert interval_days(started_on=date(2024, 1, 8), previous_started_on=None) is None
    assert [interval_flagged(d, rules=SEED_1) for d in (None, 20, 21, 42, 43)] == [
        False, True, False, False, True]


def test_rule_functions_refuse_to_run_without_their_rule_set():
    with pytest.raises(TypeError):
        series_intervals(given(0, 28))  # no silent seed-1
    with pytest.raises(TypeError):
        interval_flagged(30)
