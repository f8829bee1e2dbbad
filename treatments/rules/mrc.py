"""MRC-based response (clinical-rules.md §2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from catalogues import MRC_BEST_GRADE, MUSCLE_ORDER
from treatments.rules.types import (
    Grade,
    MuscleSide,
    PriorTreatmentIn,
    RuleSet,
    SeriesIn,
    Status,
    VisitIn,
)
from treatments.rules.visits import SeriesVisits, ordered_series, series_visits, visit_order

SIDE_ORDER = {"R": 0, "L": 1}
IMPROVEMENT_GRADES = (Grade.DRAMATIC, Grade.MILD, Grade.SLIGHT)
_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


@dataclass(frozen=True)
class TargetSelection:
    muscles: tuple[MuscleSide, ...]
    pinned: bool
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeriesScores:
    number: int
    pre_visit_id: int | None
    pre_score: int | None
    post_visit_id: int | None
    post_score: int | None


@dataclass(frozen=True)
class EvaluationPoint:
    visit_id: int
    visited_on: date
    kind: str
    series_number: int | None  # set for the post point of a series
    score: int


@dataclass(frozen=True)
class WearOff:
    after_series: int
    before_series: int
    post_score: int
    pre_score: int
    drop: int
    # The visits measured (§1's post and pre visits): a surface marks the trough by id,
    # never by guessing which visit §1 chose.
    post_visit_id: int | None = None
    pre_visit_id: int | None = None


@dataclass(frozen=True)
class FinalResult:
    grade: Grade | None
    persistent: bool | None
    label: str | None


class Comparison:
    """How two scores of the judged scale compare: the §2 machinery runs on any scale
    through this (clinical-rules.md §9). This one is §2's MRC target sum: gain = score −
    baseline, graded by mean gain per target; ``treatments.rules.measures.MeasureComparison``
    gives every other measure its orientation, pairwise change and MCID grades."""

    def __init__(self, targets: int) -> None:
        self.targets = targets

    def gain(self, before: Any, after: Any) -> Any:
        """Change from ``before`` to ``after``, positive = better."""
        return after - before

    def grade(self, gain: Any, *, rules: RuleSet) -> Grade | None:
        if self.targets <= 0:
            return None
        return response_grade(gain, self.targets, rules=rules)

    def below_baseline(self, gain: Any, *, rules: RuleSet) -> bool:
        """The status rule's "below baseline" (§2: any loss; §9: graded deteriorated)."""
        return bool(gain < 0)

    def improving(self, grade: Grade | None) -> bool:
        """A grade that counts towards ``persistent`` (§2: at least ``slight``)."""
        return grade in IMPROVEMENT_GRADES

    def label(self, grade: Grade, persistent: bool, dependent: bool) -> str:
        return final_label(grade, persistent, dependent)


ScoreOf = Callable[[VisitIn | None], Any]


def muscle_side_order(muscle_side: MuscleSide) -> tuple[int, str, int, str]:
    """Catalogue order, then right before left; unknown codes last, by code."""
    muscle, side = muscle_side
    return (MUSCLE_ORDER.get(muscle, len(MUSCLE_ORDER)), muscle, SIDE_ORDER.get(side, 2), side)


def target_muscles(
    baseline: VisitIn | None,
    pinned: Sequence[MuscleSide] = (),
    *,
    rules: RuleSet,
) -> TargetSelection:
    """The muscles whose grades are summed (clinical-rules.md §2, target muscles).

    Pinned muscles win. Otherwise the ``target_count`` lowest grades at baseline,
    ties by catalogue order then right before left; fewer graded → those, flagged.
    """
    if pinned:
        return TargetSelection(tuple(sorted(set(pinned), key=muscle_side_order)), pinned=True)
    grades = baseline.mrc if baseline is not None else {}
    lowest = sorted(grades.items(), key=lambda item: (item[1], *muscle_side_order(item[0])))
    chosen = tuple(sorted((ms for ms, _ in lowest[: rules.target_count]), key=muscle_side_order))
    flags: tuple[str, ...] = ()
    if len(chosen) < rules.target_count:
        count = _NUMBER_WORDS.get(rules.target_count, str(rules.target_count))
        flags = (f"fewer than {count} target muscles",)
    return TargetSelection(chosen, pinned=False, flags=flags)


