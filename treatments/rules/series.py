"""IVIg series (clinical-rules.md §6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from treatments.rules.defaults import SEED_1
from treatments.rules.types import RuleSet, SeriesIn
from treatments.rules.visits import ordered_series


@dataclass(frozen=True)
class SeriesInterval:
    number: int
    interval_days: int | None  # None for the first series
    flagged: bool  # outside interval_min_days..interval_max_days


def series_intervals(series: Sequence[SeriesIn], rules: RuleSet = SEED_1
                     ) -> tuple[SeriesInterval, ...]:
    """Days since the previous series, flagged outside 21-42 days (clinical-rules.md §6:
    treatment given "every month")."""
    rows = []
    previous = None
    for item in ordered_series(series):
        if previous is None:
            rows.append(SeriesInterval(item.number, None, False))
        else:
            days = (item.started_on - previous.started_on).days
            flagged = not rules.interval_min_days <= days <= rules.interval_max_days
            rows.append(SeriesInterval(item.number, days, flagged))
        previous = item
    return tuple(rows)


def numbering_problems(series: Sequence[SeriesIn]) -> tuple[str, ...]:
    """Why the series do not run 1, 2, 3 … without gaps in date order (§6); the
    services reject such data, the rules only say it."""
    problems = []
    numbers = sorted(s.number for s in series)
    if len(set(numbers)) != len(numbers):
        problems.append("duplicate series numbers")
    if sorted(set(numbers)) != list(range(1, len(set(numbers)) + 1)):
        problems.append("series numbers do not run 1, 2, 3 without gaps")
    ordered = ordered_series(series)
    if any(a.started_on >= b.started_on for a, b in pairwise(ordered)):
        problems.append("series numbers are not in date order")
    return tuple(problems)
