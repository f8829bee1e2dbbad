"""Cohort reports: live reproductions of the paper's tables (clinical-rules.md §8).

Selectors filter the cohort (centre, diagnosis, consent) and build the input
rows; these builders only shape rows and count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import catalogues as cat
from catalogues import NERVES, PRIOR_TREATMENTS, label
from treatments.rules.outcome import json_number
from treatments.rules.types import DisabilityResult, Grade

JSON = dict[str, Any]
GOOD_FINAL_GRADES = (Grade.DRAMATIC, Grade.MILD, Grade.SLIGHT)
SIDE_ORDER = {"R": 0, "L": 1}
NERVE_ORDER = {code: i for i, (code, _) in enumerate(NERVES)}


@dataclass(frozen=True)
class Table1Input:
    case: str
    sex: str
    age_at_first_series: int | None
    course_years: int | None  # onset to first series
    affected_nerves: tuple[tuple[str, str], ...]  # (side, nerve)
    series_count: int
    outcome: Mapping[str, Any]  # Outcome.as_dict(), or the keys of it the table reads
    gm1_titre_before_ivig: Decimal | int | float | None
    gm1_significant: bool | None
    patient: int | None = None  # the registry id, for links and API clients
    # Conduction blocks at the first and latest nerve study (§4) under the report's
    # criteria set: the stored outcome's, or ``?criteria=``'s for this answer.
    blocks_first: int | None = None
    blocks_latest: int | None = None


@dataclass(frozen=True)
class Table2Input:
    case: str
    sex: str
    age_at_first_series: int | None
    course_years: int | None
    prior_treatments: tuple[str, ...]  # kinds
    antibody_activity: tuple[str, ...]  # IgM antigens with a significant titre
    igm_serum_level_g_l: Decimal | int | float | None
    series_count: int
    prineas_before: int | None
    prineas_after: int | None
    # The stored outcome's disability judgement (§3), read, never recomputed here: the
    # outcome knows which rule set it was computed with.
    prineas_change: int | None
    result: str | None
    stopped_for_adverse_event: bool
    patient: int | None = None  # the registry id, for links and API clients


def gm1_titre_before_ivig(outcome: Mapping[str, Any]
                          ) -> tuple[int | float | None, bool | None]:
    """The IgM anti-GM1 titre before IVIg of an outcome dict, ELISA preferred, then
    reciprocal-dilution units (Table 1's last column)."""
    candidates = [
        t for t in outcome.get("titres_before_ivig", [])
        if t["antigen"] == "gm1" and t["isotype"] == "IgM"
    ]
    if not candidates:
        return (None, None)
    best = min(candidates, key=lambda t: (t["method"] != "elisa", t["unit"] != "dilution",
                                          t["method"], t["unit"]))
    return (best["value"], best["significant"])


def _nerve_order(side_nerve: tuple[str, str]) -> tuple[int, str, int, str]:
    side, nerve = side_nerve
    return SIDE_ORDER.get(side, 2), side, NERVE_ORDER.get(nerve, 99), nerve


def _distribution(nerves: Sequence[tuple[str, str]]) -> str:
    """"R median + ulnar, L peroneal": nerves grouped by side, as in Table 1."""
    return _distribution_of(sorted(set(nerves), key=_nerve_order))


def _distribution_of(ordered: Sequence[tuple[str, str]]) -> str:
    """``_distribution`` of nerves already unique and in ``_nerve_order``."""
    by_side: dict[str, list[str]] = {}
    for side, nerve in ordered:
        by_side.setdefault(side, []).append(nerve)
    return ", ".join(f"{side} {' + '.join(names)}" for side, names in by_side.items())


def _fraction(count: int, total: int) -> str:
    return f"{count}/{total}"


def table1(rows: Sequence[Table1Input]) -> JSON:
    """Table 1 (MMN) rows and its three summary lines (clinical-rules.md §8)."""
    ordered = sorted(rows, key=lambda r: r.case)
    out_rows = []
    # Each set of affected nerves ordered and written out once: a cohort has far fewer
    # distinct sets than patients.
    shown: dict[tuple[tuple[str, str], ...], tuple[list[tuple[str, str]], str]] = {}
    for row in ordered:
        final = row.outcome.get("final") or {}
        known = shown.get(row.affected_nerves)
        if known is None:
            unique = sorted(set(row.affected_nerves), key=_nerve_order)
            known = shown[row.affected_nerves] = unique, _distribution_of(unique)
        nerves, distribution = known
        out_rows.append({
            "patient": row.patient,
            "case": row.case,
            "sex": row.sex,
            "age": row.age_at_first_series,
            "course_years": row.course_years,
            "affected_nerves": [{"side": side, "nerve": nerve} for side, nerve in nerves],
            "distribution": distribution,
            "series_count": row.series_count,
            "first_response": row.outcome.get("initial_response"),
            "n_star": row.outcome.get("n_star"),
            "final_grade": final.get("grade"),
            "final_result": final.get("label"),
            "gm1_titre_before_ivig": json_number(row.gm1_titre_before_ivig),
            "gm1_significant": row.gm1_significant,
            "conduction_blocks_first": row.blocks_first,
            "conduction_blocks_latest": row.blocks_latest,
        })
    total = len(out_rows)
    dramatic = sum(1 for r in out_rows if r["first_response"] == Grade.DRAMATIC)
    good = sum(1 for r in out_rows if r["final_grade"] in GOOD_FINAL_GRADES)
    gm1 = sum(1 for r in out_rows if r["gm1_significant"] is True)
    return {
        "table": "table1",
        "rows": out_rows,
        "counts": {"cases": total, "initial_dramatic": dramatic, "final_good": good,
                   "gm1_significant": gm1},
        "summary": [
            f"initial response dramatic in {_fraction(dramatic, total)}",
            f"final good result in {_fraction(good, total)}",
            f"significantly high anti-GM1 in {_fraction(gm1, total)}",
        ],
    }


TABLE2_GROUPS = (
    ("previously_treated", "previously treated"),
    ("not_treated", "not treated before IVIg"),
    ("stopped", "stopped for an adverse event"),
)


def table2_group(row: Table2Input) -> str:
    """Stopped for an adverse event first: counted apart, never as a non-responder."""
    if row.stopped_for_adverse_event:
        return "stopped"
    return "previously_treated" if row.prior_treatments else "not_treated"


TREATMENT_ORDER = {code: i for i, (code, _) in enumerate(PRIOR_TREATMENTS)}


def _treatments(kinds: Sequence[str]) -> list[str]:
    return sorted(set(kinds), key=lambda k: (TREATMENT_ORDER.get(k, len(TREATMENT_ORDER)), k))


def table2(rows: Sequence[Table2Input]) -> JSON:
    """Table 2 (IgM polyneuropathy) grouped rows and per-group summaries
    (clinical-rules.md §8). Each row's result is its stored outcome's."""
    groups: dict[str, list[JSON]] = {code: [] for code, _ in TABLE2_GROUPS}
    for row in sorted(rows, key=lambda r: r.case):
        group = table2_group(row)
        groups[group].append({
            "patient": row.patient,
            "case": row.case,
            "group": group,
            "sex": row.sex,
            "age": row.age_at_first_series,
            "course_years": row.course_years,
            "prior_treatments": _treatments(row.prior_treatments),
            "prior_treatments_label": " + ".join(
                label(PRIOR_TREATMENTS, k) for k in _treatments(row.prior_treatments)),
            "antibody_activity": sorted(set(row.antibody_activity)),
            "igm_serum_level_g_l": json_number(row.igm_serum_level_g_l),
            "series_count": row.series_count,
            "prineas_before": row.prineas_before,
            "prineas_after": row.prineas_after,
            "prineas_change": row.prineas_change,
            "result": row.result,
        })
    out_groups = []
    summary = []
    for code, name in TABLE2_GROUPS:
        members = groups[code]
        if code == "stopped":
            line = f"{len(members)} stopped IVIg for an adverse event"
            counts = {"cases": len(members)}
        else:
            counts = {"cases": len(members)} | {
                str(result): sum(1 for r in members if r["result"] == result)
                for result in DisabilityResult
            }
            not_assessable = len(members) - sum(counts[str(r)] for r in DisabilityResult)
            total = len(members)
            line = (f"{_fraction(counts['improved'], total)} improved one grade, "
                    f"{_fraction(counts['stable'], total)} stable, "
                    f"{_fraction(counts['deteriorated'], total)} deteriorated")
            if not_assessable:
                line += f", {_fraction(not_assessable, total)} without scores"
        out_groups.append({"group": code, "name": name, "rows": members, "counts": counts,
                           "summary": line})
        summary.append(f"{name}: {line}")
    return {
        "table": "table2",
        "groups": out_groups,
        "rows": [row for group in out_groups for row in group["rows"]],
        "summary": summary,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    return str(value)


TABLE1_CSV = ("case", "sex", "age", "course_years", "distribution", "series_count",
              "first_response", "n_star", "final_result", "gm1_titre_before_ivig",
              "gm1_significant", "conduction_blocks_first", "conduction_blocks_latest")
TABLE2_CSV = ("group", "case", "sex", "age", "course_years", "prior_treatments",
              "antibody_activity", "igm_serum_level_g_l", "series_count", "prineas_before",
              "prineas_after", "result")


def table1_csv_rows(report: Mapping[str, Any]) -> list[list[str]]:
    """Header then one line per case, for streaming as CSV."""
    return [list(TABLE1_CSV), *([_cell(r[c]) for c in TABLE1_CSV] for r in report["rows"])]


def table2_csv_rows(report: Mapping[str, Any]) -> list[list[str]]:
    """Header then one line per case, grouped, for streaming as CSV."""
    return [list(TABLE2_CSV), *([_cell(r[c]) for c in TABLE2_CSV] for r in report["rows"])]


MEASURES_CSV = ("diagnosis", "measure", "patients", "responders", "deteriorated",
                "responders_label", "deteriorated_label")


def measures_table(rows: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> dict[str, Any]:
    """The measures report (clinical-rules.md §9, api.md ``reports/measures/``): per
    diagnosis and §9 measure, the patients with a baseline and a later value (a change),
    the responders x/n and the deteriorated y/n, from each patient's stored ``measures``.
    ``rows``: (diagnosis, the outcome's measures) per patient."""
    counts: dict[tuple[str, str], list[int]] = {}
    for diagnosis, measures in rows:
        for item in measures:
            if item.get("change") is None:
                continue
            count = counts.setdefault((diagnosis, item["measure"]), [0, 0, 0])
            count[0] += 1
            count[1] += bool(item.get("responder"))
            count[2] += item.get("result") == "deteriorated"
    order = {code: i for i, code in enumerate(cat.codes(cat.DIAGNOSES))}
    measure_order = {code: i for i, code in enumerate(cat.codes(cat.MEASURES))}
    out: list[dict[str, Any]] = []
    for (diagnosis, measure), (n, responders, deteriorated) in sorted(
            counts.items(), key=lambda kv: (order.get(kv[0][0], 99),
                                            measure_order.get(kv[0][1], 99))):
        out.append({"diagnosis": diagnosis, "measure": measure, "patients": n,
                    "responders": responders, "deteriorated": deteriorated,
                    "responders_label": f"{responders}/{n}",
                    "deteriorated_label": f"{deteriorated}/{n}"})
    return {"table": "measures", "rows": out, "summary": [
        f"{cat.label(cat.DIAGNOSES, r['diagnosis'])}, {cat.label(cat.MEASURES, r['measure'])}:"
        f" responders {r['responders_label']}, deteriorated {r['deteriorated_label']}"
        for r in out]}


def measures_csv_rows(report: Mapping[str, Any]) -> list[list[str]]:
    return [list(MEASURES_CSV), *([_cell(r[c]) for c in MEASURES_CSV] for r in report["rows"])]


def as_csv_rows(report: Mapping[str, Any]) -> list[list[str]]:
    """CSV lines of a ``table1``, ``table2`` or ``measures`` report."""
    if report.get("table") == "measures":
        return measures_csv_rows(report)
    if report.get("table") == "table1":
        return table1_csv_rows(report)
    if report.get("table") == "table2":
        return table2_csv_rows(report)
    raise ValueError("not a table1 or table2 report")
