"""A patient's computed outcome (clinical-rules.md §1-§6; api.md "Outcome")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from treatments.rules.blocks import BlockEvolution, block_evolution
from treatments.rules.course import (
    Schedule,
    dose_intensities,
    extension_interval,
    interval_bounds,
    schedule,
)
from treatments.rules.disability import (
    DisabilityChange,
    disability_change,
    prineas_before_after,
)
from treatments.rules.measures import (
    GRIP_ONE_HAND_FLAG,
    MeasureSummary,
    Scale,
    all_scales,
    grip_one_hand,
    ordered_summary,
    primary_measure,
    scored_scale,
    shown,
    shown_all,
    visit_values,
)
from treatments.rules.mrc import (
    Comparison,
    EvaluationPoint,
    FinalResult,
    ScoreOf,
    SeriesScores,
    WearOff,
    baseline_at_ceiling,
    beneficial_series,
    evaluation_points,
    final_result,
    grade_against,
    infusion_dependent,
    initial_response,
    missing_target_grades,
    n_star,
    on_immunoglobulin_at,
    plateau,
    series_scores,
    series_without_post_score,
    status,
    target_muscles,
    visit_score,
    wear_off_intervals,
)
from treatments.rules.series import SeriesInterval, numbering_problems, series_intervals
from treatments.rules.tailoring import (
    TailoringAssessment,
    assess_tailoring,
    extension_periods,
    off_treatment,
    treatment_stopped,
)
from treatments.rules.titres import (
    AssessedTitre,
    significant_titres,
    titres_before_ivig,
)
from treatments.rules.types import (
    BlockCriteria,
    Grade,
    Measure,
    MuscleSide,
    PatientIn,
    RuleSet,
    SeriesIn,
    Status,
    ThresholdIn,
    TitreIn,
    VisitIn,
)
from treatments.rules.visits import (
    OrderedSeries,
    baseline_visit,
    final_visit,
    ordered_series,
    series_visits,
    visit_order,
)

JSON = dict[str, Any]
# api.md / issue wording, listed once; one detailed flag per unscored visit follows it.
MISSING_GRADE_FLAG = "visit lacks a grade for a target muscle"
BASELINE_AT_CEILING_FLAG = "baseline at ceiling"


@dataclass(frozen=True)
class VisitResult:
    id: int
    visited_on: date
    kind: str
    series: int | None
    score: int | None
    grade: Grade | None
    # §9: every measure's value at the visit, and the primary measure's (``score`` stays
    # the MRC target sum; ``grade`` is the primary measure's grade against its baseline).
    scores: dict[str, int | Decimal | None] = field(default_factory=dict)
    primary_score: int | Decimal | None = None


@dataclass(frozen=True)
class SeriesResult:
    number: int
    pre_score: int | None
    post_score: int | None
    grade: Grade | None
    beneficial: bool
    interval_days: int | None
    interval_flag: bool
    route: str = "iv"  # §10
    dose_intensity: Decimal | None = None  # g/kg per 4 weeks (§10)


@dataclass(frozen=True)
class Outcome:
    """Everything the rules say about one patient; ``as_dict`` is api.md's outcome
    minus ``patient``, ``computed_at`` and ``stale`` (added by the storage layer)."""

    rules_version: str
    status: Status
    baseline_score: int | None
    target_muscles: tuple[MuscleSide, ...]
    initial_response: Grade | None
    beneficial_series: tuple[int, ...]
    n_star: int | None
    plateau_after_series: int | None
    wear_off_intervals: tuple[WearOff, ...]
    infusion_dependent: bool
    final: FinalResult
    disability: DisabilityChange
    conduction_blocks: BlockEvolution
    titres_significant: tuple[TitreIn, ...]
    titres_before_ivig: tuple[AssessedTitre, ...]
    series: tuple[SeriesResult, ...]
    visits: tuple[VisitResult, ...]
    flags: tuple[str, ...]
    # clinical-rules.md §9: the measure judged, its baseline value, and every measure's
    # summary (``baseline_score`` keeps its meaning, the MRC target sum).
    primary_measure: Measure = Measure.MRC_TARGETS
    primary_baseline: int | Decimal | None = None
    measures: tuple[MeasureSummary, ...] = ()
    schedule: Schedule = Schedule(None, None, False)  # §10
    tailoring: tuple[TailoringAssessment, ...] = ()

    def as_dict(self) -> JSON:
        blocks = self.conduction_blocks
        return {
            "rules_version": self.rules_version,
            "status": _code(self.status),
            "baseline_score": self.baseline_score,
            "target_muscles": [{"muscle": m, "side": s} for m, s in self.target_muscles],
            "initial_response": _code(self.initial_response),
            "beneficial_series": list(self.beneficial_series),
            "n_star": self.n_star,
            "plateau_after_series": self.plateau_after_series,
            "wear_off_intervals": [
                {"after_series": w.after_series, "before_series": w.before_series,
                 "post_score": json_number(shown(w.post_score)),
                 "pre_score": json_number(shown(w.pre_score)), "drop": json_number(w.drop),
                 "post_visit": w.post_visit_id, "pre_visit": w.pre_visit_id}
                for w in self.wear_off_intervals
            ],
            "infusion_dependent": self.infusion_dependent,
            "final": {"grade": _code(self.final.grade), "persistent": self.final.persistent,
                      "label": self.final.label},
            "disability": {
                "measure": self.disability.measure, "before": self.disability.before,
                "after": self.disability.after, "change": self.disability.change,
                "result": _code(self.disability.result),
            },
            "conduction_blocks": block_evolution_dict(blocks),
            "titres_significant": [
                {"antigen": t.antigen, "isotype": t.isotype, "method": t.method,
                 "value": json_number(t.value), "unit": t.unit,
                 "sampled_on": _iso(t.sampled_on)}
                for t in self.titres_significant
            ],
            "titres_before_ivig": [
                {"antigen": a.titre.antigen, "isotype": a.titre.isotype,
                 "method": a.titre.method, "value": json_number(a.titre.value),
                 "unit": a.titre.unit, "sampled_on": _iso(a.titre.sampled_on),
                 "significant": a.significant}
                for a in self.titres_before_ivig
            ],
            "series": [
                {"number": s.number, "pre_score": json_number(shown(s.pre_score)),
                 "post_score": json_number(shown(s.post_score)),
                 "grade": _code(s.grade), "beneficial": s.beneficial,
                 "interval_days": s.interval_days, "interval_flag": s.interval_flag,
                 "route": s.route, "dose_intensity": json_number(s.dose_intensity)}
                for s in self.series
            ],
            "next_series_due": _iso(self.schedule.next_series_due),
            "overdue": self.schedule.overdue,
            "overdue_from": _iso(self.schedule.overdue_from),
            "visits": [
                {"id": v.id, "visited_on": _iso(v.visited_on), "kind": v.kind,
                 "series": v.series, "score": v.score, "grade": _code(v.grade),
                 "scores": _json_numbers(v.scores),
                 "primary_score": json_number(v.primary_score)}
                for v in self.visits
            ],
            "flags": list(self.flags),
            "primary_measure": str(self.primary_measure),
            "primary_baseline": json_number(self.primary_baseline),
            "measures": [
                {"measure": str(m.measure), "baseline": json_number(m.baseline),
                 "latest": json_number(m.latest), "change": json_number(m.change),
                 "result": _code(m.result), "mcid": m.mcid, "responder": m.responder}
                for m in self.measures
            ],
            "tailoring": [
                {"id": t.id, "kind": t.kind, "started_on": _iso(t.started_on),
                 "result": _code(t.result), "relapse_on": _iso(t.relapse_on),
                 "window_ends_on": _iso(t.window_ends_on)}
                for t in self.tailoring
            ],
        }


def block_evolution_dict(blocks: BlockEvolution) -> JSON:
    """The outcome's ``conduction_blocks`` (also answered alone for ``?criteria=``)."""
    return {
        "criteria": blocks.criteria,
        "first_study": blocks.first_study,
        "latest_study": blocks.latest_study,
        "first_studied_on": _iso(blocks.first_studied_on),
        "latest_studied_on": _iso(blocks.latest_studied_on),
        "segments": [
            {"nerve": s.nerve, "side": s.side, "distal_site": s.distal_site,
             "proximal_site": s.proximal_site, "first": _code(s.first),
             "latest": _code(s.latest), "state": _code(s.state)}
            for s in blocks.segments
        ],
    }


