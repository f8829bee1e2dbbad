"""Today's outcome measures and the primary measure (clinical-rules.md §9).

Every per-visit score of §9 is computed here, once; ``Scale`` hands §1–§2's machinery
(``treatments.rules.mrc``) a measure's score, its orientation (gain signed so that
positive is better), its pairwise change (adjusted INCAT) and its MCID grades, so that
one set of functions judges every measure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from catalogues import MEASURE_BEST, MEASURE_BETTER, MRC_BEST_GRADE
from treatments.rules.mrc import Comparison, visit_score
from treatments.rules.types import Grade, Measure, MuscleSide, PatientIn, RuleSet, SeriesIn, VisitIn
from treatments.rules.visits import baseline_visit, visit_order

Number = int | Decimal
GRIP_ONE_HAND_FLAG = "grip: one hand only"
SIDES = ("R", "L")


def primary_measure(patient: PatientIn, *, rules: RuleSet) -> Measure:
    """The pinned measure if the patient has one, else the rule set's for the diagnosis."""
    if patient.primary_measure:
        return Measure(patient.primary_measure)
    return rules.primary_measure_for(patient.diagnosis)


# Per-visit scores (§9 table, "score" column). Each is null when a part is missing:
# a missing value is never a 0.

def mrc_sum(visit: VisitIn, *, rules: RuleSet) -> int | None:
    """MRC sum score over the rule set's sum-score muscles, both sides (0–60 Kleyweg)."""
    keys = [(muscle, side) for muscle in rules.sum_score_muscles for side in SIDES]
    if any(key not in visit.mrc for key in keys):
        return None
    return sum(visit.mrc[key] for key in keys)