def missing_target_grades(visit: VisitIn, targets: Sequence[MuscleSide]) -> tuple[MuscleSide, ...]:
    return tuple(ms for ms in targets if ms not in visit.mrc)


def visit_score(visit: VisitIn | None, targets: Sequence[MuscleSide]) -> int | None:
    """Sum of the target muscles' grades (clinical-rules.md §2, score).

    A missing target grade means no score: a missing grade is never a 0.
    """
    if visit is None or not targets:
        return None
    grades = visit.mrc
    total = 0
    for ms in targets:  # one look-up each (called for every visit and scale)
        if ms not in grades:
            return None
        total += grades[ms]
    return total


def response_grade(gain: int, targets: int, *, rules: RuleSet) -> Grade:
    """Grade of a gain over the baseline score (clinical-rules.md §2, response grade)."""
    if targets <= 0:
        raise ValueError("a response grade needs at least one target muscle")
    if gain < 0:
        return Grade.DETERIORATION
    mean_gain = gain / targets
    if mean_gain >= rules.dramatic_mean_gain:
        return Grade.DRAMATIC
    if mean_gain >= rules.mild_mean_gain:
        return Grade.MILD
    if gain >= 1:
        return Grade.SLIGHT
    return Grade.NONE


def grade_against(score: int | None, baseline_score: int | None, targets: int, *,
                  rules: RuleSet, comparison: Comparison | None = None) -> Grade | None:
    if comparison is not None:
        if score is None or baseline_score is None:
            return None
        return comparison.grade(comparison.gain(baseline_score, score), rules=rules)
    if score is None or baseline_score is None or targets <= 0:
        return None
    return response_grade(score - baseline_score, targets, rules=rules)


def series_scores(
    visits: Sequence[VisitIn],
    series: Sequence[SeriesIn],
    targets: Sequence[MuscleSide],
    *,
    rules: RuleSet,
    score_of: ScoreOf | None = None,
    found: SeriesVisits | None = None,
) -> tuple[SeriesScores, ...]:
    """Pre and post score of every series, in series order (clinical-rules.md §1);
    ``score_of`` scores a visit on another scale than the target sum (§9); ``found`` is
    ``series_visits(visits, series)`` when the caller has it."""
    score = score_of or (lambda visit: visit_score(visit, targets))
    rows = []
    if found is None:
        found = series_visits(visits, series, rules=rules)
    for item in ordered_series(series):
        pre, post = found[item.number]
        rows.append(SeriesScores(
            number=item.number,
            pre_visit_id=pre.id if pre else None,
            pre_score=score(pre),
            post_visit_id=post.id if post else None,
            post_score=score(post),
        ))
    return tuple(rows)


def initial_response(baseline_score: int | None, first_post_score: int | None, targets: int,
                     *, rules: RuleSet, comparison: Comparison | None = None) -> Grade | None:
    """Response grade of the post score of series 1 (clinical-rules.md §2, Table 1
    "First response")."""
    return grade_against(first_post_score, baseline_score, targets, rules=rules,
                         comparison=comparison)


def _better(best: Any, score: Any, comparison: Comparison | None) -> Any:
    """The better of two scores (the earlier on a tie)."""
    if comparison is None:
        return max(best, score)
    return score if comparison.gain(best, score) > 0 else best


def _gain(before: Any, after: Any, comparison: Comparison | None) -> Any:
    return after - before if comparison is None else comparison.gain(before, after)


def beneficial_series(baseline_score: int, scores: Sequence[SeriesScores], *,
                      rules: RuleSet, comparison: Comparison | None = None
                      ) -> tuple[int, ...]:
    """Series whose post score beats the baseline and every earlier post score by
    ``min_step`` (clinical-rules.md §2, beneficial series)."""
    best = baseline_score
    beneficial = []
    for row in scores:
        if row.post_score is None:
            continue
        if _gain(best, row.post_score, comparison) >= rules.min_step:
            beneficial.append(row.number)
        best = _better(best, row.post_score, comparison)
    return tuple(beneficial)


def n_star(beneficial: Sequence[int]) -> int | None:
    """Number of the last beneficial series, N* (clinical-rules.md §2, Table 1 N*)."""
    return beneficial[-1] if beneficial else None


