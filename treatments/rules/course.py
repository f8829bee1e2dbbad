"""The treatment course (clinical-rules.md §10): route, dosing weight, grams, dose
intensity, the interval flag and the schedule.

Pure: the services store what ``series_dosing`` computes when a series is saved (dosing
values are records, not judgements: clinical-rules.md preamble); the outcome reads the
rest.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from treatments.rules.types import RuleSet, SeriesIn
from treatments.rules.visits import ordered_series

DEFAULT_INTERVAL_DAYS = {"iv": 28, "sc": 7}
DOSE_BOUNDS = {"iv": (Decimal("0.1"), Decimal("3.0")), "sc": (Decimal("0.05"), Decimal("3.0"))}

DEVINE_BASE_KG = {"M": Decimal("50"), "F": Decimal("45.5")}
DEVINE_KG_PER_CM = Decimal("0.9055")
DEVINE_FROM_CM = Decimal("152.4")
ADJUSTED_FRACTION = Decimal("0.4")
ADULT_AGE = 18
INTENSITY_WINDOW_DAYS = 84  # 12 weeks
INTENSITY_PER_DAYS = 28  # g/kg per 4 weeks

KG_STEP = Decimal("0.1")
GRAMS_STEP = Decimal("0.1")
INTENSITY_STEP = Decimal("0.01")


class DosingError(ValueError):
    """Input the dosing rules cannot use; ``field`` names the input to correct."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def default_interval_days(route: str) -> int:
    """The expected interval to the next series when none is given: 28 days ``iv``, 7
    ``sc`` (§10)."""
    return DEFAULT_INTERVAL_DAYS.get(route, DEFAULT_INTERVAL_DAYS["iv"])


def dose_bounds(route: str) -> tuple[Decimal, Decimal]:
    """The g/kg a series of ``route`` may be dosed at (§10: 0.05–3.0 ``sc``, 0.1–3.0 ``iv``)."""
    return DOSE_BOUNDS.get(route, DOSE_BOUNDS["iv"])


def ideal_weight_kg(*, sex: str, height_cm: Decimal) -> Decimal:
    """Devine ideal body weight: 50 kg (men) / 45.5 kg (women) + 0.9055 kg per cm above
    152.4 cm (§10). Not defined at or below 152.4 cm: the caller checks first."""
    return DEVINE_BASE_KG[sex] + DEVINE_KG_PER_CM * (Decimal(height_cm) - DEVINE_FROM_CM)


def dosing_weight_kg(
    *, basis: str, weight_kg: Decimal, height_cm: Decimal | None, sex: str | None,
    age_years: int | None,
) -> Decimal:
    """The weight a series is dosed on (§10), to 0.1 kg, never above the actual weight.

    ``actual`` is the weight; ``ideal`` Devine's; ``adjusted`` ideal + 0.4 × (actual −
    ideal). ``ideal`` and ``adjusted`` need the height and sex (``DosingError`` naming
    ``height_cm``) and are not defined at heights up to 152.4 cm or under 18 years at the
    series (naming ``dose_basis``: use the actual weight).
    """
    weight = Decimal(weight_kg)
    if basis == "actual":
        return weight.quantize(KG_STEP, ROUND_HALF_UP)
    if height_cm is None:
        raise DosingError("height_cm", f"A dose on {basis} weight needs the height.")
    if sex not in DEVINE_BASE_KG:
        raise DosingError("height_cm", f"A dose on {basis} weight needs the patient's sex.")
    if Decimal(height_cm) <= DEVINE_FROM_CM:
        raise DosingError("dose_basis", (
            f"Ideal weight is not defined at {height_cm} cm (only above {DEVINE_FROM_CM} cm):"
            " dose on the actual weight."))
    if age_years is not None and age_years < ADULT_AGE:
        raise DosingError("dose_basis", (
            f"Ideal weight is not defined under {ADULT_AGE} years (the patient is"
            f" {age_years} at this series): dose on the actual weight."))
    ideal = ideal_weight_kg(sex=sex, height_cm=Decimal(height_cm))
    if basis == "ideal":
        formula = ideal
    elif basis == "adjusted":
        formula = ideal + ADJUSTED_FRACTION * (weight - ideal)
    else:
        raise DosingError("dose_basis", f"Unknown dose basis {basis!r}.")
    return min(formula, weight).quantize(KG_STEP, ROUND_HALF_UP)