def _both(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def incat(visit: VisitIn) -> int | None:
    """INCAT disability scale, arm + leg (0–10)."""
    return _both(visit.incat_arm, visit.incat_leg)


def onls(visit: VisitIn) -> int | None:
    """Overall Neuropathy Limitations Scale, arm + leg (0–12)."""
    return _both(visit.onls_arm, visit.onls_leg)


def grip(visit: VisitIn) -> Decimal | None:
    """Mean of both hands (kPa); null unless both are recorded (§9)."""
    if visit.grip_right_kpa is None or visit.grip_left_kpa is None:
        return None
    return (Decimal(visit.grip_right_kpa) + Decimal(visit.grip_left_kpa)) / 2


def grip_one_hand(visit: VisitIn) -> bool:
    return (visit.grip_right_kpa is None) != (visit.grip_left_kpa is None)


def adjusted_incat_change(before: VisitIn, after: VisitIn) -> int | None:
    """The adjusted INCAT change from ``before`` to ``after`` (positive = worse): leg
    change + arm change, except that an arm change between 0 and 1 (either way) counts
    0 (ProCID, ICE: 0→2 counts +2, 1→2 +1)."""
    if (before.incat_arm is None or before.incat_leg is None or after.incat_arm is None
            or after.incat_leg is None):
        return None  # one of the two has no INCAT
    return _adjusted_change(before.incat_arm, before.incat_leg, after.incat_arm,
                            after.incat_leg)


def _adjusted_change(arm_before: int, leg_before: int, arm_after: int, leg_after: int) -> int:
    arm = 0 if {arm_before, arm_after} == {0, 1} else arm_after - arm_before
    return (leg_after - leg_before) + arm


@dataclass(frozen=True)
class AdjustedIncat:
    """An adjusted-INCAT score: the visit it was taken at (compared pairwise) and the
    value shown, the baseline's INCAT + its adjusted change from the baseline."""

    visit: VisitIn
    shown: int


def shown(value: Any) -> Number | None:
    """The number a surface shows for a score of any scale."""
    return value.shown if type(value) is AdjustedIncat else value


def shown_all(values: Sequence[Any]) -> list[Number | None]:
    """``[shown(value) for value in values]`` (a recompute shows ~400 scores)."""
    return [value.shown if type(value) is AdjustedIncat else value for value in values]


class MeasureComparison(Comparison):
    """§9's comparison of a measure other than ``mrc_targets``: gain oriented by the
    scale's better direction (adjusted INCAT: its pairwise change), graded ``improved`` /
    ``stable`` / ``deteriorated`` by the MCID."""

    def __init__(self, measure: Measure, mcid: int) -> None:
        super().__init__(targets=0)
        self.measure = measure
        self.mcid = mcid
        self.lower_is_better = MEASURE_BETTER[measure] == "lower"

    def gain(self, before: Any, after: Any) -> Any:
        if type(before) is AdjustedIncat and type(after) is AdjustedIncat:
            change = adjusted_incat_change(before.visit, after.visit)
            assert change is not None
            return -change
        return before - after if self.lower_is_better else after - before

    def grade(self, gain: Any, *, rules: RuleSet) -> Grade:
        return grade_by_mcid(gain, self.mcid)

    def below_baseline(self, gain: Any, *, rules: RuleSet) -> bool:
        return self.grade(gain, rules=rules) == Grade.DETERIORATED

    def improving(self, grade: Grade | None) -> bool:
        return grade == Grade.IMPROVED

    def label(self, grade: Grade, persistent: bool, dependent: bool) -> str:
        return measure_label(grade, persistent, dependent)


def grade_by_mcid(gain: Any, mcid: int) -> Grade:
    """§9's response grade: improved (gain ≥ MCID), deteriorated (gain ≤ −MCID), stable."""
    if gain >= mcid:
        return Grade.IMPROVED
    if gain <= -mcid:
        return Grade.DETERIORATED
    return Grade.STABLE


def measure_label(grade: Grade, persistent: bool, dependent: bool) -> str:
    """§9's final labels for every measure but ``mrc_targets``."""
    if grade == Grade.DETERIORATED:
        return "Deterioration"
    if grade == Grade.STABLE:
        return "Stable"
    label = "Persistent improvement" if persistent else "Improvement (not persistent)"
    if dependent:
        label = ("Persistent improvement if repeated" if persistent
                 else "Improvement if repeated (not persistent)")
    return label


@dataclass(frozen=True)
class Scale:
    """One measure as the §2 machinery reads it: the visit's score, how two scores
    compare, the MCID (the step) and the scale's best value (``not_evaluable``)."""

    measure: Measure
    mcid: int
    score_of: Callable[[VisitIn | None], Any]
    comparison: Comparison
    best: int | None
    # ``score_of`` of a visit (never None), when the scale has it without the None check:
    # what ``scored_scale`` scores every visit with.
    score_visit: Callable[[VisitIn], Any] | None = field(default=None, compare=False)

    def at_ceiling(self, baseline: Any) -> bool:
        """A baseline within one MCID of the scale's best value cannot improve (§2, §9)."""
        if baseline is None or self.best is None:
            return False
        return bool(self.comparison.gain(baseline, _best_like(baseline, self.best)) <= self.mcid)


def _best_like(baseline: Any, best: int) -> Any:
    if isinstance(baseline, AdjustedIncat):
        visit = baseline.visit
        perfect = VisitIn(id=-1, visited_on=visit.visited_on, kind="follow_up", incat_arm=0,
                          incat_leg=0)
        return AdjustedIncat(perfect, 0)
    return best


def plain_score(measure: Measure, visit: VisitIn, *, targets: Sequence[MuscleSide],
                rules: RuleSet) -> Number | None:
    """A visit's value of a measure that needs no other visit (all but adjusted INCAT,
    which is read as INCAT here to know whether the visit has one)."""
    if measure == Measure.MRC_TARGETS:
        return visit_score(visit, targets)
    if measure == Measure.MRC_SUM:
        return mrc_sum(visit, rules=rules)
    if measure in (Measure.INCAT, Measure.ADJUSTED_INCAT):
        return incat(visit)
    if measure == Measure.IRODS:
        return visit.irods_centile
    if measure == Measure.GRIP:
        return grip(visit)
    if measure == Measure.ONLS:
        return onls(visit)
    return visit.prineas_score


def measure_scale(measure: Measure, visits: Sequence[VisitIn], series: Sequence[SeriesIn], *,
                  targets: Sequence[MuscleSide], rules: RuleSet) -> Scale:
    """The measure's ``Scale`` for this patient (adjusted INCAT needs the baseline)."""
    mcid = rules.mcid(measure)
    if measure == Measure.MRC_TARGETS:
        best = len(targets) * MRC_BEST_GRADE if targets else None

        def target_sum(visit: VisitIn) -> int | None:
            return visit_score(visit, targets)

        return Scale(measure, mcid, lambda v: None if v is None else visit_score(v, targets),
                     MeasureComparison(measure, mcid), best, target_sum)
    if measure == Measure.ADJUSTED_INCAT:
        scored = [v for v in visits if v.incat_arm is not None and v.incat_leg is not None]
        base = baseline_visit(scored, series)
        # The baseline's INCAT, worked out once (it has one: it is among ``scored``).
        base_arm = base.incat_arm if base is not None else None
        base_leg = base.incat_leg if base is not None else None

        def adjusted_of(visit: VisitIn) -> AdjustedIncat | None:
            arm, leg = visit.incat_arm, visit.incat_leg
            if arm is None or leg is None:
                return None  # no INCAT (``incat`` is None)
            if base_arm is None or base_leg is None:
                return AdjustedIncat(visit, arm + leg)
            return AdjustedIncat(visit, base_arm + base_leg
                                 + _adjusted_change(base_arm, base_leg, arm, leg))

        return Scale(measure, mcid, lambda v: None if v is None else adjusted_of(v),
                     MeasureComparison(measure, mcid), MEASURE_BEST[measure], adjusted_of)
    scorer = _plain_scorer(measure, targets=targets, rules=rules)
    return Scale(
        measure, mcid, lambda v: None if v is None else scorer(v),
        MeasureComparison(measure, mcid), MEASURE_BEST[measure], scorer,
    )


def _plain_scorer(measure: Measure, *, targets: Sequence[MuscleSide], rules: RuleSet
                  ) -> Callable[[VisitIn], Number | None]:
    """``plain_score`` of one measure as a function of the visit, the measure's branch
    chosen once (a scale scores every visit several times; the MRC sum's muscle-sides
    are listed once, not at each visit)."""
    if measure == Measure.MRC_TARGETS:
        return lambda visit: visit_score(visit, targets)
    if measure == Measure.MRC_SUM:
        keys = tuple((muscle, side) for muscle in rules.sum_score_muscles for side in SIDES)

        def mrc_sum_of(visit: VisitIn) -> int | None:
            grades = visit.mrc
            total = 0
            for key in keys:
                if key not in grades:
                    return None
                total += grades[key]
            return total

        return mrc_sum_of
    if measure in (Measure.INCAT, Measure.ADJUSTED_INCAT):
        return incat
    if measure == Measure.IRODS:
        return lambda visit: visit.irods_centile
    if measure == Measure.GRIP:
        return grip
    if measure == Measure.ONLS:
        return onls
    return lambda visit: visit.prineas_score


_UNSCORED = object()  # not in a scored scale's table


@dataclass(frozen=True)
class ScoredScale(Scale):
    """A ``Scale`` whose visits were scored once, up front (``scored_scale``): ``values``
    are the scores of ``visits``, in their order; ``table`` maps ``id(visit)`` to the
    visit's score for each of ``visits``, which it keeps alive, so an id found in it is
    that visit's. Any other visit is scored by ``score_of``."""

    visits: tuple[VisitIn, ...] = field(kw_only=True)
    values: tuple[Any, ...] = field(kw_only=True)
    table: dict[int, Any] = field(kw_only=True)


def scored_scale(scale: Scale, visits: Sequence[VisitIn]) -> ScoredScale:
    """``scale`` with each of ``visits`` scored once: its ``score_of`` and
    ``visit_values`` answer those visits (the same objects) from the table and score any
    other visit as ``scale`` does. One recompute reads every visit's score on every scale
    several times (the visits' scores, the summaries, the primary measure's judgement, the
    tailoring)."""
    score = scale.score_of
    kept = tuple(visits)
    values = tuple(map(scale.score_visit or score, kept))
    table = dict(zip(map(id, kept), values, strict=True))

    def score_of(visit: VisitIn | None) -> Any:
        if visit is None:
            return None
        value = table.get(id(visit), _UNSCORED)
        return score(visit) if value is _UNSCORED else value

    return ScoredScale(scale.measure, scale.mcid, score_of, scale.comparison, scale.best,
                       scale.score_visit, visits=kept, values=values, table=table)


def visit_values(scale: Scale, visits: Sequence[VisitIn]) -> list[Any]:
    """``[scale.score_of(v) for v in visits]``, read from the table of a scored scale."""
    if not isinstance(scale, ScoredScale):
        return [scale.score_of(visit) for visit in visits]
    if visits is scale.visits:
        return list(scale.values)
    get = scale.table.get
    score = scale.score_of
    return [score(visit) if (value := get(id(visit), _UNSCORED)) is _UNSCORED else value
            for visit in visits]


def visit_scores(visit: VisitIn, scales: dict[Measure, Scale]) -> dict[str, Number | None]:
    """Every §9 measure's value at one visit, {code: value or null}."""
    return {str(measure): shown(scale.score_of(visit)) for measure, scale in scales.items()}


def all_scales(visits: Sequence[VisitIn], series: Sequence[SeriesIn], *,
               targets: Sequence[MuscleSide], rules: RuleSet) -> dict[Measure, Scale]:
    return {m: measure_scale(m, visits, series, targets=targets, rules=rules) for m in Measure}


@dataclass(frozen=True)
class MeasureSummary:
    """One measure summarised over the patient's visits (§9, the outcome's ``measures``)."""

    measure: Measure
    baseline: Number | None
    latest: Number | None
    change: Number | None
    result: Grade | None
    mcid: int
    responder: bool


def measure_summary(scale: Scale, visits: Sequence[VisitIn], series: Sequence[SeriesIn], *,
                    rules: RuleSet) -> MeasureSummary | None:
    """Baseline (the §1 baseline among the visits with a value: the baseline visit, else
    the last value before series 1), latest (the last visit with a value), change
    (latest − baseline), result against the MCID in the better direction, responder.
    None when the measure is not recorded at all."""
    return ordered_summary(scale, sorted(visits, key=visit_order), series)


def ordered_summary(scale: Scale, visits: Sequence[VisitIn], series: Sequence[SeriesIn]
                    ) -> MeasureSummary | None:
    """``measure_summary`` of visits already in visit order."""
    valued = [v for v, value in zip(visits, visit_values(scale, visits), strict=True)
              if value is not None]
    if not valued:
        return None
    base = baseline_visit(valued, series)
    latest = valued[-1]
    base_value = scale.score_of(base) if base is not None else None
    latest_value = scale.score_of(latest)
    if base is None or visit_order(latest) <= visit_order(base):
        return MeasureSummary(scale.measure, shown(base_value), shown(latest_value), None, None,
                              scale.mcid, False)
    gain = scale.comparison.gain(base_value, latest_value)
    result = grade_by_mcid(gain, scale.mcid)
    change = _change(base_value, latest_value)
    return MeasureSummary(scale.measure, shown(base_value), shown(latest_value), change,
                          result, scale.mcid, result == Grade.IMPROVED)


def _change(before: Any, after: Any) -> Number | None:
    if isinstance(before, AdjustedIncat) and isinstance(after, AdjustedIncat):
        return adjusted_incat_change(before.visit, after.visit)
    value = after - before
    return value if isinstance(value, int | Decimal) else None
