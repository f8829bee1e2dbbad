"""clinical-rules.md §3: Prineas score change."""

from datetime import date

import pytest

from treatments.rules import RuleSet, SeriesIn, disability_change, prineas_before_after
from treatments.rules.defaults import SEED_1
from treatments.tests.rules.builders import Visits

SERIES = (SeriesIn(1, date(2024, 3, 1), 5),)


@pytest.mark.parametrize(("before", "after", "change", "result"), [
    (3, 2, -1, "improved"),
    (4, 2, -2, "improved"),
    (3, 3, 0, "stable"),
    (1, 3, 2, "deteriorated"),
    (2, 3, 1, "deteriorated"),
])
def test_disability_change(before, after, change, result):
    found = disability_change(before, after, rules=RuleSet())
    assert (found.measure, found.before, found.after, found.change, found.result) == (
        "prineas", before, after, change, result)


@pytest.mark.parametrize(("before", "after"), [(None, 2), (3, None), (None, None)])
def test_missing_scores_give_no_change(before, after):
    found = disability_change(before, after, rules=SEED_1)
    assert (found.before, found.after, found.change, found.result) == (before, after, None, None)


def test_paper_table_2_previously_treated_gives_4_improved_1_stable_2_deteriorated():
    pairs = [(3, 2), (4, 3), (3, 2), (3, 3), (1, 3), (2, 4), (4, 3)]
    results = [disability_change(b, a, rules=SEED_1).result for b, a in pairs]
    assert (results.count("improved"), results.count("stable"),
            results.count("deteriorated")) == (4, 1, 2)


def test_prineas_before_is_the_baseline_visit_and_after_the_final_visit():
    v = Visits()
    visits = [
        v.make("follow_up", date(2024, 1, 1), prineas=4),
        v.make("baseline", date(2024, 2, 1), prineas=3),
        v.make("final", date(2024, 9, 1), prineas=2),
        v.make("follow_up", date(2024, 10, 1), prineas=1),
    ]
    assert prineas_before_after(visits, SERIES) == (3, 2)


def test_prineas_after_falls_back_to_the_latest_visit_after_series_1():
    v = Visits()
    visits = [v.make("baseline", date(2024, 2, 1), prineas=3),
              v.make("follow_up", date(2024, 5, 1), prineas=2),
              v.make("follow_up", date(2024, 7, 1), prineas=4),
              v.make("follow_up", date(2024, 8, 1))]
    assert prineas_before_after(visits, SERIES) == (3, 4)


def test_prineas_before_falls_back_to_any_visit_before_series_1_with_a_score():
    v = Visits()
    visits = [v.make("follow_up", date(2024, 1, 1), prineas=3),
              v.make("baseline", date(2024, 2, 1))]
    assert prineas_before_after(visits, SERIES) == (3, None)


def test_prineas_without_series_has_no_after():
    v = Visits()
    assert prineas_before_after([v.make("baseline", date(2024, 1, 1), prineas=3)], ()) == (3, None)
