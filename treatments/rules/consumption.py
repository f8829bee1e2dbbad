"""Immunoglobulin consumption (clinical-rules.md §10, "Consumption"): grams by diagnosis,
product and centre over a period, patients treated, grams per patient-year and the median
dose intensity — what national immunoglobulin databases ask for, by indication.

Pure: a selector reads the series rows into ``ConsumptionSeries``; every patient counts
(an aggregate, no consent filter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any, NamedTuple, cast

from treatments.rules.course import INTENSITY_WINDOW_DAYS, dose_intensity_finder
from treatments.rules.types import SeriesIn
from treatments.rules.visits import ordered_series

DAYS_PER_YEAR = Decimal("365.25")
COVER_FACTOR = Decimal("1.5")  # a series covers at most 1.5 × its expected interval


class ConsumptionSeries(NamedTuple):
    """One series started in the period, with what the report reads of it (a named tuple:
    a report over a busy year builds one per series, and a frozen dataclass cost several
    times as much to build)."""

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
    last = len(ordered) - 1
    rows = []
    for index, item in enumerate(ordered):
        if not start <= item.started_on <= end:
            continue
        following = ordered[index + 1] if index < last else None
        patient, diagnosis, center, product, grams = describe(item)
        # In field order, not by keyword: a busy year builds 100,000 rows, and keywords
        # made each cost three times as much.
        rows.append(ConsumptionSeries(patient, diagnosis, center, product, item.started_on,
                                      grams, covered_days(item, following), intensity(item)))
    return rows


def needed_days(*, start: date, end: date) -> tuple[date, date]:
    """The days from which ``series_needed`` takes every series started: from 84 days
    before the period (the window of its first days' series) to its end."""
    return start - timedelta(days=INTENSITY_WINDOW_DAYS), end


def series_needed(dates: Sequence[date], *, start: date, end: date) -> list[int]:
    """Which series of a course ``course_rows`` reads for [start, end], given the start
    dates of the course in number order (one series per number): the first (series 1
    decides whether there is a 12-week window at all), those started from 84 days before
    the period to its end (each window: the 84 days before a series of the period) and
    the next after each series of the period (its cover). The others change none of its
    rows: a selector builds only these (a course spans years, a period one)."""
    earliest, _ = needed_days(start=start, end=end)
    return [index for index, day in enumerate(dates)
            if index == 0 or earliest <= day <= end or start <= dates[index - 1] <= end]


def _two(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


# A group's figures are sums over its rows and, per patient, a mean of intensities: each
# is summed once per (patient, diagnosis, product, centre) cell, and a group's figures
# from its cells. Decimal sums are exact (grams, days and intensities have two places,
# far from 28 digits), so adding the cells' sums gives the rows' sums, in any order.
Cell = list  # [grams, covered days, series, sum of known intensities, known intensities]
CellKey = tuple[int, str, str, str]  # (patient, diagnosis, product, centre)


def _cells(rows: Iterable[ConsumptionSeries]) -> dict[CellKey, Cell]:
    cells: dict[CellKey, Cell] = {}
    for patient, diagnosis, center, product, _, grams, covered, intensity in rows:
        key = (patient, diagnosis, product, center)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = [Decimal(0), Decimal(0), 0, Decimal(0), 0]
        cell[0] += grams
        cell[1] += covered
        cell[2] += 1
        if intensity is not None:
            cell[3] += intensity
            cell[4] += 1
    return cells


def _summary(cells: Iterable[tuple[CellKey, Cell]]) -> dict[str, Any]:
    grams, covered = Decimal(0), Decimal(0)
    count = 0
    patients: dict[int, list] = {}  # patient → [sum of known intensities, their number]
    for (patient, *_), (cell_grams, cell_covered, cell_count, known, known_count) in cells:
        grams += cell_grams
        covered += cell_covered
        count += cell_count
        intensity = patients.get(patient)
        if intensity is None:
            intensity = patients[patient] = [Decimal(0), 0]
        intensity[0] += known
        intensity[1] += known_count
    years = covered / DAYS_PER_YEAR
    means = [total / known_count for total, known_count in patients.values() if known_count]
    return {
        "grams": grams.quantize(Decimal("0.1"), ROUND_HALF_UP),
        "series": count,
        "patients": len(patients),
        "patient_years": _two(years),
        "grams_per_patient_year": _two(grams / years) if years else None,
        "median_dose_intensity": _two(Decimal(median(means))) if means else None,
    }


def summary(rows: Iterable[ConsumptionSeries]) -> dict[str, Any]:
    """Grams, series, patients, patient-years, grams per patient-year and the median over
    patients of each one's mean dose intensity (of their series in the rows)."""
    return _summary(_cells(rows).items())


def consumption(rows: Iterable[ConsumptionSeries]) -> dict[str, Any]:
    """The report: the whole and per diagnosis, per product and per centre (each group
    sorted by its code or name)."""
    cells = list(_cells(rows).items())

    def grouped(position: int, name: str) -> list[dict[str, Any]]:
        groups: dict[str, list[tuple[CellKey, Cell]]] = {}
        for cell in cells:
            groups.setdefault(cast("str", cell[0][position]), []).append(cell)
        return [{name: value, **_summary(items)} for value, items in sorted(groups.items())]

    return {
        "total": _summary(cells),
        "by_diagnosis": grouped(1, "diagnosis"),
        "by_product": grouped(2, "product"),
        "by_center": grouped(3, "center"),
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