def evaluation_points(
    visits: Sequence[VisitIn],
    series: Sequence[SeriesIn],
    targets: Sequence[MuscleSide],
    *,
    rules: RuleSet,
    score_of: ScoreOf | None = None,
    found: SeriesVisits | None = None,
) -> tuple[EvaluationPoint, ...]:
    """The post score of every series, then every ``follow_up`` or ``final`` visit
    after the last series' post visit (clinical-rules.md §2, evaluation points);
    ``found`` is ``series_visits(visits, series)`` when the caller has it.

    Visits without a score cannot be judged and are left out (they are flagged).
    """
    score_visit = score_of or (lambda visit: visit_score(visit, targets))
    ordered = ordered_series(series)
    if not ordered:
        return ()
    points: list[EvaluationPoint] = []
    last_post: VisitIn | None = None
    if found is None:
        found = series_visits(visits, ordered, rules=rules)
    for item in ordered:
        last_post = found[item.number][1]
        score = score_visit(last_post)
        if last_post is not None and score is not None:
            points.append(_point(last_post, score, item.number))
    for visit in sorted(visits, key=visit_order):
        if visit.kind not in ("follow_up", "final"):
            continue
        if last_post is not None:
            if visit_order(visit) <= visit_order(last_post):
                continue
        elif visit.visited_on <= ordered[-1].started_on:
            continue
        score = score_visit(visit)
        if score is not None:
            points.append(_point(visit, score, None))
    return tuple(points)


def _point(visit: VisitIn, score: int, series_number: int | None) -> EvaluationPoint:
    return EvaluationPoint(visit.id, visit.visited_on, visit.kind, series_number, score)


def plateau(baseline_score: int, points: Sequence[EvaluationPoint], star: int | None, *,
            rules: RuleSet, comparison: Comparison | None = None) -> int | None:
    """``N*`` once ``plateau_window`` evaluation points follow series N*'s and none
    beats the best score by ``min_step`` (clinical-rules.md §2, plateau)."""
    if star is None:
        return None
    index = next((i for i, p in enumerate(points) if p.series_number == star), None)
    if index is None:
        return None
    best = baseline_score
    for p in points[: index + 1]:
        best = _better(best, p.score, comparison)
    after = points[index + 1:]
    if len(after) < rules.plateau_window:
        return None
    if any(_gain(best, p.score, comparison) >= rules.min_step for p in after):
        return None
    return star


def wear_off_intervals(scores: Sequence[SeriesScores], *, rules: RuleSet,
                       comparison: Comparison | None = None) -> tuple[WearOff, ...]:
    """Intervals where the trough before series k+1 fell at least ``wear_off_drop``
    below the post score of series k (clinical-rules.md §2, wear-off)."""
    intervals = []
    for before, after in pairwise(scores):
        if before.post_score is None or after.pre_score is None:
            continue
        drop = _gain(after.pre_score, before.post_score, comparison)
        if drop >= rules.wear_off_drop:
            intervals.append(WearOff(before.number, after.number, before.post_score,
                                     after.pre_score, drop, before.post_visit_id,
                                     after.pre_visit_id))
    return tuple(intervals)


def infusion_dependent(intervals: Sequence[WearOff]) -> bool:
    """Two wear-offs or more (clinical-rules.md §2; seed: case 5, "if repeated")."""
    return len(intervals) >= 2


def status(
    *,
    baseline_score: int | None,
    series_count: int,
    scored_series_count: int,
    points: Sequence[EvaluationPoint],
    beneficial: Sequence[int],
    plateau_after_series: int | None,
    latest_series_number: int | None,
    on_immunoglobulin: bool,
    baseline_at_ceiling: bool,
    rules: RuleSet,
    comparison: Comparison | None = None,
    off_treatment: bool = False,
) -> Status:
    """Latest state, the first that applies in the spec's order (clinical-rules.md §2).

    ``no_response`` counts only series with a post score (three unmeasured series say
    nothing about a response); it gives way to ``stable_on_treatment`` for a patient
    already on immunoglobulin at series 1 (the baseline is an on-treatment one) and to
    ``not_evaluable`` for a baseline at the ceiling of the scale (it cannot improve).
    ``off_treatment`` (§10) comes right after ``deteriorating``.
    """
    if baseline_score is None or series_count == 0:
        return Status.INSUFFICIENT_DATA
    if points and (points[-1].score < baseline_score if comparison is None else
                   comparison.below_baseline(comparison.gain(baseline_score, points[-1].score),
                                             rules=rules)):
        return Status.DETERIORATING
    if off_treatment:  # §10: a tolerated withdrawal with no series given since its start
        return Status.OFF_TREATMENT
    if scored_series_count >= rules.no_response_min_series and not beneficial:
        if on_immunoglobulin:
            return Status.STABLE_ON_TREATMENT
        if baseline_at_ceiling:
            return Status.NOT_EVALUABLE
        return Status.NO_RESPONSE
    if plateau_after_series is not None:
        return Status.PLATEAU
    if latest_series_number is not None and latest_series_number in beneficial:
        return Status.IMPROVING
    return Status.ON_TREATMENT


