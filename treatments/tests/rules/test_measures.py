"""Today's outcome measures and the primary measure (clinical-rules.md §9): one test per
rule and edge; the paper's tables stay in test_response.py / test_reports.py unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatments.rules import (
    SEED_1,
    SEED_2,
    Grade,
    Measure,
    PatientIn,
    PriorTreatmentIn,
    RuleSet,
    VisitIn,
    compute_outcome,
)
from treatments.rules.measures import (
    adjusted_incat_change,
    grade_by_mcid,
    grip,
    incat,
    mrc_sum,
    onls,
)
from treatments.tests.rules.builders import SEED_INPUTS, day, make_series, series_start

KLEYWEG = ("deltoid", "biceps", "wrist_extensors", "iliopsoas", "quadriceps",
           "tibialis_anterior")


def outcome(patient: PatientIn, rules: RuleSet = SEED_2) -> dict[str, Any]:
    return compute_outcome(patient, **(SEED_INPUTS | {"rules": rules})).as_dict()


def visit(pk: int, kind: str = "follow_up", offset: int = 0, *, series: int | None = None,
          **values: Any) -> VisitIn:
    return VisitIn(id=pk, visited_on=day(offset), kind=kind, series_number=series, **values)


def course(baseline: dict[str, Any], posts: list[dict[str, Any] | None], *,
           pres: list[dict[str, Any] | None] = (),  # type: ignore[assignment]
           follow_ups: list[dict[str, Any]] = (),  # type: ignore[assignment]
           diagnosis: str = "cidp", **patient: Any) -> PatientIn:
    """A baseline visit, a post visit 14 days into each series, optional pre visits on the
    day series 2, 3 … start, then follow-ups every 30 days; values are visit fields."""
    visits = [visit(1, "baseline", -7, **baseline)]
    for number, post in enumerate(posts, start=1):
        if post is not None:
            visits.append(replace(visit(len(visits) + 1, "post_series", series=number, **post),
                                  visited_on=series_start(number) + timedelta(days=14)))
    for number, pre in enumerate(pres, start=2):
        if pre is not None:
            visits.append(replace(visit(len(visits) + 1, "pre_series", series=number, **pre),
                                  visited_on=series_start(number)))
    last = series_start(len(posts)) + timedelta(days=14)
    for i, values in enumerate(follow_ups, start=1):
        visits.append(replace(visit(len(visits) + 1, **values),
                              visited_on=last + timedelta(days=30 * i)))
    return PatientIn(diagnosis=diagnosis, series=make_series(len(posts)), visits=tuple(visits),
                     **patient)


def inc(arm: int, leg: int) -> dict[str, int]:
    return {"incat_arm": arm, "incat_leg": leg}


def summary(result: dict[str, Any], measure: str) -> dict[str, Any]:
    return next(m for m in result["measures"] if m["measure"] == measure)


# --- per-visit scores -------------------------------------------------------------------

def test_mrc_sum_is_the_kleyweg_muscles_both_sides_and_null_when_one_is_ungraded():
    grid = {(m, s): 4 for m in KLEYWEG for s in ("R", "L")}
    assert mrc_sum(visit(1, mrc=grid), rules=SEED_2) == 48
    assert mrc_sum(visit(1, mrc={**grid, ("triceps", "R"): 0}), rules=SEED_2) == 48
    del grid[("tibialis_anterior", "L")]
    assert mrc_sum(visit(1, mrc=grid), rules=SEED_2) is None


def test_mrc_sum_muscles_are_a_rule_set_parameter():
    rules = replace(SEED_2, sum_score_muscles=("deltoid",))
    assert mrc_sum(visit(1, mrc={("deltoid", "R"): 5, ("deltoid", "L"): 3}), rules=rules) == 8


def test_incat_and_onls_are_arm_plus_leg_and_null_with_a_part_missing():
    assert incat(visit(1, incat_arm=2, incat_leg=3)) == 5
    assert incat(visit(1, incat_arm=2)) is None
    assert onls(visit(1, onls_arm=5, onls_leg=7)) == 12
    assert onls(visit(1, onls_leg=7)) is None


def test_grip_is_the_mean_of_both_hands_and_null_with_one_hand_flagged():
    assert grip(visit(1, grip_right_kpa=Decimal("60.0"), grip_left_kpa=Decimal("45.5"))) \
        == Decimal("52.75")
    assert grip(visit(1, grip_right_kpa=Decimal("60.0"))) is None
    result = outcome(course({"grip_right_kpa": Decimal("60")}, [inc(1, 1)]))
    assert "grip: one hand only" in result["flags"]
    assert result["visits"][0]["scores"]["grip"] is None


def test_irods_is_the_centile_and_the_raw_score_is_informational():
    result = outcome(course({"irods_centile": 40, "irods_raw": 20},
                            [{"irods_centile": 40, "irods_raw": 30}]))
    assert result["visits"][1]["scores"]["irods"] == 40
    assert summary(result, "irods")["change"] == 0


def test_every_visit_carries_every_measure_code():
    result = outcome(course(inc(2, 2), [inc(1, 1)]))
    assert set(result["visits"][0]["scores"]) == {m.value for m in Measure}


# --- adjusted INCAT ---------------------------------------------------------------------

@pytest.mark.parametrize(("before", "after", "change"), [
    ((0, 2), (1, 2), 0), ((1, 2), (0, 2), 0), ((0, 2), (2, 2), 2), ((1, 2), (2, 2), 1),
    ((2, 2), (1, 2), -1), ((1, 3), (0, 1), -2), ((3, 3), (2, 1), -3),
])
def test_adjusted_incat_change_counts_an_arm_change_between_0_and_1_as_0(before, after, change):
    a, b = visit(1, **inc(*before)), visit(2, **inc(*after))
    assert adjusted_incat_change(a, b) == change


def test_adjusted_incat_arm_0_to_1_is_no_change_where_plain_incat_sees_one():
    patient = course(inc(1, 2), [inc(0, 2), inc(0, 2), inc(0, 2)])
    adjusted = outcome(patient)  # cidp → adjusted_incat
    plain = outcome(replace(patient, primary_measure="incat"))
    assert adjusted["primary_measure"] == "adjusted_incat"
    assert adjusted["initial_response"] == "stable"
    assert adjusted["status"] == "no_response"
    assert plain["initial_response"] == "improved"
    assert plain["n_star"] == 1
    # The value shown is the baseline's INCAT + the adjusted change: 3 + 0.
    assert [v["primary_score"] for v in adjusted["visits"]] == [3, 3, 3, 3]
    assert summary(adjusted, "adjusted_incat")["change"] == 0
    assert summary(adjusted, "incat")["change"] == -1


def test_adjusted_incat_wear_off_uses_the_pairwise_change():
    # Series 1 → arm 0; trough before series 2: arm 1 (0↔1 counts 0: no wear-off) vs
    # leg +1 before series 3 (a wear-off).
    patient = course(inc(2, 3), [inc(0, 2), inc(0, 2), inc(0, 1)],
                     pres=[inc(1, 2), inc(0, 3)])
    result = outcome(patient)
    assert [(w["after_series"], w["drop"]) for w in result["wear_off_intervals"]] == [(2, 1)]


# --- direction of gain, MCID, grades --------------------------------------------------

def test_gain_on_a_lower_is_better_scale_is_baseline_minus_score():
    result = outcome(course(inc(2, 4), [inc(2, 2)]), rules=replace(
        SEED_2, primary_measures=(("cidp", "incat"),)))
    assert result["initial_response"] == "improved"
    assert result["series"][0]["grade"] == "improved"
    assert result["beneficial_series"] == [1]
    assert summary(result, "incat") | {} == {
        "measure": "incat", "baseline": 6, "latest": 4, "change": -2, "result": "improved",
        "mcid": 1, "responder": True}


def test_gain_on_a_higher_is_better_scale_is_score_minus_baseline():
    result = outcome(course({"irods_centile": 40}, [{"irods_centile": 30}]),
                     rules=replace(SEED_2, primary_measures=(("cidp", "irods"),)))
    assert result["initial_response"] == "deteriorated"
    assert result["status"] == "deteriorating"
    assert result["final"] == {"grade": "deteriorated", "persistent": False,
                               "label": "Deterioration"}


@pytest.mark.parametrize(("measure", "baseline", "after", "grade"), [
    ("irods", {"irods_centile": 40}, {"irods_centile": 44}, "improved"),
    ("irods", {"irods_centile": 40}, {"irods_centile": 43}, "stable"),
    ("irods", {"irods_centile": 40}, {"irods_centile": 36}, "deteriorated"),
    ("irods", {"irods_centile": 40}, {"irods_centile": 37}, "stable"),
    ("grip", {"grip_right_kpa": Decimal(40), "grip_left_kpa": Decimal(40)},
     {"grip_right_kpa": Decimal(48), "grip_left_kpa": Decimal(48)}, "improved"),
    ("grip", {"grip_right_kpa": Decimal(40), "grip_left_kpa": Decimal(40)},
     {"grip_right_kpa": Decimal("47.9"), "grip_left_kpa": Decimal(48)}, "stable"),
    ("mrc_sum", {"mrc": {(m, s): 3 for m in KLEYWEG for s in "RL"}},
     {"mrc": {**{(m, s): 3 for m in KLEYWEG for s in "RL"}, ("deltoid", "R"): 5}}, "improved"),
    ("mrc_sum", {"mrc": {(m, s): 3 for m in KLEYWEG for s in "RL"}},
     {"mrc": {**{(m, s): 3 for m in KLEYWEG for s in "RL"}, ("deltoid", "R"): 4}}, "stable"),
    ("onls", {"onls_arm": 3, "onls_leg": 3}, {"onls_arm": 3, "onls_leg": 2}, "improved"),
    ("prineas", {"prineas_score": 3}, {"prineas_score": 4}, "deteriorated"),
])
def test_mcid_boundaries_exactly_at_the_mcid(measure, baseline, after, grade):
    result = outcome(course(baseline, [after], primary_measure=measure))
    assert result["initial_response"] == grade
    assert summary(result, measure)["result"] == grade
    assert summary(result, measure)["responder"] is (grade == "improved")


def test_grade_by_mcid():
    assert [grade_by_mcid(g, 4) for g in (-5, -4, -3, 0, 3, 4, 9)] == [
        Grade.DETERIORATED, Grade.DETERIORATED, Grade.STABLE, Grade.STABLE, Grade.STABLE,
        Grade.IMPROVED, Grade.IMPROVED]


def test_mcid_is_a_rule_set_parameter():
    patient = course({"irods_centile": 40}, [{"irods_centile": 44}], primary_measure="irods")
    assert outcome(patient, rules=replace(SEED_2, mcid_irods=5))["initial_response"] == "stable"


def test_a_visit_without_the_primary_measure_takes_no_part():
    # The linked post visit of series 1 has grip only: the follow-up-like unlinked visit in
    # series 1's window with INCAT is its post visit for INCAT, and a later visit without
    # INCAT is no evaluation point.
    visits = (
        visit(1, "baseline", -7, **inc(2, 4)),
        visit(2, "post_series", 10, series=1, grip_right_kpa=Decimal(50),
              grip_left_kpa=Decimal(50)),
        visit(3, "follow_up", 20, **inc(2, 2)),
        visit(4, "follow_up", 90, prineas_score=2),
    )
    result = outcome(PatientIn(diagnosis="other", series=make_series(1), visits=visits))
    assert result["primary_measure"] == "incat"
    assert result["series"][0]["post_score"] == 4
    assert result["initial_response"] == "improved"
    assert result["status"] == "improving"
    assert [v["grade"] for v in result["visits"]] == ["stable", None, "improved", None]
    assert "no MRC grades at the baseline visit" not in result["flags"]


def test_baseline_is_the_last_value_before_series_1_when_the_baseline_visit_lacks_it():
    visits = (
        visit(1, "follow_up", -20, **inc(2, 4)),
        visit(2, "baseline", -7, prineas_score=3),
        visit(3, "post_series", 14, series=1, **inc(2, 3)),
    )
    result = outcome(PatientIn(diagnosis="other", series=make_series(1), visits=visits))
    assert result["primary_baseline"] == 6
    assert result["initial_response"] == "improved"
    assert summary(result, "incat")["baseline"] == 6


def test_a_measure_with_only_a_baseline_has_null_change_and_result():
    result = outcome(course({**inc(2, 2), "irods_centile": 50}, [inc(1, 1)]))
    assert summary(result, "irods") == {"measure": "irods", "baseline": 50, "latest": 50,
                                        "change": None, "result": None, "mcid": 4,
                                        "responder": False}
    assert not [m for m in result["measures"] if m["measure"] == "onls"]


def test_latest_is_the_last_visit_with_a_value():
    result = outcome(course(inc(3, 3), [inc(2, 3), {"irods_centile": 5}]))
    assert summary(result, "incat")["latest"] == 5
    assert summary(result, "incat")["change"] == -1


# --- primary measure --------------------------------------------------------------------

@pytest.mark.parametrize(("diagnosis", "measure"), [
    ("mmn", "mrc_targets"), ("cidp", "adjusted_incat"), ("igm_mgus_pn", "prineas"),
    ("igg_mgus_pn", "prineas"), ("other", "incat"),
])
def test_the_rule_set_names_the_primary_measure_per_diagnosis(diagnosis, measure):
    assert outcome(PatientIn(diagnosis=diagnosis))["primary_measure"] == measure


def test_seed_1_judges_every_diagnosis_on_mrc_targets_as_before():
    patient = course({"prineas_score": 3}, [{"prineas_score": 2}] * 3, diagnosis="igm_mgus_pn")
    before = outcome(patient, rules=SEED_1)
    assert before["primary_measure"] == "mrc_targets"
    assert before["status"] == "insufficient_data"
    assert "no MRC grades at the baseline visit" in before["flags"]
    after = outcome(patient)
    assert after["primary_measure"] == "prineas"
    assert after["status"] == "plateau"  # series 1 beneficial, then two points no better
    assert after["final"]["label"] == "Persistent improvement"
    assert after["disability"] == before["disability"]


def test_a_pinned_primary_measure_wins_over_the_rule_set():
    patient = course({**inc(2, 2), "irods_centile": 40},
                     [{**inc(2, 2), "irods_centile": 50}], primary_measure="irods")
    result = outcome(patient)
    assert result["primary_measure"] == "irods"
    assert result["initial_response"] == "improved"
    assert outcome(replace(patient, primary_measure=None))["initial_response"] == "stable"


def test_mrc_targets_keeps_its_own_grades_and_score():
    grid = {(m, s): 2 for m in ("deltoid", "biceps", "triceps") for s in "RL"}
    better = {k: 5 for k in grid}
    result = outcome(course({"mrc": grid}, [{"mrc": better}], diagnosis="mmn"))
    assert result["initial_response"] == "dramatic"
    assert result["primary_baseline"] == result["baseline_score"] == 10
    assert result["visits"][1]["primary_score"] == result["visits"][1]["score"] == 25
    assert summary(result, "mrc_targets")["result"] == "improved"


# --- status and final result -----------------------------------------------------------

def test_status_deteriorating_needs_a_loss_of_one_mcid():
    slight = course({"irods_centile": 40}, [{"irods_centile": 37}], primary_measure="irods")
    assert outcome(slight)["status"] == "on_treatment"
    worse = course({"irods_centile": 40}, [{"irods_centile": 36}], primary_measure="irods")
    assert outcome(worse)["status"] == "deteriorating"


def test_plateau_and_persistent_improvement_on_a_lower_scale():
    result = outcome(course(inc(3, 4), [inc(3, 3), inc(2, 2), inc(2, 2)],
                            follow_ups=[inc(2, 2), inc(2, 2)]), rules=replace(
        SEED_2, primary_measures=(("cidp", "incat"),)))
    assert result["beneficial_series"] == [1, 2]
    assert result["n_star"] == 2
    assert result["plateau_after_series"] == 2
    assert result["status"] == "plateau"
    assert result["final"] == {"grade": "improved", "persistent": True,
                               "label": "Persistent improvement"}


def test_improvement_not_persistent_and_if_repeated():
    rules = replace(SEED_2, primary_measures=(("cidp", "incat"),))
    once = outcome(course(inc(3, 4), [inc(3, 4), inc(3, 3)]), rules=rules)
    assert once["final"]["label"] == "Improvement (not persistent)"
    dependent = outcome(course(inc(3, 4), [inc(2, 2), inc(2, 2), inc(2, 2)],
                               pres=[inc(3, 4), inc(3, 4)]), rules=rules)
    assert dependent["infusion_dependent"] is True
    assert dependent["final"]["label"] == "Persistent improvement if repeated"


def test_stable_final_label():
    result = outcome(course(inc(2, 2), [inc(2, 2)]))
    assert result["final"]["label"] == "Stable"


def test_baseline_within_one_mcid_of_the_best_is_not_evaluable():
    result = outcome(course(inc(1, 0), [inc(0, 0)] * 3))
    assert result["status"] == "not_evaluable"
    assert "baseline at ceiling" in result["flags"]


def test_already_on_immunoglobulin_is_stable_on_treatment():
    patient = course(inc(2, 3), [inc(2, 3)] * 3, prior_treatments=(
        PriorTreatmentIn(kind="immunoglobulin", started_on=day(-400)),))
    assert outcome(patient)["status"] == "stable_on_treatment"


def test_prineas_scores_give_a_polyneuropathy_patient_a_real_status():
    patient = course({"prineas_score": 3}, [{"prineas_score": 3}] * 3, diagnosis="igg_mgus_pn")
    result = outcome(patient)
    assert result["status"] == "no_response"
    assert "no MRC grades at the baseline visit" not in result["flags"]
    assert "fewer than five target muscles" not in result["flags"]


def test_no_baseline_value_is_insufficient_data_and_says_why():
    visits = (visit(1, "post_series", 14, series=1, **inc(2, 2)),)
    result = outcome(PatientIn(diagnosis="cidp", series=make_series(1), visits=visits))
    assert result["status"] == "insufficient_data"
    assert "no baseline adjusted_incat value: no visit with one before series 1" \
        in result["flags"]


# --- property: a lower-is-better scale and its mirror give the same judgement ------------

incat_values = st.integers(0, 10)


@settings(max_examples=80, deadline=None)
@given(baseline=incat_values, posts=st.lists(st.one_of(st.none(), incat_values), min_size=1,
                                             max_size=6),
       pres=st.lists(st.one_of(st.none(), incat_values), max_size=5),
       follow_ups=st.lists(incat_values, max_size=3))
def test_a_lower_scale_and_its_mirrored_higher_scale_judge_alike(baseline, posts, pres,
                                                                 follow_ups):
    def split(n):
        return {"incat_arm": min(n, 5), "incat_leg": n - min(n, 5)}

    def mirror(n):
        return {"irods_centile": 100 - n}  # best 100 ↔ best 0

    lower = course(split(baseline), [None if p is None else split(p) for p in posts],
                   pres=[None if p is None else split(p) for p in pres[: len(posts) - 1]],
                   follow_ups=[split(f) for f in follow_ups], primary_measure="incat")
    higher = course(mirror(baseline), [None if p is None else mirror(p) for p in posts],
                    pres=[None if p is None else mirror(p) for p in pres[: len(posts) - 1]],
                    follow_ups=[mirror(f) for f in follow_ups], primary_measure="irods")
    rules = replace(SEED_2, mcid_irods=1)
    a, b = outcome(lower, rules), outcome(higher, rules)
    keys = ("status", "initial_response", "beneficial_series", "n_star",
            "plateau_after_series", "infusion_dependent", "final")
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}
    assert [v["grade"] for v in a["visits"]] == [v["grade"] for v in b["visits"]]
    assert [w["drop"] for w in a["wear_off_intervals"]] == \
        [w["drop"] for w in b["wear_off_intervals"]]
