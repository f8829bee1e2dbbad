"""clinical-rules.md §4: conduction block per segment and across studies."""

from dataclasses import replace
from datetime import date

import pytest

from treatments.rules import (
    BLOCK_CRITERIA,
    EFNS_PNS_2010_BLOCKS,
    SEED_1_BLOCKS,
    BlockCriteria,
    SegmentIn,
    StudyIn,
    block_evolution,
    segment_block,
)


def segment(nerve="median", side="R", distal_site="wrist", proximal_site="elbow", *,
            amp=(6.0, 2.0), area=(20.0, 6.0), duration=(5.0, 5.5), lln=4.0):
    return SegmentIn(nerve, side, distal_site, proximal_site,
                     distal_amplitude_mv=amp[0], proximal_amplitude_mv=amp[1],
                     distal_area_mvms=area[0], proximal_area_mvms=area[1],
                     distal_duration_ms=duration[0], proximal_duration_ms=duration[1],
                     lower_limit_amplitude_mv=lln)


BLOCKED = segment()
NORMAL = segment(amp=(6.0, 5.8), area=(20.0, 19.0), duration=(5.0, 5.1))


def test_criteria_sets_are_data_by_code():
    assert BLOCK_CRITERIA == {"seed-1": SEED_1_BLOCKS, "efns-pns-2010": EFNS_PNS_2010_BLOCKS}


# seed-1
def test_seed_partial_block_needs_amplitude_and_area_drop_over_half_and_stable_duration():
    assert segment_block(BLOCKED, criteria=SEED_1_BLOCKS) == "partial_block"


def test_seed_no_block_for_a_normal_segment():
    assert segment_block(NORMAL, criteria=SEED_1_BLOCKS) == "no_block"


def test_seed_a_drop_of_exactly_half_is_not_a_block():
    assert segment_block(segment(amp=(6.0, 3.0)), criteria=SEED_1_BLOCKS) == "no_block"
    assert segment_block(segment(area=(20.0, 10.0)), criteria=SEED_1_BLOCKS) == "no_block"


def test_seed_a_duration_change_of_15_percent_either_way_is_not_a_block():
    assert segment_block(segment(duration=(5.0, 5.75)), criteria=SEED_1_BLOCKS) == "no_block"
    assert segment_block(segment(duration=(5.0, 4.0)), criteria=SEED_1_BLOCKS) == "no_block"
    assert segment_block(segment(duration=(5.0, 4.5)), criteria=SEED_1_BLOCKS) == "partial_block"


