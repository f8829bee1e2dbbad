"""Immunoglobulin consumption (clinical-rules.md §10, "Consumption"): grams by diagnosis,
product and centre over a period, patients treated, grams per patient-year and the median
dose intensity — what national immunoglobulin databases ask for, by indication.

Pure: a selector reads the series rows into ``ConsumptionSeries``; every patient counts
(an aggregate, no consent filter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from treatments.rules.course import dose_intensity_finder
from treatments.rules.types import SeriesIn
from treatments.rules.visits import ordered_series

DAYS_PER_YEAR = Decimal("365.25")
COVER_FACTOR = Decimal("1.5")  # a series covers at most 1.5 × its expected interval


@dataclass(frozen=True)
class ConsumptionSeries:
    """One series started in the period, with what the report reads of it."""

    patient: int
    diagnosis: str
    center: str  # the centre's code
    product: str
    started_on: date
    grams: Decimal  # grams_given where recorded, else prescribed_grams
    covered_days: Decimal
    dose_intensity: Decimal | None


def series_grams(*, grams_given: Decimal | None, prescribed_grams: Decimal | None) -> Decimal:
    """What a series consumed: ``grams_given`` where recorded, else ``prescribed_grams``."""
    if grams_given is not None:
        return Decimal(grams_given)
    return Decimal(prescribed_grams or 0)


def covered_days(series: SeriesIn, following: SeriesIn | None) -> Decimal:
    """The days a series covers: min(days to the next series, 1.5 × its expected
    interval); the last one, its expected interval (§10)."""
    expected = Decimal(series.expected_interval_days)
    if following is None:
        return expected
    return min(Decimal((following.started_on - series.started_on).days), COVER_FACTOR * expected)


def course_rows(
    course: Sequence[SeriesIn], *, start: date, end: date,
    describe: Callable[[SeriesIn], tuple[int, str, str, str, Decimal]],
) -> list[ConsumptionSeries]:
    """The rows of one patient's series started in [start, end]; ``course`` is the whole
    course (the next series and the 12 weeks before each may lie outside the period).
    ``describe`` gives a series' (patient, diagnosis, centre, product, grams)."""
    ordered = ordered_series(course)
    intensity = dose_intensity_finder(ordered)
    rows = []
    for index, item in enumerate(ordered):
        if not start <= item.started_on <= end:
            continue
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        patient, diagnosis, center, product, grams = describe(item)
        rows.append(ConsumptionSeries(
            patient=patient, diagnosis=diagnosis, center=center, product=product,
            started_on=item.started_on, grams=grams,
            covered_days=covered_days(item, following),
            dose_intensity=intensity(item),
        ))
    return rows


def _two(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def summary(rows: Iterable[ConsumptionSeries]) -> dict[str, Any]:
    """Grams, series, patients, patient-years, grams per patient-year and the median over
    patients of each one's mean dose intensity (of their series in the rows)."""
    # One pass over the rows (the report sums the whole and each of its groups).
    grams, covered = Decimal(0), Decimal(0)
    count = 0
    patients: set[int] = set()
    intensities: dict[int, list[Decimal]] = {}
    for row in rows:
        count += 1
        grams += row.grams
        covered += row.covered_days
        patients.add(row.patient)
        if row.dose_intensity is not None:
            intensities.setdefault(row.patient, []).append(row.dose_intensity)
    years = covered / DAYS_PER_YEAR
    means = [sum(values, Decimal(0)) / len(values) for values in intensities.values()]
    return {
        "grams": grams.quantize(Decimal("0.1"), ROUND_HALF_UP),
        "series": count,
        "patients": len(patients),
        "patient_years": _two(years),
        "grams_per_patient_year": _two(grams / years) if years else None,
        "median_dose_intensity": _two(Decimal(median(means))) if means else None,
    }


def consumption(rows: Sequence[ConsumptionSeries]) -> dict[str, Any]:
    """The report: the whole and per diagnosis, per product and per centre (each group
    sorted by its code or name)."""

    def grouped(key: Callable[[ConsumptionSeries], str], name: str) -> list[dict[str, Any]]:
        groups: dict[str, list[ConsumptionSeries]] = {}
        for row in rows:
            groups.setdefault(key(row), []).append(row)
        return [{name: value, **summary(items)} for value, items in sorted(groups.items())]

    return {
        "total": summary(rows),
        "by_diagnosis": grouped(lambda r: r.diagnosis, "diagnosis"),
        "by_product": grouped(lambda r: r.product, "product"),
        "by_center": grouped(lambda r: r.center, "center"),
    }


CSV_COLUMNS = ("grams", "series", "patients", "patient_years", "grams_per_patient_year",
               "median_dose_intensity")


def consumption_csv_rows(report: dict[str, Any]) -> list[list[str]]:
    """The report as CSV lines: one per group (``group``, ``value``, then the figures)."""
    def cells(values: dict[str, Any]) -> list[str]:
        return ["" if values[c] is None else str(values[c]) for c in CSV_COLUMNS]

    lines = [["group", "value", *CSV_COLUMNS], ["total", "", *cells(report["total"])]]
    for group, key in (("by_diagnosis", "diagnosis"), ("by_product", "product"),
                       ("by_center", "center")):
        lines += [[key, str(row[key]), *cells(row)] for row in report[group]]
    return lines


def default_period(today: date) -> tuple[date, date]:
    """The year up to ``today`` when the query names no period."""
    return today - timedelta(days=364), today
