"""Conduction block on nerve-conduction studies (clinical-rules.md §4).

A criteria set is a ``BlockCriteria`` row; ``kind`` picks one of the two rule
shapes below, so a new set is new data, not new code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from catalogues import SENSORY_NERVES
from treatments.rules.defaults import (
    BLOCK_CRITERIA,
    EFNS_PNS_2010_BLOCKS,
    SEED_1_BLOCKS,
)
from treatments.rules.types import (
    BlockCriteria,
    BlockEvolutionState,
    BlockState,
    SegmentIn,
    StudyIn,
)

__all__ = [
    "BLOCK_CRITERIA",
    "EFNS_PNS_2010_BLOCKS",
    "SEED_1_BLOCKS",
    "BlockEvolution",
    "SegmentEvolution",
    "SegmentKey",
    "block_evolution",
    "is_block",
    "segment_block",
    "segment_key",
]

BLOCK_STATES = (BlockState.PARTIAL_BLOCK, BlockState.DEFINITE_BLOCK, BlockState.PROBABLE_BLOCK)

SegmentKey = tuple[str, str, str, str]  # nerve, side, distal_site, proximal_site


@dataclass(frozen=True)
class Drops:
    amplitude_drop: float
    area_drop: float
    duration_change: float


@dataclass(frozen=True)
class SegmentEvolution:
    nerve: str
    side: str
    distal_site: str
    proximal_site: str
    first: BlockState | None  # None: the segment was not measured at that study
    latest: BlockState | None
    state: BlockEvolutionState | None  # None: cannot be told (see docstring)


@dataclass(frozen=True)
class BlockEvolution:
    criteria: str
    first_study: int | None  # number of blocks at the first study
    latest_study: int | None
    first_studied_on: date | None
    latest_studied_on: date | None
    segments: tuple[SegmentEvolution, ...]


def _site(value: str) -> str:
    return "_".join(value.strip().lower().replace("-", " ").split())


def segment_key(segment: SegmentIn) -> SegmentKey:
    """Identity of a segment across studies: nerve, side and both stimulation sites."""
    return (segment.nerve, segment.side, _site(segment.distal_site), _site(segment.proximal_site))


def _drops(segment: SegmentIn) -> Drops | None:
    values = (
        segment.distal_amplitude_mv, segment.proximal_amplitude_mv,
        segment.distal_area_mvms, segment.proximal_area_mvms,
        segment.distal_duration_ms, segment.proximal_duration_ms,
    )
    numbers = [float(v) for v in values if v is not None]
    if len(numbers) != len(values) or not all(math.isfinite(v) for v in numbers):
        return None
    d_amp, p_amp, d_area, p_area, d_dur, p_dur = numbers
    if d_amp <= 0 or d_area <= 0 or d_dur <= 0:
        return None
    # Rounded so that a value typed as exactly 15 % is 15 %, not 14.999…: the
    # thresholds are strict on one side and binary floats would tip them.
    return Drops(round(1 - p_amp / d_amp, 9), round(1 - p_area / d_area, 9),
                 round(p_dur / d_dur - 1, 9))


def _matches(pattern: str, key: SegmentKey) -> bool:
    """``nerve:distal_site:proximal_site``, ``*`` for any part."""
    parts = pattern.split(":")
    if len(parts) != 3:
        return False
    nerve, distal, proximal = parts
    return all(
        want == "*" or want == have
        for want, have in ((nerve, key[0]), (_site(distal), key[2]), (_site(proximal), key[3]))
    )


def _simple(drops: Drops, criteria: BlockCriteria) -> BlockState:
    # A threshold left empty is a criterion the set does not use.
    checks = (
        criteria.amplitude_drop_gt is None or drops.amplitude_drop > criteria.amplitude_drop_gt,
        criteria.area_drop_gt is None or drops.area_drop > criteria.area_drop_gt,
        criteria.duration_change_abs_lt is None
        or abs(drops.duration_change) < criteria.duration_change_abs_lt,
    )
    return BlockState.PARTIAL_BLOCK if all(checks) else BlockState.NO_BLOCK


def _efns(segment: SegmentIn, drops: Drops, criteria: BlockCriteria) -> BlockState:
    lln = segment.lower_limit_amplitude_mv
    if lln is None or not math.isfinite(lln) or lln <= 0:
        return BlockState.NOT_ASSESSABLE
    key = segment_key(segment)
    if any(_matches(pattern, key) for pattern in criteria.excluded_sites):
        return BlockState.NO_BLOCK
    max_increase = criteria.max_duration_increase
    duration_ok = max_increase is None or drops.duration_change <= max_increase
    distal = float(segment.distal_amplitude_mv or 0.0)
    amplitude_ok = (
        (criteria.min_distal_amplitude_mv is None or distal > criteria.min_distal_amplitude_mv)
        and (criteria.min_distal_fraction_of_lln is None
             or distal > criteria.min_distal_fraction_of_lln * lln)
    )
    definite_nerve = not criteria.definite_nerves or segment.nerve in criteria.definite_nerves
    long_segment = segment.nerve in criteria.long_segment_nerves and (
        not criteria.long_segment_site_pairs
        or (key[2], key[3]) in {(_site(d), _site(p)) for d, p in criteria.long_segment_site_pairs}
    )
    if not (definite_nerve or long_segment):
        # No clause of the set covers this nerve and segment: saying ``no_block`` would
        # assert that no block is present (§4).
        return BlockState.NOT_ASSESSABLE
    if not amplitude_ok and criteria.probable_needs_distal_floor:
        # Neither a definite nor a probable block can be called on an unreliable distal
        # CMAP (§4), and "no block" cannot be told from it either.
        return BlockState.NOT_ASSESSABLE
    definite_area = criteria.definite_area_drop_ge
    if (definite_area is not None and drops.area_drop >= definite_area and definite_nerve
            and amplitude_ok and duration_ok):
        return BlockState.DEFINITE_BLOCK
    probable_area = criteria.probable_area_drop_ge
    if probable_area is not None and long_segment and drops.area_drop >= probable_area \
            and duration_ok:
        return BlockState.PROBABLE_BLOCK
    if definite_area is not None and drops.area_drop >= definite_area and not duration_ok \
            and definite_nerve:
        return BlockState.PROBABLE_BLOCK
    return BlockState.NO_BLOCK


def segment_block(segment: SegmentIn, *, criteria: BlockCriteria) -> BlockState:
    """Block state of one segment under a criteria set (clinical-rules.md §4).

    Missing any of the six values (or a non-positive distal value) is
    ``not_assessable``, never a block; so is a missing lower limit of normal for
    ``efns`` sets, and a segment of a sensory nerve (sural) under every set: the
    criteria are motor ones. A drop at an excluded (entrapment) site is ``no_block``.
    """
    if segment.nerve in SENSORY_NERVES:
        return BlockState.NOT_ASSESSABLE
    drops = _drops(segment)
    if drops is None:
        return BlockState.NOT_ASSESSABLE
    if criteria.kind == "simple":
        return _simple(drops, criteria)
    if criteria.kind == "efns":
        return _efns(segment, drops, criteria)
    raise ValueError(f"unknown conduction-block rule shape {criteria.kind!r}")


def is_block(state: BlockState | None) -> bool:
    return state in BLOCK_STATES


def _evolution_state(first: BlockState | None, latest: BlockState | None
                     ) -> BlockEvolutionState | None:
    if is_block(first) and is_block(latest):
        return BlockEvolutionState.PERSISTING
    if is_block(first) and latest == BlockState.NO_BLOCK:
        return BlockEvolutionState.RESOLVED
    if first == BlockState.NO_BLOCK and is_block(latest):
        return BlockEvolutionState.NEW
    return None


def block_evolution(studies: Sequence[StudyIn], *, criteria: BlockCriteria
                    ) -> BlockEvolution:
    """Each segment blocked at the first or latest study, followed from one to the
    other, and the number of blocks at each (clinical-rules.md §4).

    A state is told only from two assessed values (block / ``no_block``); a segment
    missing or ``not_assessable`` at either end, or a single study, gives ``None``.
    """
    if not studies:
        return BlockEvolution(criteria.code, None, None, None, None, ())
    # Stable sort: of two studies on one day, the later-listed one is the later.
    ordered = sorted(studies, key=lambda s: s.studied_on)
    first, latest = ordered[0], ordered[-1]
    first_states = _states(first, criteria)
    latest_states = _states(latest, criteria)
    single = len(ordered) == 1
    segments = []
    for key in sorted(set(first_states) | set(latest_states)):
        before, after = first_states.get(key), latest_states.get(key)
        if not (is_block(before) or is_block(after)):
            continue
        state = None if single else _evolution_state(before, after)
        segments.append(SegmentEvolution(*key, first=before, latest=after, state=state))
    return BlockEvolution(
        criteria=criteria.code,
        first_study=sum(1 for s in first_states.values() if is_block(s)),
        latest_study=sum(1 for s in latest_states.values() if is_block(s)),
        first_studied_on=first.studied_on,
        latest_studied_on=latest.studied_on,
        segments=tuple(segments),
    )


def _states(study: StudyIn, criteria: BlockCriteria) -> dict[SegmentKey, BlockState]:
    """Block state per segment; a segment measured twice in one study counts as a
    block when either measurement shows one."""
    states: dict[SegmentKey, BlockState] = {}
    rank = {BlockState.NOT_ASSESSABLE: 0, BlockState.NO_BLOCK: 1, BlockState.PROBABLE_BLOCK: 2,
            BlockState.PARTIAL_BLOCK: 3, BlockState.DEFINITE_BLOCK: 3}
    for segment in study.segments:
        key = segment_key(segment)
        state = segment_block(segment, criteria=criteria)
        if key not in states or rank[state] > rank[states[key]]:
            states[key] = state
    return states
