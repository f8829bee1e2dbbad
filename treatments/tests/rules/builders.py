"""Plain builders of rule inputs for the tests (no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from treatments.rules.defaults import DEFAULT_THRESHOLDS, SEED_1, SEED_1_BLOCKS
from treatments.rules.types import MuscleSide, PatientIn, SeriesIn, VisitIn

# The seed rule set, thresholds and criteria, passed explicitly to ``compute_outcome``
# (the rules have no default: ``compute_outcome(patient, **SEED_INPUTS)``).
SEED_INPUTS = {"rules": SEED_1, "thresholds": DEFAULT_THRESHOLDS, "block_criteria": SEED_1_BLOCKS}

START = date(2024, 1, 8)
EVERY = 28
TARGETS: tuple[MuscleSide, ...] = (
    ("deltoid", "R"), ("deltoid", "L"), ("biceps", "R"), ("biceps", "L"), ("triceps", "R"),
)
STRONG: dict[MuscleSide, int] = {("quadriceps", "R"): 5, ("quadriceps", "L"): 5}


def day(offset: int) -> date:
    return START + timedelta(days=offset)


def series_start(number: int) -> date:
    return day(EVERY * (number - 1))


def make_series(count: int) -> tuple[SeriesIn, ...]:
    return tuple(SeriesIn(number=n, started_on=series_start(n), days=5)
                 for n in range(1, count + 1))


def grades(total: int, targets: Sequence[MuscleSide] = TARGETS) -> dict[MuscleSide, int]:
    """Grades of the target muscles that add up to ``total`` (spread evenly)."""
    base, extra = divmod(total, len(targets))
    return {ms: base + (1 if i < extra else 0) for i, ms in enumerate(targets)}


class Visits:
    """Hands out visits with increasing ids."""

    def __init__(self) -> None:
        self.next_id = 1

    def make(self, kind: str, on: date, total: int | None = None, *, series: int | None = None,
             mrc: dict[MuscleSide, int] | None = None, prineas: int | None = None) -> VisitIn:
        if mrc is None:
            mrc = grades(total) if total is not None else {}
        visit = VisitIn(id=self.next_id, visited_on=on, kind=kind, series_number=series,
                        mrc=mrc, prineas_score=prineas)
        self.next_id += 1
        return visit


def mmn_patient(
    baseline: int | None,
    posts: Sequence[int | None],
    *,
    pres: Sequence[int | None] = (),
    follow_ups: Sequence[int] = (),
    final: int | None = None,
) -> PatientIn:
    """A patient with a baseline visit, one post visit 14 days into each series,
    optional pre visits on the day each series starts (index 0 = series 2), then
    follow-up visits every 30 days and an optional final visit after them."""
    v = Visits()
    visits: list[VisitIn] = []
    if baseline is not None:
        visits.append(v.make("baseline", day(-7), mrc={**STRONG, **grades(baseline)}))
    for number, post in enumerate(posts, start=1):
        if post is not None:
            visits.append(v.make("post_series", series_start(number) + timedelta(days=14), post,
                                 series=number))
    for number, pre in enumerate(pres, start=2):
        if pre is not None:
            visits.append(v.make("pre_series", series_start(number), pre, series=number))
    last = series_start(len(posts)) + timedelta(days=14)
    for i, score in enumerate(follow_ups, start=1):
        visits.append(v.make("follow_up", last + timedelta(days=30 * i), score))
    if final is not None:
        visits.append(v.make("final", last + timedelta(days=30 * (len(follow_ups) + 1)), final))
    return PatientIn(diagnosis="mmn", series=make_series(len(posts)), visits=tuple(visits))