def course_total_grams(*, dose_g_per_kg: Decimal, dosing_weight_kg: Decimal) -> Decimal:
    """Dose × dosing weight, to 0.1 g: not rounded to vials (§10 ``total_grams``)."""
    return (Decimal(dose_g_per_kg) * Decimal(dosing_weight_kg)).quantize(GRAMS_STEP,
                                                                          ROUND_HALF_UP)


def prescribed_grams(*, dose_g_per_kg: Decimal, dosing_weight_kg: Decimal, route: str,
                     rules: RuleSet) -> Decimal:
    """Dose × dosing weight rounded half up to the rule set's ``round_grams`` of the route
    (5 g ``iv``, 1 g ``sc``), never below one step (§10). Rounded from the exact product,
    never from the 0.1 g total (no double rounding)."""
    step = Decimal(rules.round_grams(route))
    exact = Decimal(dose_g_per_kg) * Decimal(dosing_weight_kg)
    steps = (exact / step).quantize(Decimal(1), ROUND_HALF_UP)
    return max(steps, Decimal(1)) * step


@dataclass(frozen=True)
class Dosing:
    dosing_weight_kg: Decimal
    total_grams: Decimal
    prescribed_grams: Decimal
    rules_version: str


def series_dosing(
    *, route: str, dose_g_per_kg: Decimal, weight_kg: Decimal, height_cm: Decimal | None,
    basis: str, sex: str | None, age_years: int | None, rules: RuleSet,
) -> Dosing:
    """Everything a series stores about its dose when it is saved (§10), with the rule-set
    version used. ``DosingError`` names the input to correct."""
    low, high = dose_bounds(route)
    if not low <= Decimal(dose_g_per_kg) <= high:
        raise DosingError("dose_g_per_kg", (
            f"A {route} dose is between {low} and {high} g/kg."))
    weight = dosing_weight_kg(basis=basis, weight_kg=weight_kg, height_cm=height_cm,
                              sex=sex, age_years=age_years)
    return Dosing(
        dosing_weight_kg=weight,
        total_grams=course_total_grams(dose_g_per_kg=dose_g_per_kg, dosing_weight_kg=weight),
        prescribed_grams=prescribed_grams(dose_g_per_kg=dose_g_per_kg,
                                          dosing_weight_kg=weight, route=route, rules=rules),
        rules_version=rules.version,
    )


def dose_intensity(series: Sequence[SeriesIn], number: int) -> Decimal | None:
    """g/kg per 4 weeks at series ``number`` (§10): the doses of the series started in
    (s − 84 days, s), the current one excluded, summed and divided by the days from the
    earliest of them to s, × 28, to 0.01. Null when series 1 started less than 84 days
    before s (or a dose is unknown)."""
    ordered = ordered_series(series)
    current = next((s for s in ordered if s.number == number), None)
    if current is None or not ordered:
        return None
    start = current.started_on
    if (start - ordered[0].started_on).days < INTENSITY_WINDOW_DAYS:
        return None
    window = [s for s in ordered
              if start - timedelta(days=INTENSITY_WINDOW_DAYS) < s.started_on < start]
    return _intensity(start, window)


def _intensity(start: date, window: Sequence[SeriesIn]) -> Decimal | None:
    if not window or any(s.dose_g_per_kg is None for s in window):
        return None
    days = (start - min(s.started_on for s in window)).days
    total = sum((Decimal(s.dose_g_per_kg or 0) for s in window), Decimal(0))
    return (total / days * INTENSITY_PER_DAYS).quantize(INTENSITY_STEP, ROUND_HALF_UP)


def dose_intensity_finder(series: Sequence[SeriesIn]) -> Callable[[SeriesIn], Decimal | None]:
    """``dose_intensity(series, s.number)`` for any series ``s`` of the course, each in
    O(log n): the series sorted by date once, each window found by bisection instead of a
    scan of the whole course (24 scans of 24 for a long course), its series then taken in
    number order as ``dose_intensity`` sums them. Used by the outcome (every series) and
    the consumption report (the series of a period)."""
    ordered = ordered_series(series)
    by_date = sorted(range(len(ordered)), key=lambda i: ordered[i].started_on)
    dates = [ordered[i].started_on for i in by_date]
    first = ordered[0].started_on if ordered else None

    def find(item: SeriesIn) -> Decimal | None:
        start = item.started_on
        if first is None or (start - first).days < INTENSITY_WINDOW_DAYS:
            return None
        low = bisect_right(dates, start - timedelta(days=INTENSITY_WINDOW_DAYS))
        high = bisect_left(dates, start)  # the window: (s − 84 days, s), s excluded
        return _intensity(start, [ordered[i] for i in sorted(by_date[low:high])])

    return find


