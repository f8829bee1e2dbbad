"""Property-based checks of the rules (clinical-rules.md §2, api.md "Outcome")."""

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from treatments.rules import (
    BLOCK_CRITERIA,
    Grade,
    PatientIn,
    RuleSet,
    SegmentIn,
    SeriesIn,
    StudyIn,
    TitreIn,
    VisitIn,
    compute_outcome,
    evaluation_points,
    response_grade,
    segment_block,
)
from treatments.rules.defaults import DEFAULT_THRESHOLDS, SEED_1, SEED_1_BLOCKS
from treatments.tests.rules.builders import SEED_INPUTS, grades, mmn_patient

ORIGIN = date(2020, 1, 1)
GRADE_RANK = {Grade.DETERIORATION: 0, Grade.NONE: 1, Grade.SLIGHT: 2, Grade.MILD: 3,
              Grade.DRAMATIC: 4}
MUSCLE_SIDES = [(m, s) for m in ("deltoid", "biceps", "triceps", "quadriceps", "new_muscle")
                for s in ("R", "L")]
KINDS = ["baseline", "pre_series", "post_series", "follow_up", "final"]

dates = st.integers(min_value=-60, max_value=700).map(lambda d: ORIGIN + timedelta(days=d))
mrc = st.dictionaries(st.sampled_from(MUSCLE_SIDES), st.integers(0, 5), max_size=10)


@st.composite
def series_list(draw, max_size=8):
    count = draw(st.integers(0, max_size))
    start = ORIGIN
    series = []
    for number in range(1, count + 1):
        start += timedelta(days=draw(st.integers(14, 70)))
        series.append(SeriesIn(number, start, draw(st.integers(1, 7))))
    return tuple(series)


@st.composite
def patients(draw, weird=False):
    series = draw(series_list())
    visit_count = draw(st.integers(0, 14))
    visits = []
    for i in range(visit_count):
        kind = draw(st.sampled_from(KINDS + (["odd_kind"] if weird else [])))
        linked = draw(st.none() | st.integers(0 if weird else 1, len(series) + 1))
        visits.append(VisitIn(
            id=draw(st.integers(1, 5)) if weird else i + 1,
            visited_on=draw(dates),
            kind=kind,
            series_number=linked if kind in ("pre_series", "post_series") or weird else None,
            mrc=draw(mrc if not weird else st.dictionaries(
                st.tuples(st.text(max_size=3), st.text(max_size=2)), st.integers(-3, 9),
                max_size=8)),
            prineas_score=draw(st.none() | st.integers(0, 5)),
        ))
    if weird:
        series = tuple(draw(st.permutations(series))) + tuple(
            draw(st.lists(st.builds(SeriesIn, st.integers(-1, 9), dates, st.integers(0, 9)),
                          max_size=2)))
    pinned = tuple(draw(st.lists(st.sampled_from(MUSCLE_SIDES), max_size=6))) \
        if draw(st.integers(0, 4)) == 0 else ()
    return PatientIn(diagnosis="mmn", series=series, visits=tuple(visits), pinned_targets=pinned)


scores = st.integers(0, 25)
structured_patients = st.builds(
    lambda baseline, posts, pres, follow_ups, final: mmn_patient(
        baseline, posts, pres=pres[: max(len(posts) - 1, 0)], follow_ups=follow_ups,
        final=final),
    st.integers(0, 20), st.lists(scores | st.none(), max_size=10),
    st.lists(scores | st.none(), max_size=9), st.lists(scores, max_size=3), scores | st.none(),
)
any_patients = structured_patients | patients()

numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(min_value=0, max_value=30))
segments = st.builds(SegmentIn, st.sampled_from(["median", "ulnar", "radial", "peroneal"]),
                     st.sampled_from(["R", "L"]),
                     st.sampled_from(["wrist", "below_elbow", "elbow", "ankle"]),
                     st.sampled_from(["elbow", "above_elbow", "axilla", "fibular_head"]),
                     numbers, numbers, numbers, numbers, numbers, numbers, numbers, numbers)
titres = st.builds(TitreIn, dates, st.sampled_from(["gm1", "mag", "sgpg", "odd"]),
                   st.sampled_from(["IgM", "IgG"]), st.sampled_from(["elisa", "tlc"]),
                   st.decimals(allow_nan=True, allow_infinity=True),
                   st.sampled_from(["dilution", "btu", "au"]))
rule_sets = st.builds(
    RuleSet,
    version=st.just("prop"),
    target_count=st.integers(0, 7),
    dramatic_mean_gain=st.floats(1.0, 3.0),
    mild_mean_gain=st.floats(0.1, 1.0),
    min_step=st.integers(1, 3),
    plateau_window=st.integers(0, 3),
    wear_off_drop=st.integers(1, 3),
    no_response_min_series=st.integers(1, 4),
)


