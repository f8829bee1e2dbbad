"""A small CONSTRUCTED cohort of CIDP patients followed with today's measures
(clinical-rules.md §9): not from the source paper, every value invented to show the
measures working. Each patient has a loading dose (2 g/kg over 5 days) then maintenance
series (1 g/kg over 2 days) every 4 weeks, a visit before each series (the trough) and
two weeks into it (the peak), and a final visit; INCAT, I-RODS, grip strength (both hands)
and ONLS at every visit, adjusted INCAT being the primary measure of CIDP (seed-2).

* ``CIDP-001`` responder: adjusted INCAT 5 → 2, I-RODS +17, grip +17 kPa (plateau).
* ``CIDP-002`` non-responder: every measure within one MCID of its baseline.
* ``CIDP-003`` wear-off: better two weeks into each series, back to baseline before the
  next (infusion-dependent: "Persistent improvement if repeated").
* ``CIDP-004`` deteriorating: worse on every measure despite treatment.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from patients.demo.paper import _monthly_series, _patient, _visit

# Per visit: (INCAT arm, INCAT leg, I-RODS centile, grip right kPa, grip left kPa,
# ONLS arm, ONLS leg).
Values = tuple[int, int, int, str, str, int, int]


def _measures(values: Values) -> dict[str, Any]:
    arm, leg, irods, right, left, onls_arm, onls_leg = values
    return {"incat_arm": arm, "incat_leg": leg, "irods_centile": irods,
            "grip_right_kpa": Decimal(right), "grip_left_kpa": Decimal(left),
            "onls_arm": onls_arm, "onls_leg": onls_leg}


def _cidp_visits(series: list[dict], baseline: Values, posts: list[Values],
                 pres: list[Values], final: Values) -> list[dict]:
    """Baseline 7 days before series 1; for series k a ``pre_series`` visit on its first
    day (k ≥ 2, values ``pres[k-2]``) and a ``post_series`` visit 14 days in (``posts``);
    the ``final`` visit 28 days after the last series started."""
    first = series[0]["started_on"]
    visits = [{**_visit(first - timedelta(days=7), "baseline", None), **_measures(baseline)}]
    for item, post in zip(series, posts, strict=True):
        number = item["number"]
        if number >= 2:
            visits.append({**_visit(item["started_on"], "pre_series", number),
                           **_measures(pres[number - 2])})
        visits.append({**_visit(item["started_on"] + timedelta(days=14), "post_series",
                                number), **_measures(post)})
    last = series[-1]["started_on"]
    visits.append({**_visit(last + timedelta(days=28), "final", None), **_measures(final)})
    return visits


def _cidp(index: int, case: int, *, sex: str, age: int, first: date, weight: str,
          baseline: Values, posts: list[Values], pres: list[Values] | None = None,
          final: Values, summary: str) -> dict:
    series = _monthly_series(first, len(posts), pattern=(28,), days={1: 5, 2: 2},
                             dose={1: "2.0", 2: "1.0"}, weight=weight, salt=index)
    return _patient(
        index, f"CIDP-{case:03d}", table="constructed", case=case, sex=sex, age=age,
        diagnosis="cidp", course=2, pattern="demyelinating", series=series,
        visits=_cidp_visits(series, baseline, posts, pres or posts[:-1], final),
        notes=(f"CONSTRUCTED demo patient (not in the source paper): {summary} Loading dose "
               "then maintenance every 4 weeks; INCAT, I-RODS, grip and ONLS invented."),
    )


def _cohort() -> list[dict]:
    return [
        _cidp(30, 1, sex="F", age=58, first=date(2025, 9, 1), weight="68.0",
              baseline=(2, 3, 35, "45.0", "40.0", 2, 2),
              posts=[(2, 2, 42, "52.0", "47.0", 2, 2), (1, 2, 48, "58.0", "54.0", 1, 1),
                     (1, 1, 52, "62.0", "58.0", 1, 1), (1, 1, 52, "62.5", "58.0", 1, 1),
                     (1, 1, 53, "62.0", "57.5", 1, 1)],
              final=(1, 1, 52, "62.0", "58.0", 1, 1),
              summary="responder on every measure (adjusted INCAT 5 → 2, plateau)."),
        _cidp(31, 2, sex="M", age=66, first=date(2025, 9, 8), weight="84.0",
              baseline=(1, 3, 30, "40.0", "38.0", 2, 3),
              posts=[(1, 3, 31, "41.0", "38.5", 2, 3), (0, 3, 29, "39.0", "37.0", 2, 3),
                     (1, 3, 32, "42.0", "39.0", 2, 3), (1, 3, 30, "40.5", "38.0", 2, 3)],
              final=(1, 3, 31, "41.0", "38.0", 2, 3),
              summary="non-responder (every change within one MCID)."),
        _cidp(32, 3, sex="F", age=49, first=date(2025, 9, 15), weight="61.0",
              baseline=(2, 3, 36, "46.0", "42.0", 2, 2),
              posts=[(1, 2, 45, "58.0", "54.0", 1, 1)] * 4,
              pres=[(2, 3, 36, "47.0", "43.0", 2, 2)] * 3,
              final=(1, 2, 45, "58.0", "54.0", 1, 1),
              summary="better after each series, worn off before the next (wear-off)."),
        _cidp(33, 4, sex="M", age=71, first=date(2025, 9, 22), weight="77.0",
              baseline=(1, 2, 50, "50.0", "48.0", 1, 1),
              posts=[(1, 2, 48, "48.0", "46.0", 1, 1), (2, 3, 43, "44.0", "42.0", 2, 2),
                     (2, 4, 38, "40.0", "38.0", 2, 3)],
              final=(2, 4, 37, "39.0", "37.0", 2, 3),
              summary="deteriorating on every measure despite treatment."),
    ]


CIDP_PATIENTS: list[dict] = _cohort()
