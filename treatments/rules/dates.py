"""Dates that agree with the kind of visit (clinical-rules.md §1).

A ``baseline`` visit is on or before series 1 starts; a ``pre_series`` visit of series k
is on or before series k starts and after series k−1 started; a ``post_series`` visit of
series k is after series k starts and on or before series k+1 starts (for the last
series: within 1.5 × its expected interval of its start); a ``final`` visit is after
series 1 starts. ``follow_up`` visits may be on any day.

The day a series starts belongs *before* it (``treatments.rules.visits``: the examination
is done before the first infusion of the day), so a ``post_series`` visit of series k on
the day series k+1 starts is its trough-and-peak day and is accepted, as the post-score
window of §1 accepts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from math import floor

DEFAULT_EXPECTED_INTERVAL_DAYS = 28  # a monthly series (§10 will make it per series)
LAST_SERIES_WINDOW = 1.5  # × the expected interval, for the post visit of the last series


@dataclass(frozen=True)
class SeriesDates:
    number: int
    started_on: date
    expected_interval_days: int | None = None  # None: the default monthly interval


@dataclass(frozen=True)
class VisitDates:
    id: int | None  # None: a visit being recorded
    kind: str
    visited_on: date
    series_number: int | None = None


@dataclass(frozen=True)
class DateProblem:
    visit: VisitDates
    message: str


def expected_interval_days(series: SeriesDates) -> int:
    """The interval expected after ``series`` (clinical-rules.md §10), in days."""
    return series.expected_interval_days or DEFAULT_EXPECTED_INTERVAL_DAYS


def post_window_end(series: SeriesDates) -> date:
    """The last day a ``post_series`` visit of the last series may be on."""
    days = floor(LAST_SERIES_WINDOW * expected_interval_days(series))
    return series.started_on + timedelta(days=days)


def _on(day: date) -> str:
    return day.isoformat()


def visit_date_problem(visit: VisitDates, series: Sequence[SeriesDates]) -> str | None:
    """Why ``visit``'s date disagrees with its kind, or None when it agrees."""
    by_number = {s.number: s for s in series}
    first = by_number.get(min(by_number)) if by_number else None
    if visit.kind == "baseline":
        if first is not None and visit.visited_on > first.started_on:
            return (f"A baseline visit is on or before series {first.number} starts "
                    f"({_on(first.started_on)}).")
        return None
    if visit.kind == "final":
        if first is None:
            return "A final visit comes after series 1 starts; this patient has no series yet."
        if visit.visited_on <= first.started_on:
            return (f"A final visit is after series {first.number} starts "
                    f"({_on(first.started_on)}).")
        return None
    if visit.kind not in ("pre_series", "post_series") or visit.series_number is None:
        return None
    own = by_number.get(visit.series_number)
    if own is None:
        return None  # the link itself is checked elsewhere
    previous = by_number.get(visit.series_number - 1)
    following = by_number.get(visit.series_number + 1)
    if visit.kind == "pre_series":
        if visit.visited_on > own.started_on:
            return (f"A pre_series visit of series {own.number} is on or before it starts "
                    f"({_on(own.started_on)}).")
        if previous is not None and visit.visited_on <= previous.started_on:
            return (f"A pre_series visit of series {own.number} is after series "
                    f"{previous.number} started ({_on(previous.started_on)}).")
        return None
    if visit.visited_on <= own.started_on:
        return (f"A post_series visit of series {own.number} is after it starts "
                f"({_on(own.started_on)}).")
    if following is not None:
        if visit.visited_on > following.started_on:
            return (f"A post_series visit of series {own.number} is before series "
                    f"{following.number} starts ({_on(following.started_on)}).")
        return None
    end = post_window_end(own)
    if visit.visited_on > end:
        return (f"A post_series visit of series {own.number}, the last one, is within "
                f"{(end - own.started_on).days} days of its start (on or before {_on(end)}).")
    return None


def date_problems(
    visits: Sequence[VisitDates], series: Sequence[SeriesDates]
) -> list[DateProblem]:
    """Every visit whose date disagrees with its kind, in date order."""
    problems = []
    for visit in sorted(visits, key=lambda v: (v.visited_on, v.id or 0)):
        message = visit_date_problem(visit, series)
        if message is not None:
            problems.append(DateProblem(visit=visit, message=message))
    return problems
