"""Disability-score response (clinical-rules.md §3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from treatments.rules.types import DisabilityResult, RuleSet, SeriesIn, VisitIn
from treatments.rules.visits import ordered_series, visit_order


@dataclass(frozen=True)
class DisabilityChange:
    measure: str
    before: int | None
    after: int | None
    change: int | None
    result: DisabilityResult | None


def disability_change(before: int | None, after: int | None, *,
                      rules: RuleSet) -> DisabilityChange:
    """Prineas score after - before; lower is better (clinical-rules.md §3).

    Seed: "improvement of at least one grade on the Prineas score".
    """
    if before is None or after is None:
        return DisabilityChange("prineas", before, after, None, None)
    change = after - before
    if change <= rules.disability_improved_change:
        result = DisabilityResult.IMPROVED
    elif change >= rules.disability_deteriorated_change:
        result = DisabilityResult.DETERIORATED
    else:
        result = DisabilityResult.STABLE
    return DisabilityChange("prineas", before, after, change, result)


def prineas_before_after(visits: Sequence[VisitIn], series: Sequence[SeriesIn]
                         ) -> tuple[int | None, int | None]:
    """The Prineas scores compared by §3: the baseline visit's and the final (or
    latest) visit's, each among the visits that have a Prineas score.

    Before = the last ``baseline`` visit on or before series 1 starts, else the last
    visit of any kind but ``post_series`` then (§1's rule). After = the last ``final``
    visit, else the latest visit, after series 1 started. No series → no "after".
    """
    scored = [v for v in visits if v.prineas_score is not None]
    ordered = ordered_series(series)
    if not ordered:
        before_pool = scored
    else:
        before_pool = [v for v in scored if v.visited_on <= ordered[0].started_on]
    baselines = [v for v in before_pool if v.kind == "baseline"]
    before_pool = baselines or [v for v in before_pool if v.kind != "post_series"]
    before = max(before_pool, key=visit_order, default=None)
    after = None
    if ordered:
        after_pool = [v for v in scored if v.visited_on > ordered[0].started_on]
        finals = [v for v in after_pool if v.kind == "final"]
        after = max(finals or after_pool, key=visit_order, default=None)
    return (
        before.prineas_score if before is not None else None,
        after.prineas_score if after is not None else None,
    )