@pytest.mark.parametrize("missing", [
    "distal_amplitude_mv", "proximal_amplitude_mv", "distal_area_mvms", "proximal_area_mvms",
    "distal_duration_ms", "proximal_duration_ms",
])
def test_a_missing_value_is_not_assessable_under_both_sets(missing):
    incomplete = replace(BLOCKED, **{missing: None})
    assert segment_block(incomplete, criteria=SEED_1_BLOCKS) == "not_assessable"
    assert segment_block(incomplete, criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"


def test_a_zero_or_non_finite_distal_value_is_not_assessable():
    assert segment_block(segment(amp=(0.0, 0.0)), criteria=SEED_1_BLOCKS) == "not_assessable"
    assert segment_block(segment(area=(float("nan"), 1.0)),
                         criteria=SEED_1_BLOCKS) == "not_assessable"


def test_seed_does_not_need_a_lower_limit_of_normal():
    assert segment_block(replace(BLOCKED, lower_limit_amplitude_mv=None),
                         criteria=SEED_1_BLOCKS) == "partial_block"


def test_a_new_simple_criteria_set_is_only_new_data():
    strict = BlockCriteria(code="strict", kind="simple", amplitude_drop_gt=0.8,
                           area_drop_gt=0.8, duration_change_abs_lt=0.15)
    assert segment_block(BLOCKED, criteria=strict) == "no_block"
    assert segment_block(segment(amp=(6.0, 1.0), area=(20.0, 3.0)),
                         criteria=strict) == "partial_block"


def test_an_unknown_rule_shape_is_refused():
    with pytest.raises(ValueError, match="rule shape"):
        segment_block(BLOCKED, criteria=BlockCriteria(code="x", kind="other"))


# efns-pns-2010
def test_efns_definite_block():
    assert segment_block(BLOCKED, criteria=EFNS_PNS_2010_BLOCKS) == "definite_block"


def test_efns_area_drop_of_exactly_half_is_definite():
    assert segment_block(segment(area=(20.0, 10.0)),
                         criteria=EFNS_PNS_2010_BLOCKS) == "definite_block"


def test_efns_without_a_lower_limit_of_normal_is_not_assessable():
    assert segment_block(replace(BLOCKED, lower_limit_amplitude_mv=None),
                         criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"


def test_efns_probable_with_30_percent_area_drop_over_a_long_upper_limb_segment():
    assert segment_block(segment(area=(20.0, 13.0)),
                         criteria=EFNS_PNS_2010_BLOCKS) == "probable_block"


def test_efns_30_percent_over_a_short_or_lower_limb_segment_is_no_block():
    short = segment(distal_site="below_elbow", proximal_site="above_elbow", area=(20.0, 13.0),
                    nerve="median")
    leg = segment(nerve="peroneal", distal_site="ankle", proximal_site="fibular_head",
                  area=(20.0, 13.0))
    assert segment_block(short, criteria=EFNS_PNS_2010_BLOCKS) == "no_block"
    assert segment_block(leg, criteria=EFNS_PNS_2010_BLOCKS) == "no_block"


def test_efns_probable_with_half_area_drop_and_a_long_duration():
    assert segment_block(segment(duration=(5.0, 7.0)),
                         criteria=EFNS_PNS_2010_BLOCKS) == "probable_block"


def test_efns_definite_needs_a_distal_amplitude_over_1_mv_and_20_percent_of_normal():
    # Without the probable floor (the guideline's letter), a low CMAP over a long segment
    # is still a probable block; below the floor a definite block is never called.
    no_floor = replace(EFNS_PNS_2010_BLOCKS, probable_needs_distal_floor=False)
    low = segment(amp=(1.0, 0.3), area=(5.0, 2.0))
    assert segment_block(low, criteria=no_floor) == "probable_block"  # long segment
    under_lln = segment(amp=(1.5, 0.3), area=(5.0, 2.0), lln=8.0)
    assert segment_block(under_lln, criteria=no_floor) == "probable_block"
    short_low = replace(low, distal_site="below_elbow", proximal_site="above_elbow")
    assert segment_block(short_low, criteria=no_floor) == "no_block"


# clinical-rules.md §4 as amended: a probable block also needs the distal CMAP floor.
def test_efns_probable_block_on_a_0_3_mv_cmap_is_not_called():
    tiny = segment(amp=(0.3, 0.1), area=(1.0, 0.6))  # 40 % area drop, long median segment
    assert segment_block(tiny, criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"


def test_efns_probable_needs_a_distal_cmap_over_1_mv():
    at_floor = segment(amp=(1.0, 0.6), area=(5.0, 3.0))  # 1 mV is not "> 1 mV"
    assert segment_block(at_floor, criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"
    above = segment(amp=(1.1, 0.6), area=(5.0, 3.0))
    assert segment_block(above, criteria=EFNS_PNS_2010_BLOCKS) == "probable_block"


def test_efns_probable_needs_a_distal_cmap_over_20_percent_of_the_lower_limit():
    # 1.5 mV is over 1 mV but not over 20 % of a lower limit of 8 mV (1.6 mV).
    under = segment(amp=(1.5, 0.9), area=(5.0, 3.0), lln=8.0)
    assert segment_block(under, criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"
    assert segment_block(replace(under, lower_limit_amplitude_mv=7.0),
                         criteria=EFNS_PNS_2010_BLOCKS) == "probable_block"  # 1.4 mV floor


def test_efns_probable_with_a_long_duration_also_needs_the_floor():
    dispersed_low = segment(amp=(0.8, 0.3), area=(5.0, 2.0), duration=(5.0, 7.0))
    assert segment_block(dispersed_low, criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"
    no_floor = replace(EFNS_PNS_2010_BLOCKS, probable_needs_distal_floor=False)
    assert segment_block(dispersed_low, criteria=no_floor) == "probable_block"


def test_probable_floor_is_on_by_default():
    assert EFNS_PNS_2010_BLOCKS.probable_needs_distal_floor is True
    assert BlockCriteria(code="x", kind="efns").probable_needs_distal_floor is True


@pytest.mark.parametrize("criteria", [SEED_1_BLOCKS, EFNS_PNS_2010_BLOCKS],
                         ids=lambda c: c.code)
def test_a_sensory_sural_segment_is_not_assessable_under_every_motor_set(criteria):
    sural = segment(nerve="sural", distal_site="ankle", proximal_site="calf",
                    amp=(6.0, 1.0), area=(20.0, 3.0))  # would be a block on a motor nerve
    assert segment_block(sural, criteria=criteria) == "not_assessable"
    assert segment_block(replace(sural, nerve="median"), criteria=SEED_1_BLOCKS) \
        == "partial_block"


def test_a_sural_segment_is_never_counted_as_a_block_across_studies():
    sural = segment(nerve="sural", distal_site="ankle", proximal_site="calf",
                    amp=(6.0, 1.0), area=(20.0, 3.0))
    evolution = block_evolution([study(FIRST, sural), study(LATEST, sural)],
                                criteria=SEED_1_BLOCKS)
    assert (evolution.first_study, evolution.latest_study, evolution.segments) == (0, 0, ())


def test_efns_a_nerve_no_clause_covers_is_not_assessable_never_no_block():
    # tibial: neither a definite nerve (median, ulnar, peroneal) nor an upper-limb nerve.
    tibial = segment(nerve="tibial", distal_site="ankle", proximal_site="knee",
                     area=(20.0, 8.0))
    assert segment_block(tibial, criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"
    # radial over a short segment: only the long-segment clause covers radial.
    radial_short = segment(nerve="radial", distal_site="below_elbow",
                           proximal_site="above_elbow", duration=(5.0, 7.0))
    assert segment_block(radial_short, criteria=EFNS_PNS_2010_BLOCKS) == "not_assessable"


def test_efns_definite_only_in_median_ulnar_and_peroneal():
    radial = segment(nerve="radial", distal_site="forearm", proximal_site="above_elbow")
    assert segment_block(radial, criteria=EFNS_PNS_2010_BLOCKS) == "probable_block"
    peroneal = segment(nerve="peroneal", distal_site="ankle", proximal_site="fibular_head")
    assert segment_block(peroneal, criteria=EFNS_PNS_2010_BLOCKS) == "definite_block"


def test_efns_a_block_at_an_entrapment_site_does_not_count():
    ulnar_elbow = segment(nerve="ulnar", distal_site="Below elbow", proximal_site="above-elbow")
    assert segment_block(ulnar_elbow, criteria=EFNS_PNS_2010_BLOCKS) == "no_block"
    assert segment_block(ulnar_elbow, criteria=SEED_1_BLOCKS) == "partial_block"


# Evolution across studies
def study(on, *segments):
    return StudyIn(on, tuple(segments))


FIRST, LATEST = date(2023, 1, 10), date(2024, 1, 10)


def test_block_evolution_persisting_resolved_and_new():
    ulnar = segment(nerve="ulnar")
    radial = segment(nerve="radial", distal_site="forearm", proximal_site="above_elbow")
    evolution = block_evolution([
        study(LATEST, BLOCKED, replace(NORMAL, nerve="ulnar"), radial),
        study(FIRST, BLOCKED, ulnar, replace(radial, proximal_amplitude_mv=5.9)),
    ], criteria=SEED_1_BLOCKS)
    assert (evolution.first_study, evolution.latest_study) == (2, 2)
    assert (evolution.first_studied_on, evolution.latest_studied_on) == (FIRST, LATEST)
    assert [(s.nerve, s.state) for s in evolution.segments] == [
        ("median", "persisting"), ("radial", "new"), ("ulnar", "resolved")]


def test_a_segment_not_assessable_or_absent_at_one_end_has_no_evolution_state():
    unmeasured = replace(BLOCKED, proximal_area_mvms=None)
    evolution = block_evolution([study(FIRST, BLOCKED), study(LATEST, unmeasured)],
                                criteria=SEED_1_BLOCKS)
    assert [(s.first, s.latest, s.state) for s in evolution.segments] == [
        ("partial_block", "not_assessable", None)]
    evolution = block_evolution([study(FIRST), study(LATEST, BLOCKED)], criteria=SEED_1_BLOCKS)
    assert [(s.first, s.latest, s.state) for s in evolution.segments] == [
        (None, "partial_block", None)]
    assert (evolution.first_study, evolution.latest_study) == (0, 1)


def test_segments_are_identified_by_nerve_side_and_both_sites():
    left = replace(BLOCKED, side="L")
    other_sites = replace(BLOCKED, distal_site="elbow", proximal_site="axilla")
    evolution = block_evolution([study(FIRST, BLOCKED), study(LATEST, left, other_sites)],
                                criteria=SEED_1_BLOCKS)
    assert sorted((s.side, s.distal_site, s.first, s.latest) for s in evolution.segments) == [
        ("L", "wrist", None, "partial_block"), ("R", "elbow", None, "partial_block"),
        ("R", "wrist", "partial_block", None)]


def test_site_names_are_normalised_for_identity():
    renamed = replace(BLOCKED, distal_site=" Wrist ", proximal_site="ELBOW")
    evolution = block_evolution([study(FIRST, BLOCKED), study(LATEST, renamed)],
                                criteria=SEED_1_BLOCKS)
    assert [s.state for s in evolution.segments] == ["persisting"]


def test_no_block_anywhere_lists_no_segment():
    evolution = block_evolution([study(FIRST, NORMAL), study(LATEST, NORMAL)],
                                criteria=SEED_1_BLOCKS)
    assert evolution.segments == ()
    assert (evolution.first_study, evolution.latest_study) == (0, 0)


def test_no_study_gives_no_counts():
    evolution = block_evolution([], criteria=EFNS_PNS_2010_BLOCKS)
    assert (evolution.criteria, evolution.first_study, evolution.latest_study,
            evolution.segments) == ("efns-pns-2010", None, None, ())


def test_block_evolution_follows_the_chosen_criteria_set():
    evolution = block_evolution([study(FIRST, BLOCKED), study(LATEST, BLOCKED)],
                                criteria=EFNS_PNS_2010_BLOCKS)
    assert [(s.latest, s.state) for s in evolution.segments] == [("definite_block", "persisting")]