@given(any_patients, st.sampled_from([RuleSet(), RuleSet(min_step=2)]))
@settings(max_examples=300, deadline=None)
def test_n_star_is_always_a_beneficial_series(patient, rules):
    result = compute_outcome(patient, rules=rules, thresholds=DEFAULT_THRESHOLDS,
                             block_criteria=SEED_1_BLOCKS).as_dict()
    if result["n_star"] is not None:
        assert result["n_star"] in result["beneficial_series"]
        assert result["n_star"] == max(result["beneficial_series"])
    beneficial_rows = [s["number"] for s in result["series"] if s["beneficial"]]
    assert beneficial_rows == result["beneficial_series"]


@given(any_patients)
@settings(max_examples=300, deadline=None)
def test_appending_an_evaluation_visit_equal_to_the_best_score_adds_no_beneficial_series(
        patient):
    outcome = compute_outcome(patient, **SEED_INPUTS)
    if outcome.baseline_score is None or not patient.series:
        return
    targets = outcome.target_muscles
    points = evaluation_points(patient.visits, patient.series, targets, rules=SEED_1)
    best = max([outcome.baseline_score, *(p.score for p in points)])
    last_start = max(s.started_on for s in patient.series)
    on = max([v.visited_on for v in patient.visits] + [last_start + timedelta(days=43)])
    spread = grades(best, targets)
    assert sum(spread.values()) == best
    extra = VisitIn(id=max(v.id for v in patient.visits) + 1, visited_on=on + timedelta(days=1),
                    kind="follow_up", mrc=spread)
    longer = replace(patient, visits=(*patient.visits, extra))
    after = compute_outcome(longer, **SEED_INPUTS)
    assert set(after.beneficial_series) <= set(outcome.beneficial_series)
    assert evaluation_points(longer.visits, longer.series, targets,
                             rules=SEED_1)[-1].visit_id == extra.id


@given(st.integers(-60, 60), st.integers(-60, 60), st.integers(1, 15), rule_sets)
def test_response_grade_is_monotone_in_gain(a, b, targets, rules):
    low, high = sorted((a, b))
    assert GRADE_RANK[response_grade(low, targets, rules=rules)] <= GRADE_RANK[
        response_grade(high, targets, rules=rules)]


@given(patients(weird=True), st.lists(titres, max_size=5),
       st.lists(st.builds(StudyIn, dates, st.lists(segments, max_size=4).map(tuple)),
                max_size=3),
       st.sampled_from(sorted(BLOCK_CRITERIA)), rule_sets | st.just(RuleSet()))
@settings(max_examples=400, deadline=None)
def test_compute_outcome_never_raises_and_is_plain_json(patient, titre_list, studies,
                                                        criteria, rules):
    patient = replace(patient, titres=tuple(titre_list), studies=tuple(studies))
    result = compute_outcome(patient, rules=rules, block_criteria=BLOCK_CRITERIA[criteria],
                             thresholds=DEFAULT_THRESHOLDS).as_dict()
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text) == result
    assert compute_outcome(patient, rules=rules, block_criteria=BLOCK_CRITERIA[criteria],
                           thresholds=DEFAULT_THRESHOLDS).as_dict() == result


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1e9,
                   max_value=1e9))
def test_titre_values_become_plain_json_numbers(value):
    patient = PatientIn(diagnosis="mmn", titres=(TitreIn(ORIGIN, "gm1", "IgM", "elisa", value),))
    shown = compute_outcome(patient, **SEED_INPUTS).as_dict()["titres_before_ivig"][0]["value"]
    assert type(shown) in (int, float)
    assert (type(shown) is int) == (value == value.to_integral_value())
    assert Decimal(str(shown)) == value or abs(float(value) - shown) < 1e-6


# clinical-rules.md §4 as amended: properties over any segment values.
@given(segments, st.sampled_from(sorted(BLOCK_CRITERIA)))
@settings(max_examples=300, deadline=None)
def test_a_sural_segment_is_never_a_block_whatever_its_values(segment, criteria):
    assert segment_block(replace(segment, nerve="sural"),
                         criteria=BLOCK_CRITERIA[criteria]) == "not_assessable"


@given(segments)
@settings(max_examples=400, deadline=None)
def test_an_efns_block_is_never_called_on_a_distal_cmap_below_the_floor(segment):
    efns = BLOCK_CRITERIA["efns-pns-2010"]
    state = segment_block(segment, criteria=efns)
    if state in ("definite_block", "probable_block"):
        distal, lln = segment.distal_amplitude_mv, segment.lower_limit_amplitude_mv
        assert distal > efns.min_distal_amplitude_mv
        assert distal > efns.min_distal_fraction_of_lln * lln


@settings(max_examples=400, deadline=None)
@given(patients(), st.booleans())
def test_series_visits_finds_the_visits_pre_visit_and_post_visit_find(patient, weird_order):
    from treatments.rules.visits import ordered_series, post_visit, pre_visit, series_visits

    visits = patient.visits[::-1] if weird_order else patient.visits
    found = series_visits(visits, patient.series, rules=SEED_1)
    numbers = [s.number for s in ordered_series(patient.series)]
    assert list(found) == numbers
    for number in numbers:
        assert found[number] == (pre_visit(visits, patient.series, number, rules=SEED_1),
                                 post_visit(visits, patient.series, number, rules=SEED_1))