def dose_intensities(series: Sequence[SeriesIn]) -> dict[int, Decimal | None]:
    """``dose_intensity`` of every series, by number (``dose_intensity_finder``)."""
    find = dose_intensity_finder(series)
    return {item.number: find(item) for item in ordered_series(series)}


Period = tuple[date, date | None]  # an episode's start and end (None: ongoing)


def _within(day: date, periods: Sequence[Period]) -> bool:
    return any(start <= day and (end is None or day <= end) for start, end in periods)


def interval_flag(
    *, days: int | None, previous: SeriesIn | None, current: SeriesIn, rules: RuleSet,
    extension_periods: Sequence[Period] = (),
) -> bool:
    """§6 as §10 makes it: the interval from the previous series outside 0.75–1.5 × the
    previous series' expected interval (28 → 21–42 days), except across a change of route
    or for a series started during an ``interval_extension`` episode (``extension_periods``:
    (start, end or None), given by the tailoring rules). Series 1 is never flagged."""
    if days is None or previous is None:
        return False
    if previous.route != current.route or _within(current.started_on, extension_periods):
        return False
    expected = previous.expected_interval_days
    return not (rules.interval_min_factor * expected <= days
                <= rules.interval_max_factor * expected)


def interval_bounds(previous: SeriesIn, *, rules: RuleSet) -> tuple[float, float]:
    """The days an interval after ``previous`` is expected within (for messages)."""
    expected = previous.expected_interval_days
    return rules.interval_min_factor * expected, rules.interval_max_factor * expected


@dataclass(frozen=True)
class Schedule:
    next_series_due: date | None
    overdue_from: date | None  # the first day the patient is overdue
    overdue: bool


def extension_interval(series: Sequence[SeriesIn], extensions: Sequence[Period]
                       ) -> int | None:
    """The interval that schedules the next series during an ongoing
    ``interval_extension`` (§10 "Schedule": "the interval of the series given since it
    started"): the days from the previous given series to the last one, once that last
    one was given on or after the extension's start; None otherwise (the series' expected
    interval applies). ``extensions`` as ``tailoring.extension_periods`` gives them (end
    None: still in force)."""
    ongoing = [start for start, end in extensions if end is None]
    given = [s for s in ordered_series(series) if s.status == "given"]
    if not ongoing or len(given) < 2 or given[-1].started_on < max(ongoing):
        return None
    return (given[-1].started_on - given[-2].started_on).days


def schedule(
    series: Sequence[SeriesIn], *, today: date | None, rules: RuleSet,
    treatment_stopped: bool = False, extension_interval_days: int | None = None,
) -> Schedule:
    """When the next series is due and whether it is overdue (§10).

    ``next_series_due`` = start of the last given series + its expected interval;
    ``overdue`` when ``today`` is past it by more than ``overdue_grace_days`` (for ``sc``:
    the expected interval) and nothing was given since (no series of any status started
    after the last given one). The tailoring rules pass the exceptions:
    ``treatment_stopped`` (an ongoing or tolerated withdrawal: nothing is due) and
    ``extension_interval_days`` (during an ongoing ``interval_extension``, the interval of
    the series given since it started). ``today`` None: ``overdue`` is not judged (False).
    """
    ordered = ordered_series(series)
    given = [s for s in ordered if s.status == "given"]
    if treatment_stopped or not given:
        return Schedule(None, None, False)
    last = given[-1]
    interval = extension_interval_days or last.expected_interval_days
    due = last.started_on + timedelta(days=interval)
    grace = last.expected_interval_days if last.route == "sc" else rules.overdue_grace_days
    overdue_from = due + timedelta(days=grace + 1)
    since = any(s.started_on > last.started_on for s in ordered)
    overdue = today is not None and not since and today >= overdue_from
    return Schedule(due, None if since else overdue_from, overdue)
