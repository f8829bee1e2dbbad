"""clinical-rules.md §2: target muscles, visit score, response grade."""

import pytest

from treatments.rules import Grade, RuleSet, response_grade, target_muscles, visit_score
from treatments.rules.defaults import SEED_1
from treatments.tests.rules.builders import Visits, day


def test_targets_are_the_five_lowest_grades_at_baseline():
    v = Visits()
    baseline = v.make("baseline", day(-7), mrc={
        ("deltoid", "R"): 5, ("biceps", "L"): 1, ("triceps", "R"): 2, ("quadriceps", "R"): 0,
        ("hamstrings", "L"): 3, ("gastrocnemius", "R"): 3, ("iliopsoas", "L"): 4,
    })
    chosen = target_muscles(baseline, rules=SEED_1)
    assert set(chosen.muscles) == {("biceps", "L"), ("triceps", "R"), ("quadriceps", "R"),
                                   ("hamstrings", "L"), ("gastrocnemius", "R")}
    assert chosen.flags == ()
    assert not chosen.pinned


def test_target_ties_are_broken_by_catalogue_order_then_right_before_left():
    v = Visits()
    baseline = v.make("baseline", day(-7), mrc={
        ("gastrocnemius", "R"): 3, ("deltoid", "L"): 3, ("deltoid", "R"): 3, ("biceps", "L"): 3,
        ("triceps", "L"): 3, ("triceps", "R"): 3, ("wrist_extensors", "R"): 3,
    })
    assert target_muscles(baseline, rules=SEED_1).muscles == (
        ("deltoid", "R"), ("deltoid", "L"), ("biceps", "L"), ("triceps", "R"), ("triceps", "L"),
    )


def test_a_lower_grade_beats_catalogue_order():
    v = Visits()
    grades = {(m, s): 4 for m in ("deltoid", "biceps", "triceps") for s in ("R", "L")}
    baseline = v.make("baseline", day(-7), mrc={**grades, ("gastrocnemius", "L"): 1})
    assert ("gastrocnemius", "L") in target_muscles(baseline, rules=SEED_1).muscles
    assert ("triceps", "L") not in target_muscles(baseline, rules=SEED_1).muscles


def test_pinned_targets_win_over_baseline_grades():
    v = Visits()
    baseline = v.make("baseline", day(-7), mrc={("deltoid", "R"): 0, ("biceps", "R"): 5})
    chosen = target_muscles(baseline, pinned=(("biceps", "R"), ("triceps", "L")), rules=SEED_1)
    assert chosen.muscles == (("biceps", "R"), ("triceps", "L"))
    assert chosen.pinned
    assert chosen.flags == ()


def test_fewer_than_five_graded_uses_those_graded_and_flags_it():
    v = Visits()
    baseline = v.make("baseline", day(-7), mrc={("deltoid", "R"): 2, ("biceps", "L"): 3})
    chosen = target_muscles(baseline, rules=SEED_1)
    assert chosen.muscles == (("deltoid", "R"), ("biceps", "L"))
    assert chosen.flags == ("fewer than five target muscles",)


def test_no_baseline_gives_no_targets():
    chosen = target_muscles(None, rules=SEED_1)
    assert chosen.muscles == ()
    assert chosen.flags == ("fewer than five target muscles",)


def test_unknown_muscle_codes_sort_after_the_catalogue():
    v = Visits()
    baseline = v.make("baseline", day(-7), mrc={("zz_new", "R"): 1, ("deltoid", "R"): 1})
    assert target_muscles(baseline, rules=SEED_1).muscles == (("deltoid", "R"), ("zz_new", "R"))


def test_score_is_the_sum_of_the_target_grades_only():
    v = Visits()
    visit = v.make("follow_up", day(1), mrc={("deltoid", "R"): 3, ("biceps", "R"): 4,
                                             ("triceps", "R"): 1})
    assert visit_score(visit, (("deltoid", "R"), ("biceps", "R"))) == 7


def test_a_missing_target_grade_means_no_score_never_zero():
    v = Visits()
    visit = v.make("follow_up", day(1), mrc={("deltoid", "R"): 3})
    assert visit_score(visit, (("deltoid", "R"), ("biceps", "R"))) is None


def test_a_grade_of_zero_counts_as_zero():
    v = Visits()
    visit = v.make("follow_up", day(1), mrc={("deltoid", "R"): 0, ("biceps", "R"): 0})
    assert visit_score(visit, (("deltoid", "R"), ("biceps", "R"))) == 0


def test_no_targets_or_no_visit_means_no_score():
    v = Visits()
    assert visit_score(v.make("follow_up", day(1), 10), ()) is None
    assert visit_score(None, (("deltoid", "R"),)) is None


@pytest.mark.parametrize(("gain", "grade"), [
    (-1, Grade.DETERIORATION),
    (0, Grade.NONE),
    (1, Grade.SLIGHT),
    (4, Grade.SLIGHT),
    (5, Grade.MILD),
    (9, Grade.MILD),
    (10, Grade.DRAMATIC),
    (11, Grade.DRAMATIC),
])
def test_response_grade_thresholds_with_five_targets(gain, grade):
    assert response_grade(gain, 5, rules=RuleSet()) == grade


def test_response_grade_uses_the_mean_gain_over_the_actual_number_of_targets():
    assert response_grade(6, 3, rules=RuleSet()) == Grade.DRAMATIC
    assert response_grade(3, 3, rules=RuleSet()) == Grade.MILD


def test_response_grade_follows_the_rule_set_parameters():
    strict = RuleSet(version="strict", dramatic_mean_gain=3.0, mild_mean_gain=2.0)
    assert response_grade(10, 5, rules=strict) == Grade.MILD


def test_response_grade_needs_a_target():
    with pytest.raises(ValueError, match="target"):
        response_grade(1, 0, rules=RuleSet())
