"""Which visit plays which part in the treatment (clinical-rules.md §1).

Dates carry no time of day, so one convention decides every boundary: a visit
dated on the day a series starts belongs *before* that series (the examination
is done before the first infusion of the day). Visits on the same date are
ordered by id.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise
from math import floor

from treatments.rules.dates import LAST_SERIES_WINDOW
from treatments.rules.types import RuleSet, SeriesIn, VisitIn

LINKABLE_KINDS = ("pre_series", "post_series")
PRE_FALLBACK_KINDS = ("pre_series", "post_series", "follow_up")
# A final evaluation inside the window is the best post measure there is; taking
# it also keeps every later visit an evaluation point (see post_visit).
POST_FALLBACK_KINDS = (*PRE_FALLBACK_KINDS, "final")


def visit_order(visit: VisitIn) -> tuple[date, int]:
    return (visit.visited_on, visit.id)


class OrderedSeries(tuple[SeriesIn, ...]):
    """A patient's series in number order, one per number: the value ``ordered_series``
    gives. Every rule that needs the order takes any sequence and calls
    ``ordered_series``, which hands an ``OrderedSeries`` back as it is, so a caller that
    ordered the series once (``compute_outcome``) is not made to pay for it again in each
    of the ~80 calls a 24-series patient's rules make (an order check each was ~15 % of
    ``compute_outcome``; docs/rules-decisions.md)."""

    __slots__ = ()


def ordered_series(series: Sequence[SeriesIn]) -> OrderedSeries:
    """Series in number order, one per number (the earliest start wins a duplicate)."""
    if isinstance(series, OrderedSeries):
        return series
    if isinstance(series, tuple) and all(a.number < b.number for a, b in pairwise(series)):
        return OrderedSeries(series)  # already ordered and unique
    seen: set[int] = set()
    ordered: list[SeriesIn] = []
    for item in sorted(series, key=lambda s: (s.number, s.started_on)):
        if item.number not in seen:
            seen.add(item.number)
            ordered.append(item)
    return OrderedSeries(ordered)


def _is_linked(visit: VisitIn) -> bool:
    return visit.kind in LINKABLE_KINDS and visit.series_number is not None


def _latest(visits: Sequence[VisitIn]) -> VisitIn | None:
    return max(visits, key=visit_order, default=None)


def _position(series: tuple[SeriesIn, ...], number: int) -> int | None:
    for index, item in enumerate(series):
        if item.number == number:
            return index
    return None


def baseline_visit(visits: Sequence[VisitIn], series: Sequence[SeriesIn]) -> VisitIn | None:
    """The last ``baseline`` visit before series 1, else the last visit of any kind
    before series 1 starts (clinical-rules.md §1).

    A ``post_series`` visit is never a fallback baseline: it follows a series by
    definition. Without any series every visit is "before series 1".
    """
    ordered = ordered_series(series)
    first_start = ordered[0].started_on if ordered else None
    before = [v for v in visits if first_start is None or v.visited_on <= first_start]
    baselines = [v for v in before if v.kind == "baseline"]
    if baselines:
        return _latest(baselines)
    return _latest([v for v in before if v.kind != "post_series"])


def post_visit(
    visits: Sequence[VisitIn],
    series: Sequence[SeriesIn],
    number: int,
    *,
    rules: RuleSet,
) -> VisitIn | None:
    """The visit giving the post score of series ``number`` (clinical-rules.md §1).

    The ``post_series`` visit linked to it, else the last unlinked visit after it
    started and before the next series started. With no next series the window
    closes 1.5 × its expected interval after the start (§1, §10), so later follow-up
    visits stay evaluation points instead of becoming the post visit.
    """
    ordered = ordered_series(series)
    position = _position(ordered, number)
    if position is None:
        return None
    linked = [v for v in visits if v.kind == "post_series" and v.series_number == number]
    if linked:
        return _latest(linked)
    start = ordered[position].started_on
    if position + 1 < len(ordered):
        end = ordered[position + 1].started_on
    else:
        end = start + timedelta(days=floor(
            LAST_SERIES_WINDOW * ordered[position].expected_interval_days))
    return _latest([
        v for v in visits
        if v.kind in POST_FALLBACK_KINDS and not _is_linked(v) and start < v.visited_on <= end
    ])


def pre_visit(
    visits: Sequence[VisitIn],
    series: Sequence[SeriesIn],
    number: int,
    *,
    rules: RuleSet,
) -> VisitIn | None:
    """The visit giving the pre score (trough) of series ``number`` (clinical-rules.md §1).

    The ``pre_series`` visit linked to it, else the last unlinked visit after the
    previous series started and on or before this one starts, other than the
    visit already taken as the previous series' post visit (one examination is
    never both peak and trough). Series 1 has no fallback: the baseline covers it.
    """
    ordered = ordered_series(series)
    position = _position(ordered, number)
    if position is None:
        return None
    linked = [v for v in visits if v.kind == "pre_series" and v.series_number == number]
    if linked:
        return _latest(linked)
    if position == 0:
        return None
    previous = ordered[position - 1]
    previous_post = post_visit(visits, ordered, previous.number, rules=rules)
    start, end = previous.started_on, ordered[position].started_on
    return _latest([
        v for v in visits
        if v.kind in PRE_FALLBACK_KINDS and not _is_linked(v) and start < v.visited_on <= end
        and (previous_post is None or visit_order(v) > visit_order(previous_post))
    ])


# ``series_visits``: every series' (pre visit, post visit), by series number.
SeriesVisits = dict[int, tuple[VisitIn | None, VisitIn | None]]


def series_visits(
    visits: Sequence[VisitIn],
    series: Sequence[SeriesIn],
    *,
    rules: RuleSet,
) -> SeriesVisits:
    """``(pre_visit, post_visit)`` of every series, by number: the same visits as
    ``pre_visit`` and ``post_visit`` give, found with one pass over the visits instead of
    one scan of them all per series and role (each pre visit also needs the previous
    series' post visit: four scans per series). Linked visits are indexed by series; the
    unlinked fallbacks, in visit order, are found by date with a bisection.

    Equal to the one-by-one functions, ties included: ``_latest`` (``max``) keeps the
    first of equal visit orders in the order given, and so does this (a stable sort,
    then the first of the run of equals)."""
    ordered = ordered_series(series)
    linked: dict[tuple[str, int | None], VisitIn] = {}
    pre_candidates: list[VisitIn] = []
    post_candidates: list[VisitIn] = []
    for visit in visits:
        if _is_linked(visit):
            key = (visit.kind, visit.series_number)
            best = linked.get(key)
            if best is None or visit_order(visit) > visit_order(best):
                linked[key] = visit
            continue
        if visit.kind in PRE_FALLBACK_KINDS:
            pre_candidates.append(visit)
        if visit.kind in POST_FALLBACK_KINDS:
            post_candidates.append(visit)
    pre_candidates.sort(key=visit_order)
    post_candidates.sort(key=visit_order)
    pre_index = _DateIndex(pre_candidates)
    post_index = _DateIndex(post_candidates)
    found: dict[int, tuple[VisitIn | None, VisitIn | None]] = {}
    previous_post: VisitIn | None = None
    for position, item in enumerate(ordered):
        start = item.started_on
        post = linked.get(("post_series", item.number))
        if post is None:
            if position + 1 < len(ordered):
                end = ordered[position + 1].started_on
            else:
                end = start + timedelta(days=floor(
                    LAST_SERIES_WINDOW * item.expected_interval_days))
            post = post_index.latest(start, end)
        pre = linked.get(("pre_series", item.number))
        if pre is None and position > 0:
            pre = pre_index.latest(ordered[position - 1].started_on, start)
            if pre is not None and previous_post is not None \
                    and visit_order(pre) <= visit_order(previous_post):
                pre = None  # every candidate is at or before the previous post visit
        found.setdefault(item.number, (pre, post))
        previous_post = post
    return found


class _DateIndex:
    """Visits in visit order, found by date: the latest one dated in ``(start, end]``."""

    __slots__ = ("dates", "orders", "visits")

    def __init__(self, visits: list[VisitIn]) -> None:
        self.visits = visits
        self.dates = [v.visited_on for v in visits]
        self.orders = [visit_order(v) for v in visits]

    def latest(self, start: date, end: date) -> VisitIn | None:
        index = bisect_right(self.dates, end) - 1
        if index < 0 or self.dates[index] <= start:
            return None
        order = self.orders[index]
        while index > 0 and self.orders[index - 1] == order:
            index -= 1  # the first of equal orders, as ``max`` keeps it
        return self.visits[index]


def final_visit(visits: Sequence[VisitIn]) -> VisitIn | None:
    """The last ``final`` visit (clinical-rules.md §2, final result)."""
    return _latest([v for v in visits if v.kind == "final"])