def baseline_at_ceiling(baseline_score: int | None, targets: int, *, rules: RuleSet) -> bool:
    """The baseline target sum is within one step (``min_step``) of the scale's best
    value, all targets graded 5: it cannot improve (clinical-rules.md §2, ``not_evaluable``)."""
    if baseline_score is None or targets <= 0:
        return False
    return baseline_score >= targets * MRC_BEST_GRADE - rules.min_step


def on_immunoglobulin_at(treatments: Sequence[PriorTreatmentIn], day: date | None) -> bool:
    """A prior treatment of kind ``immunoglobulin`` not ended before ``day`` (the start of
    series 1): the patient was already treated, so the baseline is an on-treatment one
    (clinical-rules.md §2, ``stable_on_treatment``). One that started after ``day`` is
    not "already" on it."""
    if day is None:
        return False
    return any(
        t.kind == "immunoglobulin"
        and (t.ended_on is None or t.ended_on >= day)
        and (t.started_on is None or t.started_on <= day)
        for t in treatments
    )


def series_without_post_score(scores: Sequence[SeriesScores],
                              series: Sequence[SeriesIn]) -> tuple[int, ...]:
    """Numbers of the given series without a post score (clinical-rules.md §2 flag)."""
    given = {s.number for s in series if s.status == "given"}
    return tuple(row.number for row in scores if row.post_score is None and row.number in given)


_PERSISTENT_LABELS = {
    Grade.DRAMATIC: "Persistent improvement",
    Grade.MILD: "Mild persistent improvement",
    Grade.SLIGHT: "Slight persistent improvement",
}
_NOT_PERSISTENT_LABELS = {
    Grade.DRAMATIC: "Improvement",
    Grade.MILD: "Mild improvement",
    Grade.SLIGHT: "Slight improvement",
}


def final_label(grade: Grade, persistent: bool, dependent: bool) -> str:
    """The paper's wording of a final result (clinical-rules.md §2; Table 1)."""
    if grade == Grade.DETERIORATION:
        return "Deterioration"
    if grade == Grade.NONE:
        return "No response"
    if persistent:
        label = _PERSISTENT_LABELS[grade]
        return f"{label} if repeated" if dependent else label
    label = _NOT_PERSISTENT_LABELS[grade]
    if dependent:
        label = f"{label} if repeated"
    return f"{label} (not persistent)"


def final_result(
    *,
    baseline_score: int | None,
    final_visit_score: int | None,
    points: Sequence[EvaluationPoint],
    targets: int,
    dependent: bool,
    rules: RuleSet,
    comparison: Comparison | None = None,
) -> FinalResult:
    """Grade of the ``final`` visit, else of the latest evaluation point, against
    baseline; ``persistent`` when each of the last ``plateau_window`` evaluation
    points is at least ``slight`` (clinical-rules.md §2, final result)."""
    score = final_visit_score if final_visit_score is not None else (
        points[-1].score if points else None)
    grade = grade_against(score, baseline_score, targets, rules=rules, comparison=comparison)
    if grade is None or baseline_score is None:
        return FinalResult(None, None, None)
    window = points[-rules.plateau_window:] if rules.plateau_window > 0 else []
    if comparison is not None:
        persistent = len(window) >= rules.plateau_window and all(
            comparison.improving(grade_against(p.score, baseline_score, targets, rules=rules,
                                               comparison=comparison))
            for p in window
        )
        return FinalResult(grade, persistent, comparison.label(grade, persistent, dependent))
    persistent = len(window) >= rules.plateau_window and all(
        response_grade(p.score - baseline_score, targets, rules=rules) in IMPROVEMENT_GRADES
        for p in window
    )
    return FinalResult(grade, persistent, final_label(grade, persistent, dependent))
