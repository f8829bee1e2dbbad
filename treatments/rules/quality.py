"""Data-quality findings (clinical-rules.md §11 "Queries").

After each recompute the registry raises a query for every finding below and closes it
when the data no longer show it. A finding names its rule, its record and the VALUES it
found (``values``, the query's fingerprint): the same rule on the same record with other
values is another query, so a query a data manager closed as confirmed ("the data are
right") stays closed exactly while those values stay the same.

Judgements the outcome already made are read from it, never made twice: the target
muscles, each series' post score and the §6 interval flag (so a change of the interval
rule — §10's expected interval, a change of route — is followed here as it is there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from treatments.rules.mrc import missing_target_grades
from treatments.rules.outcome import Outcome, json_number
from treatments.rules.titres import titre_key
from treatments.rules.types import MuscleSide, PatientIn, SeriesIn, ThresholdIn
from treatments.rules.visits import ordered_series, visit_order

TARGET_GRADE_MISSING = "target_grade_missing"
MRC_JUMP = "mrc_jump"
WEIGHT_CHANGE = "weight_change"
INTERVAL = "interval"
POST_SCORE_MISSING = "post_score_missing"
TITRE_THRESHOLD_MISSING = "titre_threshold_missing"
RULES = (TARGET_GRADE_MISSING, MRC_JUMP, WEIGHT_CHANGE, INTERVAL, POST_SCORE_MISSING,
         TITRE_THRESHOLD_MISSING)  # each a code of ``catalogues.QUERY_RULES``

# §11: a muscle-side's grade changing by 3 or more between two consecutive visits that
# graded it; a body weight more than 10 % away from the previous series'.
MRC_JUMP_MIN = 3
WEIGHT_CHANGE_MAX = Decimal("0.10")

# The records a finding names: model labels, as the registry's models spell them.
VISIT, SERIES, TITRE = "patients.visit", "treatments.series", "patients.titre"


@dataclass(frozen=True)
class Finding:
    rule: str  # one of ``RULES``
    model: str  # the record's model label (``VISIT``, ``SERIES``, ``TITRE``)
    record_id: int
    message: str
    values: dict[str, Any]  # JSON-ready: what was found (the query's fingerprint)


def quality_findings(patient: PatientIn, outcome: Outcome, *,
                     thresholds: Sequence[ThresholdIn]) -> tuple[Finding, ...]:
    """Every §11 finding of one patient, from the rules' inputs and the computed outcome;
    ``thresholds`` are the titre thresholds that apply to the patient's centre (§5)."""
    return (
        *target_grades_missing(patient, outcome),
        *mrc_jumps(patient),
        *weight_changes(patient),
        *interval_findings(patient, outcome),
        *post_scores_missing(patient, outcome),
        *titre_thresholds_missing(patient, thresholds=thresholds),
    )


def _muscles(muscles: Sequence[MuscleSide]) -> str:
    return ", ".join(f"{m} {s}" for m, s in muscles)


def target_grades_missing(patient: PatientIn, outcome: Outcome) -> tuple[Finding, ...]:
    """A visit lacks a grade for a target muscle (the outcome's target muscles, §2)."""
    targets = outcome.target_muscles
    findings = []
    for visit in sorted(patient.visits, key=visit_order):
        missing = missing_target_grades(visit, targets) if targets else ()
        if missing:
            findings.append(Finding(
                TARGET_GRADE_MISSING, VISIT, visit.id,
                f"Visit of {visit.visited_on.isoformat()} ({visit.kind}) has no grade for the"
                f" target muscle(s) {_muscles(missing)}.",
                {"missing": [[m, s] for m, s in missing]},
            ))
    return tuple(findings)


def mrc_jumps(patient: PatientIn) -> tuple[Finding, ...]:
    """A muscle-side's grade changes by ``MRC_JUMP_MIN`` or more between two consecutive
    visits that graded it (visits in date order; any muscle, not only the targets). The
    finding names the later visit; a visit's findings are in muscle-side order."""
    findings = []
    # muscle-side → the last visit that graded it: its grade and its date
    last_grade: dict[MuscleSide, int] = {}
    last_on: dict[MuscleSide, str] = {}
    get = last_grade.get
    for visit in sorted(patient.visits, key=visit_order):
        # A grid holds each muscle-side once, so the order the grades are looked at in
        # changes nothing but the order of the visit's findings: the few jumps are sorted,
        # not the ~15 grades of every visit (the check runs after every recompute).
        # A muscle-side not graded before is compared with its own grade: no jump.
        jumps = [(muscle_side, last_grade[muscle_side], last_on[muscle_side], grade)
                 for muscle_side, grade in visit.mrc.items()
                 if not -MRC_JUMP_MIN < grade - get(muscle_side, grade) < MRC_JUMP_MIN]
        if visit.mrc:
            visited_on = visit.visited_on.isoformat()  # once per visit, not per grade
            last_grade.update(visit.mrc)
            last_on.update(dict.fromkeys(visit.mrc, visited_on))
        for (muscle, side), previous, previous_on, grade in sorted(jumps):
            findings.append(Finding(
                MRC_JUMP, VISIT, visit.id,
                f"{muscle} {side}: grade {previous} on {previous_on}, {grade} on"
                f" {visited_on} (a change of {grade - previous:+d}).",
                {"muscle": muscle, "side": side, "previous_visited_on": previous_on,
                 "previous_grade": previous, "grade": grade},
            ))
    return tuple(findings)