@settings(max_examples=400, deadline=None)
@given(patients(weird=True))
def test_series_visits_agrees_on_duplicate_ids_and_numbers(patient):
    from treatments.rules.visits import ordered_series, post_visit, pre_visit, series_visits

    found = series_visits(patient.visits, patient.series, rules=SEED_1)
    for number in [s.number for s in ordered_series(patient.series)]:
        pre, post = found[number]
        assert pre is pre_visit(patient.visits, patient.series, number, rules=SEED_1)
        assert post is post_visit(patient.visits, patient.series, number, rules=SEED_1)


SUM_MUSCLE_SIDES = [(m, s) for m in SEED_1.sum_score_muscles for s in ("R", "L")]
small = st.none() | st.integers(0, 5)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(SUM_MUSCLE_SIDES + MUSCLE_SIDES), st.integers(0, 5)),
       small, small, small, small, st.none() | st.integers(0, 100),
       st.none() | st.decimals(0, 80, places=1), st.none() | st.decimals(0, 80, places=1),
       small, st.lists(st.sampled_from(MUSCLE_SIDES), max_size=4, unique=True))
def test_a_scale_scores_every_visit_as_plain_score_does(
        grid, incat_arm, incat_leg, onls_arm, onls_leg, irods, grip_right, grip_left, prineas,
        targets):
    from treatments.rules.measures import Measure, measure_scale, plain_score

    visit = VisitIn(id=1, visited_on=ORIGIN, kind="follow_up", mrc=grid, prineas_score=prineas,
                    incat_arm=incat_arm, incat_leg=incat_leg, onls_arm=onls_arm,
                    onls_leg=onls_leg, irods_centile=irods, grip_right_kpa=grip_right,
                    grip_left_kpa=grip_left)
    for measure in Measure:
        if measure == Measure.ADJUSTED_INCAT:
            continue  # scored against the baseline, not by plain_score
        scale = measure_scale(measure, [visit], (), targets=targets, rules=SEED_1)
        assert scale.score_of(visit) == plain_score(measure, visit, targets=targets,
                                                    rules=SEED_1)
        assert scale.score_of(None) is None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.builds(SeriesIn, st.integers(1, 12), dates, st.integers(1, 7),
                          dose_g_per_kg=st.none() | st.decimals("0.1", "2.5", places=3)),
                max_size=12))
def test_dose_intensities_are_dose_intensity_of_each_series(series):
    from treatments.rules.course import dose_intensities, dose_intensity
    from treatments.rules.visits import ordered_series

    found = dose_intensities(series)
    assert found == {s.number: dose_intensity(series, s.number)
                     for s in ordered_series(series)}


measured_visits = st.lists(st.builds(
    VisitIn, id=st.integers(1, 6), visited_on=dates, kind=st.sampled_from(KINDS),
    series_number=st.none() | st.integers(1, 4),
    mrc=st.dictionaries(st.sampled_from(SUM_MUSCLE_SIDES + MUSCLE_SIDES), st.integers(0, 5)),
    prineas_score=small, incat_arm=small, incat_leg=small, onls_arm=small, onls_leg=small,
    irods_centile=st.none() | st.integers(0, 100),
    grip_right_kpa=st.none() | st.decimals(0, 80, places=1),
    grip_left_kpa=st.none() | st.decimals(0, 80, places=1),
), max_size=10)


@settings(max_examples=300, deadline=None)
@given(measured_visits, series_list(max_size=4),
       st.lists(st.sampled_from(MUSCLE_SIDES), max_size=4, unique=True))
def test_a_scored_scale_scores_every_visit_as_its_scale_does(visits, series, targets):
    from treatments.rules.measures import (
        Measure,
        measure_scale,
        measure_summary,
        ordered_summary,
        scored_scale,
        visit_values,
    )
    from treatments.rules.visits import visit_order

    visits = tuple(visits) + tuple(visits[:1])  # one visit twice: the same object
    stranger = VisitIn(id=99, visited_on=ORIGIN, kind="follow_up", incat_arm=1, incat_leg=2,
                       mrc={ms: 3 for ms in MUSCLE_SIDES})
    in_order = tuple(sorted(visits, key=visit_order))
    for measure in Measure:
        scale = measure_scale(measure, visits, series, targets=targets, rules=SEED_1)
        scored = scored_scale(scale, visits)
        expected = [scale.score_of(v) for v in visits]
        assert [scored.score_of(v) for v in visits] == expected
        assert visit_values(scored, visits) == expected  # the visits it scored, as given
        assert visit_values(scored, list(visits)) == expected  # the same visits, another list
        assert visit_values(scale, visits) == expected  # a plain scale
        # Equal visits that are other objects, and a visit never seen, are scored anew.
        assert [scored.score_of(replace(v)) for v in visits] == expected
        assert scored.score_of(stranger) == scale.score_of(stranger)
        assert scored.score_of(None) is None
        summary = measure_summary(scale, visits, series, rules=SEED_1)
        assert ordered_summary(scored, in_order, series) == summary
        assert measure_summary(scored, visits, series, rules=SEED_1) == summary
