"""Dose tailoring and trial off (clinical-rules.md §10).

An episode's **window** runs from its start to the earliest of start +
``relapse_window_days``, its end date and the next episode's start; a visit is *in* the
window when it is after the start and on or before the window's end (a visit on the start
day is the reference's, not the window's). Its **reference** is the primary measure's value
at the last visit with a value on or before the start. Its **result**: ``not_assessable``
without a reference; ``relapse`` when a visit in the window is worse than the reference by
at least the step (the measure's MCID; ``relapse_on`` = the first such visit's date);
``tolerated`` once the window has closed (``today`` is past its last day) with at least one
visit in it and no relapse; ``not_assessed`` once closed with none; otherwise ``ongoing``.

The measure is given as ``(visit date, value)`` pairs in visit order, only visits with a
value, **oriented so that higher is better**, with its step; ``change(reference, value)``
(default ``value - reference``) lets a measure compared pairwise (§9 ``adjusted_incat``)
say how much better a visit is than the reference.

Contract for the schedule (§10 "Schedule"), computed elsewhere from these helpers over the
*assessed* episodes (``assess_tailoring``):

- ``extension_periods(episodes, today)``: the spans ``(start, end)`` during which an
  ``interval_extension`` is in force — from its start to its end date or the next
  episode's start, whichever comes first; ``end`` is None while it is still in force on
  ``today``. Episodes starting after ``today`` are not in force yet.
- ``treatment_stopped(episodes, series, today)``: True when the latest episode started on
  or before ``today`` is a ``withdrawal`` whose result is ``ongoing`` or ``tolerated`` and
  no series was given after its start; then no series is due.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from treatments.rules.types import RuleSet, SeriesIn, TailoringIn, TailoringResult

# A value of the measure: a number, or what ``change`` compares (§9 adjusted INCAT).
Value = Any
WITHDRAWAL = "withdrawal"
INTERVAL_EXTENSION = "interval_extension"
STOPPING_RESULTS = (TailoringResult.ONGOING, TailoringResult.TOLERATED)


@dataclass(frozen=True)
class TailoringAssessment:
    id: int
    kind: str
    started_on: date
    ended_on: date | None
    window_ends_on: date
    reference: Value | None  # the measure's value the visits are compared with
    result: TailoringResult
    relapse_on: date | None


def ordered_episodes(episodes: Sequence[TailoringIn]) -> tuple[TailoringIn, ...]:
    return tuple(sorted(episodes, key=lambda e: (e.started_on, e.id)))


def window_end(episode: TailoringIn, next_start: date | None, *, rules: RuleSet) -> date:
    """The last day of the episode's window (§10)."""
    ends = [episode.started_on + timedelta(days=rules.relapse_window_days)]
    if episode.ended_on is not None:
        ends.append(episode.ended_on)
    if next_start is not None:
        ends.append(next_start)
    return max(episode.started_on, min(ends))


def _default_change(reference, value) -> float:
    return value - reference


def episode_result(
    *,
    started_on: date,
    window_ends_on: date,
    values: Sequence[tuple[date, Value]],
    step: float,
    today: date,
    change: Callable[[Value, Value], float] | None = None,
) -> tuple[TailoringResult, date | None, Value | None]:
    """(result, relapse_on, reference) of one episode (§10)."""
    change = change or _default_change
    before = [value for on, value in values if on <= started_on]
    if not before:
        return TailoringResult.NOT_ASSESSABLE, None, None
    reference = before[-1]
    inside = [(on, value) for on, value in values if started_on < on <= window_ends_on]
    for on, value in inside:
        if change(reference, value) <= -step:
            return TailoringResult.RELAPSE, on, reference
    if today <= window_ends_on:
        return TailoringResult.ONGOING, None, reference
    if inside:
        return TailoringResult.TOLERATED, None, reference
    return TailoringResult.NOT_ASSESSED, None, reference


def assess_tailoring(
    episodes: Sequence[TailoringIn],
    values: Sequence[tuple[date, Value]],
    *,
    step: float,
    today: date,
    rules: RuleSet,
    change: Callable[[Value, Value], float] | None = None,
) -> tuple[TailoringAssessment, ...]:
    """Every episode's window, reference and result, in start order (§10)."""
    ordered = ordered_episodes(episodes)
    assessed = []
    for index, episode in enumerate(ordered):
        following = ordered[index + 1].started_on if index + 1 < len(ordered) else None
        ends = window_end(episode, following, rules=rules)
        result, relapse_on, reference = episode_result(
            started_on=episode.started_on, window_ends_on=ends, values=values, step=step,
            today=today, change=change)
        assessed.append(TailoringAssessment(
            id=episode.id, kind=episode.kind, started_on=episode.started_on,
            ended_on=episode.ended_on, window_ends_on=ends,
            reference=reference,
            result=result, relapse_on=relapse_on,
        ))
    return tuple(assessed)


def _latest(episodes: Sequence[TailoringAssessment], today: date | None
            ) -> TailoringAssessment | None:
    started = [e for e in episodes if today is None or e.started_on <= today]
    return max(started, key=lambda e: (e.started_on, e.id), default=None)


def _given_after(series: Sequence[SeriesIn], day: date) -> bool:
    return any(s.status == "given" and s.started_on > day for s in series)


def off_treatment(episodes: Sequence[TailoringAssessment], series: Sequence[SeriesIn], *,
                  today: date) -> bool:
    """The latest episode is a tolerated ``withdrawal`` and no series was given after its
    start: status ``off_treatment`` (§10)."""
    latest = _latest(episodes, today)
    return (latest is not None and latest.kind == WITHDRAWAL
            and latest.result == TailoringResult.TOLERATED
            and not _given_after(series, latest.started_on))


def treatment_stopped(episodes: Sequence[TailoringAssessment], series: Sequence[SeriesIn],
                      today: date) -> bool:
    """An ongoing or tolerated withdrawal stops the schedule (§10 "Schedule")."""
    latest = _latest(episodes, today)
    return (latest is not None and latest.kind == WITHDRAWAL
            and latest.result in STOPPING_RESULTS
            and not _given_after(series, latest.started_on))


def extension_periods(episodes: Sequence[TailoringAssessment | TailoringIn], today: date
                      ) -> tuple[tuple[date, date | None], ...]:
    """The spans during which an ``interval_extension`` is in force (see the module's
    docstring): ``end`` None while still in force on ``today``."""
    ordered = sorted((e for e in episodes if e.started_on <= today),
                     key=lambda e: (e.started_on, e.id))
    periods = []
    for index, episode in enumerate(ordered):
        if episode.kind != INTERVAL_EXTENSION:
            continue
        ends = [d for d in (episode.ended_on,
                            ordered[index + 1].started_on if index + 1 < len(ordered) else None)
                if d is not None]
        end = min(ends) if ends else None
        periods.append((episode.started_on, end if end is not None and end <= today else None))
    return tuple(periods)
