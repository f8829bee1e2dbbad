"""A patient's computed outcome (clinical-rules.md §1-§6; api.md "Outcome")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from treatments.rules.blocks import BlockEvolution, block_evolution
from treatments.rules.disability import (
    DisabilityChange,
    disability_change,
    prineas_before_after,
)
from treatments.rules.mrc import (
    EvaluationPoint,
    FinalResult,
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
from treatments.rules.tailoring import TailoringAssessment, assess_tailoring, off_treatment
from treatments.rules.titres import (
    AssessedTitre,
    significant_titres,
    titres_before_ivig,
)
from treatments.rules.types import (
    BlockCriteria,
    Grade,
    MuscleSide,
    PatientIn,
    RuleSet,
    Status,
    ThresholdIn,
    TitreIn,
    VisitIn,
)
from treatments.rules.visits import (
    baseline_visit,
    final_visit,
    ordered_series,
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


@dataclass(frozen=True)
class SeriesResult:
    number: int
    pre_score: int | None
    post_score: int | None
    grade: Grade | None
    beneficial: bool
    interval_days: int | None
    interval_flag: bool


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
                 "post_score": w.post_score, "pre_score": w.pre_score, "drop": w.drop,
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
                {"number": s.number, "pre_score": s.pre_score, "post_score": s.post_score,
                 "grade": _code(s.grade), "beneficial": s.beneficial,
                 "interval_days": s.interval_days, "interval_flag": s.interval_flag}
                for s in self.series
            ],
            "visits": [
                {"id": v.id, "visited_on": _iso(v.visited_on), "kind": v.kind,
                 "series": v.series, "score": v.score, "grade": _code(v.grade)}
                for v in self.visits
            ],
            "flags": list(self.flags),
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
    never a silent ``seed-1``). ``today`` (default: the machine's date) closes the
    tailoring windows (§10)."""
    today = today or date.today()
    flags: list[str] = list(numbering_problems(patient.series))
    visits = tuple(sorted(patient.visits, key=visit_order))
    series = ordered_series(patient.series)

    baseline = baseline_visit(visits, series)
    selection = target_muscles(baseline, patient.pinned_targets, rules=rules)
    targets = selection.muscles
    if baseline is None:
        flags.append("no baseline visit: no visit before series 1")
    elif baseline.kind != "baseline":
        flags.append(f"no baseline visit: visit {baseline.id} ({baseline.visited_on.isoformat()})"
                     " before series 1 used as baseline")
    if baseline is not None and not targets:
        flags.append("no MRC grades at the baseline visit")
    flags.extend(selection.flags)
    unscored = [v for v in visits if targets and missing_target_grades(v, targets)]
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

    scores = series_scores(visits, series, targets, rules=rules)
    points = evaluation_points(visits, series, targets, rules=rules)
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
    tailoring = _tailoring(patient, visits, targets, today, rules)
    context = replace(context, off_treatment=off_treatment(tailoring, series, today=today))
    mrc = _mrc_results(baseline_score, scores, points, targets, visits, context, rules) \
        if baseline_score is not None and series else None

    intervals = {row.number: row for row in series_intervals(series, rules=rules)}
    for row in intervals.values():
        if row.flagged:
            flags.append(f"series {row.number} given {row.interval_days} days after the"
                         f" previous one (expected {rules.interval_min_days} to"
                         f" {rules.interval_max_days})")

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
        titres_before_ivig=titres_before_ivig(patient.titres, series, thresholds=thresholds),
        series=_series_results(scores, mrc, baseline_score, len(targets), intervals, rules),
        visits=_visit_results(visits, targets, baseline_score, rules),
        flags=tuple(dict.fromkeys(flags)),
        tailoring=tailoring,
    )


def _tailoring(patient: PatientIn, visits: tuple[VisitIn, ...], targets: tuple[MuscleSide, ...],
               today: date, rules: RuleSet) -> tuple[TailoringAssessment, ...]:
    """§10's episodes judged by the primary measure. Until §9's primary measure drives
    §2, that is the MRC target score (higher is better, step ``min_step``): exactly MMN's
    primary measure (``mrc_targets``)."""
    values = [(v.visited_on, score) for v in visits
              if (score := visit_score(v, targets)) is not None]
    return assess_tailoring(patient.tailoring, values, step=rules.min_step, today=today,
                            rules=rules)


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
) -> _MrcResults:
    assert baseline_score is not None
    beneficial = beneficial_series(baseline_score, scores, rules=rules)
    star = n_star(beneficial)
    plateau_after = plateau(baseline_score, points, star, rules=rules)
    wear_offs = wear_off_intervals(scores, rules=rules)
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
        ),
        initial=initial_response(baseline_score, scores[0].post_score, len(targets),
                                 rules=rules),
        beneficial=beneficial,
        plateau_after=plateau_after,
        wear_offs=wear_offs,
        final=final_result(
            baseline_score=baseline_score,
            final_visit_score=visit_score(final, targets),
            points=points,
            targets=len(targets),
            dependent=infusion_dependent(wear_offs),
            rules=rules,
        ),
    )


def _series_results(
    scores: tuple[SeriesScores, ...],
    mrc: _MrcResults | None,
    baseline_score: int | None,
    targets: int,
    intervals: dict[int, SeriesInterval],
    rules: RuleSet,
) -> tuple[SeriesResult, ...]:
    beneficial = set(mrc.beneficial) if mrc else set()
    return tuple(
        SeriesResult(
            number=row.number,
            pre_score=row.pre_score,
            post_score=row.post_score,
            grade=grade_against(row.post_score, baseline_score, targets, rules=rules),
            beneficial=row.number in beneficial,
            interval_days=intervals[row.number].interval_days,
            interval_flag=intervals[row.number].flagged,
        )
        for row in scores
    )


def _visit_results(
    visits: tuple[VisitIn, ...],
    targets: tuple[MuscleSide, ...],
    baseline_score: int | None,
    rules: RuleSet,
) -> tuple[VisitResult, ...]:
    results = []
    for visit in visits:
        score = visit_score(visit, targets)
        results.append(VisitResult(
            id=visit.id,
            visited_on=visit.visited_on,
            kind=visit.kind,
            series=visit.series_number,
            score=score,
            grade=grade_against(score, baseline_score, len(targets), rules=rules),
        ))
    return tuple(results)


