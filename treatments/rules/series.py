"""IVIg series (clinical-rules.md §6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from treatments.rules.course import Period, interval_flag
from treatments.rules.types import RuleSet, SeriesIn
from treatments.rules.visits import ordered_series


@dataclass(frozen=True)
class SeriesInterval:
    number: int
    interval_days: int | None  # None for the first series
    flagged: bool  # outside interval_min_days..interval_max_days


GRAMS_STEP = Decimal("0.1")


def total_grams(*, dose_g_per_kg: Decimal | None, weight_kg: Decimal | None
                ) -> Decimal | None:
    """Grams of a series: dose (g/kg) × body weight (kg), to 0.1 g (clinical-rules.md §6:
    "total grams is computed"). Either value unknown → unknown."""
    if dose_g_per_kg is None or weight_kg is None:
        return None
    return (Decimal(dose_g_per_kg) * Decimal(weight_kg)).quantize(GRAMS_STEP)


def interval_days(*, started_on: date | None, previous_started_on: date | None) -> int | None:
    """Days from the start of the previous series to this one's (clinical-rules.md §6);
    ``None`` for series 1 (no previous series) or an unknown date."""
    if started_on is None or previous_started_on is None:
        return None
    return (started_on - previous_started_on).days


def interval_flagged(days: int | None, *, rules: RuleSet) -> bool:
    """Outside ``interval_min_days``..``interval_max_days`` (21-42: treatment given
    "every month", clinical-rules.md §6); series 1 is never flagged."""
    if days is None:
        return False
    return not rules.interval_min_days <= days <= rules.interval_max_days


def series_intervals(series: Sequence[SeriesIn], *, rules: RuleSet,
                     extension_periods: Sequence[Period] = ()
                     ) -> tuple[SeriesInterval, ...]:
    """Days since the previous series, flagged outside 0.75–1.5 × the previous series'
    expected interval (clinical-rules.md §6 as §10 makes it: 21–42 days for a monthly
    series), except across a change of route or during an ``interval_extension``."""
    rows = []
    previous = None
    for item in ordered_series(series):
        days = interval_days(started_on=item.started_on,
                             previous_started_on=previous.started_on if previous else None)
        rows.append(SeriesInterval(item.number, days, interval_flag(
            days=days, previous=previous, current=item, rules=rules,
            extension_periods=extension_periods)))
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
