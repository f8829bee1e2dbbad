"""The consumption report's rows (clinical-rules.md §10) against the course rules they
restate: each series' dose intensity is ``course.dose_intensity``'s, whatever the course
(out-of-order dates, repeated dates and numbers, unknown doses, any route)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from hypothesis import given, settings
from hypothesis import strategies as st

from treatments.rules import SeriesIn
from treatments.rules.consumption import (
    ConsumptionSeries,
    consumption,
    course_rows,
    covered_days,
    series_needed,
)
from treatments.rules.course import dose_intensity
from treatments.rules.visits import ordered_series

START = date(2020, 1, 1)

series_in = st.builds(
    SeriesIn,
    number=st.integers(1, 30),
    # Whole weeks half the time, so dates often fall on the 12-week window's edges.
    started_on=st.one_of(st.integers(0, 900), st.integers(0, 60).map(lambda w: 7 * w)).map(
        lambda days: START + timedelta(days=days)),
    days=st.just(1),
    route=st.sampled_from(("iv", "sc")),
    expected_interval_days=st.integers(1, 60),
    dose_g_per_kg=st.one_of(st.none(), st.sampled_from(
        [Decimal(v) for v in ("0.05", "0.40", "1.00", "1.25", "2.00", "3.00")])),
)


def _describe(series: SeriesIn) -> tuple[int, str, str, str, Decimal]:
    return 1, "mmn", "c1", "Privigen", Decimal(series.number)


@settings(max_examples=400, deadline=None)
@given(course=st.lists(series_in, max_size=30),
       period=st.tuples(st.integers(0, 900), st.integers(0, 900)))
def test_rows_carry_the_course_rules_dose_intensity_and_cover(course, period):
    start, end = sorted(START + timedelta(days=d) for d in period)
    rows = course_rows(course, start=start, end=end, describe=_describe)
    ordered = ordered_series(course)
    expected = [
        (item.started_on, dose_intensity(course, item.number),
         covered_days(item, ordered[i + 1] if i + 1 < len(ordered) else None))
        for i, item in enumerate(ordered) if start <= item.started_on <= end
    ]
    assert [(r.started_on, r.dose_intensity, r.covered_days) for r in rows] == expected


def test_the_window_excludes_its_first_day_and_the_current_series():
    days = (0, 84, 100, 112, 140, 168)
    course = tuple(SeriesIn(number=n, started_on=START + timedelta(days=d), days=1,
                            dose_g_per_kg=Decimal("2.00")) for n, d in enumerate(days, 1))
    rows = course_rows(course, start=START, end=START + timedelta(days=200),
                       describe=_describe)
    assert [r.dose_intensity for r in rows] == [
        dose_intensity(course, n) for n in range(1, 7)] == [
        None, None, Decimal("3.50"), Decimal("4.00"), Decimal("3.00"), Decimal("2.47")]


def test_summary_sums_each_group_as_the_whole():
    course = tuple(SeriesIn(number=n, started_on=START + timedelta(days=28 * (n - 1)), days=1,
                            dose_g_per_kg=Decimal("2.00")) for n in range(1, 8))
    rows = course_rows(course, start=START, end=START + timedelta(days=400),
                       describe=_describe)
    report = consumption(rows)
    (by_diagnosis,) = report["by_diagnosis"]
    assert report["total"] == {k: v for k, v in by_diagnosis.items() if k != "diagnosis"}
    assert report["total"]["series"] == 7 and report["total"]["patients"] == 1
    assert report["total"]["grams"] == Decimal("28.0")
    assert report["total"]["median_dose_intensity"] == Decimal("2.00")


def _reference_summary(rows) -> dict:
    """The figures of a group, row by row, as §10 states them (the report sums cells)."""
    years = sum((r.covered_days for r in rows), Decimal(0)) / Decimal("365.25")
    grams = sum((r.grams for r in rows), Decimal(0))
    by_patient: dict[int, list[Decimal]] = {}
    for r in rows:
        if r.dose_intensity is not None:
            by_patient.setdefault(r.patient, []).append(r.dose_intensity)
    means = [sum(v, Decimal(0)) / len(v) for v in by_patient.values()]
    two = Decimal("0.01")
    return {
        "grams": grams.quantize(Decimal("0.1"), ROUND_HALF_UP), "series": len(rows),
        "patients": len({r.patient for r in rows}),
        "patient_years": years.quantize(two, ROUND_HALF_UP),
        "grams_per_patient_year": (grams / years).quantize(two, ROUND_HALF_UP) if years else None,
        "median_dose_intensity": (Decimal(median(means)).quantize(two, ROUND_HALF_UP)
                                  if means else None),
    }


consumption_rows = st.lists(st.builds(
    ConsumptionSeries,
    patient=st.integers(1, 6), diagnosis=st.sampled_from(("mmn", "cidp")),
    center=st.sampled_from(("c1", "c2")), product=st.sampled_from(("Privigen", "Kiovig", "")),
    started_on=st.just(START),
    grams=st.decimals(min_value=0, max_value=200, places=2),
    covered_days=st.one_of(st.integers(0, 90).map(Decimal),
                           st.integers(1, 60).map(lambda d: Decimal("1.5") * d)),
    dose_intensity=st.one_of(st.none(), st.decimals(min_value=0, max_value=10, places=2)),
), max_size=40)


@settings(max_examples=300, deadline=None)
@given(rows=consumption_rows)
def test_each_group_is_summed_as_its_rows(rows):
    report = consumption(rows)
    assert report["total"] == _reference_summary(rows)
    for group, key in (("by_diagnosis", "diagnosis"), ("by_product", "product"),
                       ("by_center", "center")):
        values = sorted({getattr(r, key) for r in rows})
        assert [g[key] for g in report[group]] == values
        for g in report[group]:
            assert {k: v for k, v in g.items() if k != key} == _reference_summary(
                [r for r in rows if getattr(r, key) == g[key]])


@settings(max_examples=400, deadline=None)
@given(course=st.lists(series_in, max_size=30),
       period=st.tuples(st.integers(0, 900), st.integers(0, 900)))
def test_the_series_needed_give_the_rows_of_the_whole_course(course, period):
    start, end = sorted(START + timedelta(days=d) for d in period)
    ordered = ordered_series(course)
    needed = [ordered[i] for i in series_needed([s.started_on for s in ordered],
                                                start=start, end=end)]
    assert course_rows(needed, start=start, end=end, describe=_describe) == course_rows(
        course, start=start, end=end, describe=_describe)