def weight_changes(patient: PatientIn) -> tuple[Finding, ...]:
    """|w − w_prev| / w_prev > 10 % from the previous series (in number order); a series
    or its previous one without a weight is not compared."""
    findings = []
    for previous, item in pairwise(ordered_series(patient.series)):
        if item.id is None or previous.weight_kg is None or item.weight_kg is None \
                or Decimal(previous.weight_kg) <= 0:
            continue
        before, after = Decimal(previous.weight_kg), Decimal(item.weight_kg)
        if abs(after - before) / before > WEIGHT_CHANGE_MAX:
            change = (after - before) / before * 100
            findings.append(Finding(
                WEIGHT_CHANGE, SERIES, item.id,
                f"Series {item.number}: weight {after} kg, {change:+.0f} % from series"
                f" {previous.number} ({before} kg).",
                {"previous_series": previous.number, "previous_weight_kg": json_number(before),
                 "weight_kg": json_number(after)},
            ))
    return tuple(findings)


def _series_by_number(patient: PatientIn) -> dict[int, SeriesIn]:
    return {s.number: s for s in ordered_series(patient.series)}


def interval_findings(patient: PatientIn, outcome: Outcome) -> tuple[Finding, ...]:
    """The §6 interval flag, as the outcome's series results carry it."""
    by_number = _series_by_number(patient)
    findings = []
    for row in outcome.series:
        item = by_number.get(row.number)
        if not row.interval_flag or item is None or item.id is None:
            continue
        findings.append(Finding(
            INTERVAL, SERIES, item.id,
            f"Series {row.number} was given {row.interval_days} days after the previous one"
            " (interval flagged, clinical-rules.md §6).",
            {"interval_days": row.interval_days},
        ))
    return tuple(findings)


def _route(series: SeriesIn) -> str:
    return series.route  # §10


def _regimen(series: SeriesIn) -> str:
    return series.regimen


def post_scores_missing(patient: PatientIn, outcome: Outcome) -> tuple[Finding, ...]:
    """A given ``loading`` IV series without a post score (the outcome's, §1-§2) while the
    next series has been given. Not raised without target muscles: then no visit has a
    score and the missing baseline is the finding (the outcome's flags say so)."""
    if not outcome.target_muscles:
        return ()
    ordered = ordered_series(patient.series)
    following = {a.number: b for a, b in pairwise(ordered)}
    by_number = _series_by_number(patient)
    findings = []
    for row in outcome.series:
        item = by_number.get(row.number)
        after = following.get(row.number)
        if (item is None or item.id is None or row.post_score is not None
                or item.status != "given" or _route(item) != "iv"
                or _regimen(item) != "loading" or after is None or after.status != "given"):
            continue
        findings.append(Finding(
            POST_SCORE_MISSING, SERIES, item.id,
            f"Loading series {row.number} has no post score, and series {after.number} has"
            " been given.",
            {"next_series": after.number},
        ))
    return tuple(findings)


def titre_thresholds_missing(patient: PatientIn, *, thresholds: Sequence[ThresholdIn]
                             ) -> tuple[Finding, ...]:
    """A titre whose antigen, isotype, method and unit have no threshold among those that
    apply to the patient's centre (§5: its significance is then unknown)."""
    known = {titre_key(t) for t in thresholds}
    findings = []
    for titre in patient.titres:
        if titre.id is None or titre_key(titre) in known:
            continue
        findings.append(Finding(
            TITRE_THRESHOLD_MISSING, TITRE, titre.id,
            f"No threshold for {titre.isotype} anti-{titre.antigen} by {titre.method} in"
            f" {titre.unit} (titre of {titre.sampled_on.isoformat()}): its significance is"
            " unknown.",
            {"antigen": titre.antigen, "isotype": titre.isotype, "method": titre.method,
             "unit": titre.unit},
        ))
    return tuple(findings)