def json_number(value: Decimal | float | None) -> int | float | None:
    """A JSON number: integral → int, else float; not a finite number → None."""
    if value is None:
        return None
    if type(value) is int:  # the common case, first (a bool is not: its type is bool)
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = Decimal(value) if not isinstance(value, Decimal) else value
    if not number.is_finite():
        return None
    if number == number.to_integral_value():
        return int(number)
    result = float(number)
    return result if math.isfinite(result) else None


def _json_numbers(values: dict[str, Any]) -> dict[str, int | float | None]:
    """``{key: json_number(value)}``; None and plain ints (most scores) as they are."""
    return {key: value if value is None or type(value) is int else json_number(value)
            for key, value in values.items()}


def _code(value: str | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _fmt_muscles(muscles: Sequence[MuscleSide]) -> str:
    return ", ".join(f"{m} {s}" for m, s in muscles)


def compute_outcome(
    patient: PatientIn,
    *,
    rules: RuleSet,
    thresholds: Sequence[ThresholdIn],
    block_criteria: BlockCriteria,
    today: date | None = None,
) -> Outcome:
    """Every rule of clinical-rules.md applied to one patient, under the rule set,
    titre thresholds and block criteria given (no default: a forgotten one is an error,
    never a silent ``seed-1``). ``today`` judges ``overdue`` (§10; None: not judged) and
    closes the tailoring windows (§10; None: the machine's date)."""
    flags: list[str] = list(numbering_problems(patient.series))
    course = ordered_series(patient.series)
    # §10: §2's per-series rules count ``iv`` series only; visits linked to an ``sc``
    # administration are evaluation points as ``follow_up`` visits are.
    recorded = tuple(sorted(patient.visits, key=visit_order))
    series, visits = iv_course(course, recorded)

    baseline = baseline_visit(visits, series)
    selection = target_muscles(baseline, patient.pinned_targets, rules=rules)
    targets = selection.muscles
    # clinical-rules.md §9: the scale of every measure, each visit scored once on each
    # (``visits`` and ``recorded`` are the same visits but for §10's sc ones) and shared by
    # §2 (mrc_targets), the primary measure's judgement, the tailoring and the summaries.
    scored = recorded if visits is recorded else visits + recorded
    scales: dict[Measure, Scale] = {measure: scored_scale(scale, scored) for measure, scale
              in all_scales(visits, series, targets=targets, rules=rules).items()}
    target_sum = scales[Measure.MRC_TARGETS].score_of
    mrc_flags_from = len(flags)  # §2's flags, kept when the primary measure is mrc_targets
    if baseline is None:
        flags.append("no baseline visit: no visit before series 1")
    elif baseline.kind != "baseline":
        flags.append(f"no baseline visit: visit {baseline.id} ({baseline.visited_on.isoformat()})"
                     " before series 1 used as baseline")
    if baseline is not None and not targets:
        flags.append("no MRC grades at the baseline visit")
    flags.extend(selection.flags)
    # A visit lacks a target grade exactly when it has no target sum (targets given).
    unscored = [v for v, score in zip(visits, visit_values(scales[Measure.MRC_TARGETS], visits),
                                      strict=True) if targets and score is None]
    if unscored:
        flags.append(MISSING_GRADE_FLAG)
    for visit in unscored:
        flags.append(f"visit {visit.id} ({visit.visited_on.isoformat()}) has no score:"
                     f" no grade for {_fmt_muscles(missing_target_grades(visit, targets))}")
    baseline_score = visit_score(baseline, targets)
    if baseline is not None and targets and baseline_score is None:
        flags.append("no baseline score: the baseline visit lacks a target grade")
    if not series:
        flags.append("no series given")


    found = series_visits(visits, series, rules=rules)  # shared by scores and points
    scores = series_scores(visits, series, targets, rules=rules, score_of=target_sum,
                           found=found)
    points = evaluation_points(visits, series, targets, rules=rules, score_of=target_sum,
                               found=found)
    context = _StatusContext(
        series_count=len(series),
        scored_series_count=sum(1 for row in scores if row.post_score is not None),
        on_immunoglobulin=on_immunoglobulin_at(
            patient.prior_treatments, series[0].started_on if series else None),
        baseline_at_ceiling=baseline_at_ceiling(baseline_score, len(targets), rules=rules),
    )
    if baseline_score is not None and series:
        unmeasured = series_without_post_score(scores, series)
        if unmeasured:
            flags.append("series without a post score: "
                         + ", ".join(str(number) for number in unmeasured))
        if context.baseline_at_ceiling:
            flags.append(BASELINE_AT_CEILING_FLAG)
    # clinical-rules.md §9: the primary measure.
    primary = primary_measure(patient, rules=rules)
    # §10: the tailoring episodes, judged by the primary measure, before the status (a
    # tolerated withdrawal is ``off_treatment``).
    episodes_today = today or date.today()
    tailoring = _tailoring(patient, recorded, scales[primary], episodes_today, rules)
    extensions = extension_periods(tailoring, episodes_today)
    context = replace(context, off_treatment=off_treatment(tailoring, course,
                                                           today=episodes_today))
    mrc = _mrc_results(baseline_score, scores, points, targets, visits, context, rules,
                       score_of=target_sum) \
        if baseline_score is not None and series else None
    # The machinery above judges mrc_targets; for any other primary measure it runs again
    # on that measure's scale (its visits, gain, MCID).
    judged = _judgement(primary, scales[primary], visits, series, patient, context, rules)
    primary_baseline: Any = baseline_score
    comparison: Comparison | None = None
    if judged is not None:
        del flags[mrc_flags_from:]
        flags.extend(judged.flags)
        scores, mrc, primary_baseline, comparison = (judged.scores, judged.mrc,
                                                     judged.baseline, judged.comparison)
    if any(grip_one_hand(v) for v in visits):
        flags.append(GRIP_ONE_HAND_FLAG)

    intervals = {row.number: row for row in series_intervals(
        course, rules=rules, extension_periods=extensions)}
    for previous, item in pairwise(course):
        row = intervals[item.number]
        if row.flagged:
            low, high = interval_bounds(previous, rules=rules)
            flags.append(f"series {row.number} given {row.interval_days} days after the"
                         f" previous one (expected {low:g} to {high:g})")

    before, after = prineas_before_after(visits, series)
    return Outcome(
        rules_version=rules.version,
        status=mrc.status if mrc else Status.INSUFFICIENT_DATA,
        baseline_score=baseline_score,
        target_muscles=targets,
        initial_response=mrc.initial if mrc else None,
        beneficial_series=mrc.beneficial if mrc else (),
        n_star=n_star(mrc.beneficial) if mrc else None,
        plateau_after_series=mrc.plateau_after if mrc else None,
        wear_off_intervals=mrc.wear_offs if mrc else (),
        infusion_dependent=infusion_dependent(mrc.wear_offs) if mrc else False,
        final=mrc.final if mrc else FinalResult(None, None, None),
        disability=disability_change(before, after, rules=rules),
        conduction_blocks=block_evolution(patient.studies, criteria=block_criteria),
        titres_significant=significant_titres(patient.titres, thresholds=thresholds),
        titres_before_ivig=titres_before_ivig(patient.titres, course, thresholds=thresholds),
        series=_series_results(scores, mrc, primary_baseline, len(targets), intervals,
                               judged.rules if judged else rules, course, comparison),
        visits=_visit_results(recorded, targets, baseline_score, rules, scales=scales,
                              primary=primary, judged=judged),
        flags=tuple(dict.fromkeys(flags)),
        primary_measure=primary,
        primary_baseline=shown(primary_baseline),
        # ``visits`` are in visit order (sorted as ``recorded``).
        measures=tuple(summary for scale in scales.values()
                       if (summary := ordered_summary(scale, visits, series))),
        schedule=schedule(course, today=today, rules=rules,
                          treatment_stopped=treatment_stopped(tailoring, course, episodes_today),
                          extension_interval_days=extension_interval(course, extensions)),
        tailoring=tailoring,
    )


def iv_course(course: OrderedSeries, visits: tuple[VisitIn, ...]
              ) -> tuple[OrderedSeries, tuple[VisitIn, ...]]:
    """The series and visits §2 reads (§10): the ``iv`` series only, and each visit linked
    to an ``sc`` administration as a ``follow_up`` visit."""
    sc = {s.number for s in course if s.route != "iv"}
    if not sc:
        return course, visits
    return (OrderedSeries(s for s in course if s.number not in sc),
            tuple(replace(v, kind="follow_up", series_number=None)
                  if v.series_number in sc else v for v in visits))


@dataclass(frozen=True)
class _Judgement:
    """§2's machinery run on a §9 measure other than mrc_targets."""

    baseline: Any
    scores: tuple[SeriesScores, ...]
    mrc: _MrcResults | None
    comparison: Comparison
    rules: RuleSet  # the rule set with the measure's MCID as min_step and wear_off_drop
    scale: Scale
    flags: tuple[str, ...]


def _judgement(measure: Measure, scale: Scale, visits: tuple[VisitIn, ...],
               series: Sequence[SeriesIn], patient: PatientIn, context: _StatusContext,
               rules: RuleSet) -> _Judgement | None:
    """Baseline, pre/post, gain, N*, plateau, wear-off, status and final result on the
    primary measure (clinical-rules.md §9); only visits with a value take part."""
    if measure == Measure.MRC_TARGETS:
        return None
    ordered = ordered_series(series)
    valued = tuple(v for v, value in zip(visits, visit_values(scale, visits), strict=True)
                   if value is not None)
    baseline = baseline_visit(valued, ordered)
    base_value = scale.score_of(baseline)
    step_rules = replace(rules, min_step=scale.mcid, wear_off_drop=scale.mcid)
    flags: list[str] = list(numbering_problems(patient.series))
    if base_value is None:
        flags.append(f"no baseline {measure} value: no visit with one before series 1")
    elif baseline is not None and baseline.kind != "baseline":
        flags.append(f"no baseline visit: visit {baseline.id}"
                     f" ({baseline.visited_on.isoformat()}) before series 1 used as baseline"
                     f" for {measure}")
    if not ordered:
        flags.append("no series given")
    found = series_visits(valued, ordered, rules=step_rules)  # shared by scores and points
    scores = series_scores(valued, ordered, (), rules=step_rules, score_of=scale.score_of,
                           found=found)
    points = evaluation_points(valued, ordered, (), rules=step_rules, score_of=scale.score_of,
                               found=found)
    context = replace(
        context,
        scored_series_count=sum(1 for row in scores if row.post_score is not None),
        baseline_at_ceiling=scale.at_ceiling(base_value),
    )
    mrc = None
    if base_value is not None and ordered:
        unmeasured = series_without_post_score(scores, ordered)
        if unmeasured:
            flags.append("series without a post score: "
                         + ", ".join(str(number) for number in unmeasured))
        if context.baseline_at_ceiling:
            flags.append(BASELINE_AT_CEILING_FLAG)
        mrc = _mrc_results(base_value, scores, points, (), valued, context, step_rules,
                           comparison=scale.comparison, score_of=scale.score_of)
    return _Judgement(base_value, scores, mrc, scale.comparison, step_rules, scale,
                      tuple(flags))


def _tailoring(patient: PatientIn, visits: tuple[VisitIn, ...], scale: Scale, today: date,
               rules: RuleSet) -> tuple[TailoringAssessment, ...]:
    """§10's episodes judged by the primary measure (§9): its value at every visit, its
    MCID as the step and its own comparison (positive = better; adjusted INCAT pairwise)."""
    values = [(v.visited_on, value)
              for v, value in zip(visits, visit_values(scale, visits), strict=True)
              if value is not None]
    return assess_tailoring(patient.tailoring, values, step=scale.mcid, today=today,
                            rules=rules, change=scale.comparison.gain)


@dataclass(frozen=True)
class _StatusContext:
    series_count: int
    scored_series_count: int
    on_immunoglobulin: bool
    baseline_at_ceiling: bool
    off_treatment: bool = False  # §10: a tolerated withdrawal, nothing given since


@dataclass(frozen=True)
class _MrcResults:
    status: Status
    initial: Grade | None
    beneficial: tuple[int, ...]
    plateau_after: int | None
    wear_offs: tuple[WearOff, ...]
    final: FinalResult


def _mrc_results(
    baseline_score: int | None,
    scores: tuple[SeriesScores, ...],
    points: tuple[EvaluationPoint, ...],
    targets: tuple[MuscleSide, ...],
    visits: tuple[VisitIn, ...],
    context: _StatusContext,
    rules: RuleSet,
    comparison: Comparison | None = None,
    score_of: ScoreOf | None = None,
) -> _MrcResults:
    assert baseline_score is not None
    beneficial = beneficial_series(baseline_score, scores, rules=rules, comparison=comparison)
    star = n_star(beneficial)
    plateau_after = plateau(baseline_score, points, star, rules=rules, comparison=comparison)
    wear_offs = wear_off_intervals(scores, rules=rules, comparison=comparison)
    final = final_visit(visits)
    return _MrcResults(
        status=status(
            baseline_score=baseline_score,
            series_count=context.series_count,
            scored_series_count=context.scored_series_count,
            points=points,
            beneficial=beneficial,
            plateau_after_series=plateau_after,
            latest_series_number=scores[-1].number if scores else None,
            on_immunoglobulin=context.on_immunoglobulin,
            baseline_at_ceiling=context.baseline_at_ceiling,
            off_treatment=context.off_treatment,
            rules=rules,
            comparison=comparison,
        ),
        initial=initial_response(baseline_score, scores[0].post_score, len(targets),
                                 rules=rules, comparison=comparison),
        beneficial=beneficial,
        plateau_after=plateau_after,
        wear_offs=wear_offs,
        final=final_result(
            baseline_score=baseline_score,
            final_visit_score=(score_of(final) if score_of else visit_score(final, targets)),
            points=points,
            targets=len(targets),
            dependent=infusion_dependent(wear_offs),
            rules=rules,
            comparison=comparison,
        ),
    )


def _series_results(
    scores: tuple[SeriesScores, ...],
    mrc: _MrcResults | None,
    baseline_score: Any,
    targets: int,
    intervals: dict[int, SeriesInterval],
    rules: RuleSet,
    course: OrderedSeries,
    comparison: Comparison | None = None,
) -> tuple[SeriesResult, ...]:
    beneficial = set(mrc.beneficial) if mrc else set()
    by_number = {row.number: row for row in scores}
    intensities = dose_intensities(course)
    return tuple(
        SeriesResult(
            number=item.number,
            pre_score=row.pre_score if row else None,
            post_score=row.post_score if row else None,
            grade=grade_against(row.post_score, baseline_score, targets, rules=rules,
                                comparison=comparison)
            if row else None,
            beneficial=item.number in beneficial,
            interval_days=intervals[item.number].interval_days,
            interval_flag=intervals[item.number].flagged,
            route=item.route,
            dose_intensity=intensities[item.number],
        )
        for item in course
        for row in (by_number.get(item.number),)
    )


def _visit_results(
    visits: tuple[VisitIn, ...],
    targets: tuple[MuscleSide, ...],
    baseline_score: int | None,
    rules: RuleSet,
    *,
    scales: dict[Measure, Scale],
    primary: Measure,
    judged: _Judgement | None,
) -> tuple[VisitResult, ...]:
    # Each scale's value at every visit, read once (the scales scored them once): the
    # visit's ``scores`` are visit_scores(visit, scales).
    target_sums = visit_values(scales[Measure.MRC_TARGETS], visits)
    primaries = visit_values(judged.scale, visits) if judged is not None else target_sums
    codes = [str(measure) for measure in scales]
    # Row by row: each visit's value on every scale, in the scales' order.
    rows = zip(*(shown_all(visit_values(scale, visits)) for scale in scales.values()),
               strict=True)
    results = []
    for visit, score, primary_score, row in zip(visits, target_sums, primaries, rows,
                                                strict=True):
        if judged is None:
            grade = grade_against(score, baseline_score, len(targets), rules=rules)
        else:
            grade = grade_against(primary_score, judged.baseline, 0, rules=judged.rules,
                                  comparison=judged.comparison)
        results.append(VisitResult(
            id=visit.id,
            visited_on=visit.visited_on,
            kind=visit.kind,
            series=visit.series_number,
            score=score,
            grade=grade,
            scores=dict(zip(codes, row, strict=True)),
            primary_score=shown(primary_score),
        ))
    return tuple(results)
