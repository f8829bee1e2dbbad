"""The treatment course (clinical-rules.md §10): dosing weight, grams, dose intensity, the
interval flag and the schedule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from treatments.rules import SEED_1, RuleSet, SeriesIn, series_intervals
from treatments.rules.course import (
    DosingError,
    dose_intensity,
    dosing_weight_kg,
    ideal_weight_kg,
    interval_flag,
    prescribed_grams,
    schedule,
    series_dosing,
)

D = Decimal
START = date(2020, 1, 6)


def course(every: int, count: int, dose: str, route: str = "iv", expected: int | None = None
           ) -> tuple[SeriesIn, ...]:
    return tuple(
        SeriesIn(number=n + 1, started_on=START + timedelta(days=every * n), days=1,
                 route=route, expected_interval_days=expected or every, dose_g_per_kg=D(dose))
        for n in range(count))


def weight(basis: str, kg: str = "100", cm: str | None = "180", sex: str = "M",
           age: int | None = 40) -> Decimal:
    return dosing_weight_kg(basis=basis, weight_kg=D(kg), height_cm=None if cm is None
                            else D(cm), sex=sex, age_years=age)


# Devine: 50 kg (men) / 45.5 kg (women) + 0.9055 kg per cm above 152.4 cm.
def test_devine_ideal_weight_of_a_man_and_a_woman():
    assert ideal_weight_kg(sex="M", height_cm=D("180")) == D("74.99180")
    assert ideal_weight_kg(sex="F", height_cm=D("165")) == D("56.90930")
    assert weight("ideal") == D("75.0")
    assert weight("ideal", sex="F", cm="165") == D("56.9")


def test_adjusted_weight_is_ideal_plus_four_tenths_of_the_excess():
    # 74.9918 + 0.4 × (100 − 74.9918) = 84.99508
    assert weight("adjusted") == D("85.0")
    # a woman of 165 cm and 80 kg: 56.9093 + 0.4 × 23.0907 = 66.14558
    assert weight("adjusted", kg="80", cm="165", sex="F") == D("66.1")


def test_the_dosing_weight_is_never_above_the_actual_weight():
    # a thin man of 190 cm and 60 kg: Devine says 84.0 kg, adjusted 74.4 kg
    assert weight("ideal", kg="60", cm="190") == D("60.0")
    assert weight("adjusted", kg="60", cm="190") == D("60.0")
    assert weight("actual", kg="60", cm="190") == D("60.0")


def test_height_edges_152_4_refused_152_5_defined():
    with pytest.raises(DosingError) as refused:
        weight("ideal", cm="152.4")
    assert refused.value.field == "dose_basis"
    assert weight("ideal", cm="152.5", sex="F") == D("45.6")  # 45.5 + 0.09055


def test_ideal_or_adjusted_without_height_names_height_cm():
    for basis in ("ideal", "adjusted"):
        with pytest.raises(DosingError) as refused:
            weight(basis, cm=None)
        assert refused.value.field == "height_cm"
    assert weight("actual", cm=None) == D("100.0")


def test_under_18_at_the_series_names_dose_basis():
    with pytest.raises(DosingError) as refused:
        weight("adjusted", age=17)
    assert refused.value.field == "dose_basis"
    assert weight("adjusted", age=18) == D("85.0")


def test_prescribed_grams_round_half_up_to_the_route_step_never_below_one_step():
    def grams(dose: str, kg: str, route: str = "iv") -> Decimal:
        return prescribed_grams(dose_g_per_kg=D(dose), dosing_weight_kg=D(kg), route=route,
                                rules=SEED_1)

    assert grams("2.0", "71.2") == D("140")  # 142.4 → 140
    assert grams("2.0", "71.3") == D("145")  # 142.6 → 145
    assert grams("0.5", "65.0") == D("35")  # 32.5: half up → 35
    assert grams("0.1", "10.0") == D("5")  # 1 g: never below one 5 g step
    assert grams("0.4", "70.3", "sc") == D("28")  # 28.12 → 28 (1 g steps)
    assert grams("0.05", "9.0", "sc") == D("1")  # 0.45 g → one step
    assert prescribed_grams(dose_g_per_kg=D("2.0"), dosing_weight_kg=D("71.2"), route="iv",
                            rules=RuleSet(version="x", round_grams_iv=10)) == D("140")


def test_series_dosing_records_the_rule_set_and_the_unrounded_total():
    dosing = series_dosing(route="iv", dose_g_per_kg=D("2.0"), weight_kg=D("100"),
                           height_cm=D("180"), basis="adjusted", sex="M", age_years=50,
                           rules=RuleSet(version="seed-7"))
    assert (dosing.dosing_weight_kg, dosing.total_grams, dosing.prescribed_grams,
            dosing.rules_version) == (D("85.0"), D("170.0"), D("170"), "seed-7")


def test_dose_bounds_depend_on_the_route():
    def dose(value: str, route: str):
        return series_dosing(route=route, dose_g_per_kg=D(value), weight_kg=D("70"),
                             height_cm=None, basis="actual", sex="F", age_years=30,
                             rules=SEED_1)

    assert dose("0.05", "sc").prescribed_grams == D("4")  # 3.5 → 4
    with pytest.raises(DosingError) as refused:
        dose("0.05", "iv")
    assert refused.value.field == "dose_g_per_kg"
    with pytest.raises(DosingError):
        dose("3.01", "sc")


# Dose intensity: g/kg per 4 weeks over the 12 weeks before each series.
@pytest.mark.parametrize(("every", "dose", "count", "expected"), [
    (28, "2.0", 5, D("2.00")),
    (27, "2.0", 5, D("2.07")),
    (7, "0.4", 14, D("1.60")),
])
def test_dose_intensity_compares_iv_and_sc_courses(every, dose, count, expected):
    series = course(every, count, dose, route="sc" if every == 7 else "iv")
    assert dose_intensity(series, count) == expected


def test_dose_intensity_is_null_less_than_84_days_after_series_1():
    series = course(28, 4, "2.0")  # series 4 starts 84 days after series 1
    assert [dose_intensity(series, n) for n in (1, 2, 3, 4)] == [None, None, None, D("2.00")]
    weekly = course(7, 13, "0.4", route="sc")  # series 13: day 84
    assert dose_intensity(weekly, 12) is None
    assert dose_intensity(weekly, 13) == D("1.60")


def test_dose_intensity_excludes_the_current_series_and_reads_each_dose():
    series = list(course(28, 4, "2.0"))
    series[3] = SeriesIn(number=4, started_on=series[3].started_on, days=1, dose_g_per_kg=D("3"))
    series[2] = SeriesIn(number=3, started_on=series[2].started_on, days=1, dose_g_per_kg=D("1"))
    # (s−84, s): series 2 (2.0) and 3 (1.0) over 56 days → 1.5
    assert dose_intensity(series, 4) == D("1.50")


# The interval flag, relative to the previous series' expected interval.
def test_sc_interval_flag_is_relative_to_its_weekly_interval():
    series = course(7, 2, "0.4", route="sc")
    late = (*series, SeriesIn(number=3, started_on=series[1].started_on + timedelta(days=11),
                              days=1, route="sc", expected_interval_days=7))
    early = (*series, SeriesIn(number=3, started_on=series[1].started_on + timedelta(days=5),
                               days=1, route="sc", expected_interval_days=7))
    on_time = (*series, SeriesIn(number=3, started_on=series[1].started_on + timedelta(days=10),
                                 days=1, route="sc", expected_interval_days=7))
    assert [r.flagged for r in series_intervals(late, rules=SEED_1)] == [False, False, True]
    assert [r.flagged for r in series_intervals(early, rules=SEED_1)] == [False, False, True]
    assert [r.flagged for r in series_intervals(on_time, rules=SEED_1)] == [False, False, False]


def test_no_flag_across_a_change_of_route_or_during_an_extension():
    iv = SeriesIn(number=1, started_on=START, days=1, route="iv", expected_interval_days=28)
    sc = SeriesIn(number=2, started_on=START + timedelta(days=7), days=1, route="sc",
                  expected_interval_days=7)
    assert not interval_flag(days=7, previous=iv, current=sc, rules=SEED_1)
    late = SeriesIn(number=2, started_on=START + timedelta(days=60), days=1)
    assert interval_flag(days=60, previous=iv, current=late, rules=SEED_1)
    assert not interval_flag(days=60, previous=iv, current=late, rules=SEED_1,
                             extension_periods=[(START + timedelta(days=20), None)])


# The schedule.
def test_next_series_due_and_overdue_after_the_grace_days():
    series = course(28, 3, "2.0")
    last = series[-1].started_on
    due = last + timedelta(days=28)
    assert schedule(series, today=due + timedelta(days=7), rules=SEED_1).overdue is False
    late = schedule(series, today=due + timedelta(days=8), rules=SEED_1)
    assert (late.next_series_due, late.overdue, late.overdue_from) == (
        due, True, due + timedelta(days=8))
    assert schedule(series, today=due + timedelta(days=8), rules=SEED_1,
                    treatment_stopped=True).overdue is False


def test_sc_is_overdue_after_its_expected_interval_of_grace():
    series = course(7, 3, "0.4", route="sc")
    due = series[-1].started_on + timedelta(days=7)
    assert schedule(series, today=due + timedelta(days=7), rules=SEED_1).overdue is False
    assert schedule(series, today=due + timedelta(days=8), rules=SEED_1).overdue is True


def test_the_schedule_follows_the_last_given_series():
    given = course(28, 2, "2.0")
    stopped = SeriesIn(number=3, started_on=given[-1].started_on + timedelta(days=28), days=1,
                       status="stopped")
    result = schedule((*given, stopped), today=START + timedelta(days=400), rules=SEED_1)
    assert result.next_series_due == given[-1].started_on + timedelta(days=28)
    assert result.overdue is False  # something was given since (the stopped series)
    assert schedule((), today=START, rules=SEED_1).next_series_due is None
    assert schedule(given, today=None, rules=SEED_1).overdue is False


# §2 counts iv series only; sc administrations count in the course.
def test_sc_series_are_in_the_course_but_not_in_the_per_series_rules():
    from dataclasses import replace

    from treatments.rules import compute_outcome
    from treatments.tests.rules.builders import SEED_INPUTS, mmn_patient, series_start

    iv = mmn_patient(10, [15, 16])
    sc_start = series_start(3)
    sc = tuple(SeriesIn(number=3 + n, started_on=sc_start + timedelta(days=7 * n), days=1,
                        route="sc", expected_interval_days=7, dose_g_per_kg=D("0.4"))
               for n in range(3))
    linked = replace(iv.visits[-1], id=99, visited_on=sc_start + timedelta(days=3),
                     kind="post_series", series_number=4)
    patient = replace(iv, series=(*iv.series, *sc), visits=(*iv.visits, linked))
    alone = compute_outcome(iv, **SEED_INPUTS).as_dict()
    mixed = compute_outcome(patient, today=sc_start + timedelta(days=30),
                            **SEED_INPUTS).as_dict()
    for key in ("beneficial_series", "n_star", "wear_off_intervals", "initial_response"):
        assert mixed[key] == alone[key], key
    assert [(s["number"], s["route"], s["post_score"]) for s in mixed["series"]] == [
        (1, "iv", 15), (2, "iv", 16), (3, "sc", None), (4, "sc", None), (5, "sc", None)]
    assert not any("without a post score" in flag for flag in mixed["flags"])
    # the visit linked to an sc administration is read as a follow-up visit: an evaluation
    # point (scored), listed with the kind it was recorded with
    visit = next(v for v in mixed["visits"] if v["id"] == 99)
    assert (visit["kind"], visit["score"]) == ("post_series", 16)
    last_sc = sc_start + timedelta(days=14)
    assert mixed["next_series_due"] == (last_sc + timedelta(days=7)).isoformat()
    assert mixed["overdue"] is True  # 30 days after sc 3 started: > 7 + 7 days past due
