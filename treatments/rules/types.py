"""Plain data the clinical rules read and write (no ORM, no Django).

A selector turns database rows into these; the rules compute an ``Outcome``;
a service stores ``Outcome.as_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from catalogues import (  # noqa: F401 - the judgements' codes, defined once there
    BlockEvolutionState,
    BlockState,
    DisabilityResult,
    Grade,
    Measure,
    Status,
    TailoringResult,
)

MuscleSide = tuple[str, str]  # (muscle code, side code), e.g. ("deltoid", "R")

# clinical-rules.md §9: the MRC sum score's muscles (Kleyweg 1991), both sides → 0–60.
KLEYWEG_MUSCLES: tuple[str, ...] = (
    "deltoid", "biceps", "wrist_extensors", "iliopsoas", "quadriceps", "tibialis_anterior",
)


@dataclass(frozen=True)
class RuleSet:
    """Thresholds of the MRC / disability / series rules (clinical-rules.md §2, §3, §6)."""

    version: str = "seed-1"
    target_count: int = 5
    dramatic_mean_gain: float = 2.0
    mild_mean_gain: float = 1.0
    min_step: int = 1
    plateau_window: int = 2
    wear_off_drop: int = 1
    no_response_min_series: int = 3
    disability_improved_change: int = -1
    disability_deteriorated_change: int = 1
    # Superseded by ``interval_min_factor`` / ``interval_max_factor`` (§10: relative to
    # the expected interval); kept so that stored rule sets naming them still load.
    interval_min_days: int = 21
    interval_max_days: int = 42
    # The block criteria set this rule set judges conduction blocks by (§4: "default:
    # the rule set's"); ``?criteria=`` chooses another for one view.
    block_criteria: str = "seed-1"
    # clinical-rules.md §9. The MCID of each measure (``mrc_targets``' is ``min_step``),
    # the MRC sum score's muscles, and the primary measure per diagnosis as
    # (diagnosis, measure) pairs. Empty (seed-1, which predates §9): every diagnosis is
    # judged on ``mrc_targets``, exactly as before (docs/rules-decisions.md, "§9 measures").
    mcid_mrc_sum: int = 2
    mcid_incat: int = 1
    mcid_adjusted_incat: int = 1
    mcid_irods: int = 4
    mcid_grip: int = 8
    mcid_onls: int = 1
    mcid_prineas: int = 1
    sum_score_muscles: tuple[str, ...] = KLEYWEG_MUSCLES
    primary_measures: tuple[tuple[str, str], ...] = ()

    def mcid(self, measure: str) -> int:
        """The measure's minimal clinically important difference (§9)."""
        if measure == Measure.MRC_TARGETS:
            return self.min_step
        return int(getattr(self, f"mcid_{measure}"))

    def primary_measure_for(self, diagnosis: str) -> Measure:
        """The primary measure of a diagnosis (§9); none named → ``mrc_targets``."""
        return Measure(dict(self.primary_measures).get(diagnosis, Measure.MRC_TARGETS))

    # clinical-rules.md §10 (treatment course). The interval flag is relative to the
    # previous series' expected interval (28 days → 21–42, as interval_min/max_days).
    interval_min_factor: float = 0.75
    interval_max_factor: float = 1.5
    round_grams_iv: int = 5  # prescribed grams rounded to this step (Ontario's IG programme)
    round_grams_sc: int = 1
    overdue_grace_days: int = 7  # for ``sc`` the grace is the series' expected interval
    relapse_window_days: int = 180  # tailoring episodes (§10)

    def round_grams(self, route: str) -> int:
        return self.round_grams_sc if route == "sc" else self.round_grams_iv


@dataclass(frozen=True)
class BlockCriteria:
    """One conduction-block criteria set (clinical-rules.md §4), thresholds as data.

    ``kind`` selects which of the two rule shapes the thresholds feed:
    ``simple`` (seed-1: amplitude, area and duration) or ``efns`` (definite /
    probable with lower limits of normal).
    """

    code: str
    kind: str  # "simple" | "efns"
    amplitude_drop_gt: float | None = None
    area_drop_gt: float | None = None
    duration_change_abs_lt: float | None = None
    definite_area_drop_ge: float | None = None
    probable_area_drop_ge: float | None = None
    max_duration_increase: float | None = None
    min_distal_amplitude_mv: float | None = None
    min_distal_fraction_of_lln: float | None = None
    excluded_sites: tuple[str, ...] = ()
    long_segment_nerves: tuple[str, ...] = ()
    # Added by the rules engine (see docs/rules-decisions.md, "Conduction block"):
    # nerves where a definite block may be found (empty = any nerve), and the
    # (distal_site, proximal_site) pairs that make a "long" segment (empty = any
    # segment of a ``long_segment_nerves`` nerve).
    definite_nerves: tuple[str, ...] = ()
    long_segment_site_pairs: tuple[tuple[str, str], ...] = ()
    # A probable block also needs the distal CMAP above the definite floor (> 1 mV and
    # > 20 % of the lower limit): a block on an unreliable CMAP is not called (§4).
    probable_needs_distal_floor: bool = True


# The rows of a history (series, visits, titres, studies…) are slotted: a frozen
# dataclass with a ``__dict__`` took 2.3 µs to build, a slotted one 1.3 µs, and the
# consumption report builds 140,000 series a year at 100,000 patients (issue 19).
@dataclass(frozen=True, slots=True)
class SeriesIn:
    number: int
    started_on: date
    days: int
    status: str = "given"  # "given" | "stopped"
    stopped_for_adverse_event: bool = False
    # clinical-rules.md §10
    route: str = "iv"  # "iv" | "sc"
    regimen: str = "maintenance"  # "loading" | "maintenance"
    expected_interval_days: int = 28
    dose_g_per_kg: Decimal | None = None
    # The record and its body weight, for the data-quality rules (§11, ``rules.quality``).
    id: int | None = None
    weight_kg: Decimal | None = None


@dataclass(frozen=True, slots=True)
class VisitIn:
    id: int
    visited_on: date
    kind: str  # baseline | pre_series | post_series | follow_up | final
    series_number: int | None = None  # the linked series, for pre/post visits
    mrc: dict[MuscleSide, int] = field(default_factory=dict)
    functional_score: int | None = None
    prineas_score: int | None = None
    # clinical-rules.md §9 scales.
    incat_arm: int | None = None
    incat_leg: int | None = None
    irods_centile: int | None = None
    irods_raw: int | None = None
    grip_right_kpa: Decimal | None = None
    grip_left_kpa: Decimal | None = None
    onls_arm: int | None = None
    onls_leg: int | None = None


@dataclass(frozen=True, slots=True)
class TitreIn:
    sampled_on: date
    antigen: str
    isotype: str
    method: str
    value: Decimal
    unit: str = "dilution"
    id: int | None = None  # the record, for the data-quality rules (§11)


@dataclass(frozen=True, slots=True)
class ThresholdIn:
    antigen: str
    isotype: str
    method: str
    unit: str
    value: Decimal
    center: int | None = None  # the centre whose laboratory it is for; None: all centres


@dataclass(frozen=True, slots=True)
class SegmentIn:
    nerve: str
    side: str
    distal_site: str = ""
    proximal_site: str = ""
    distal_amplitude_mv: float | None = None
    proximal_amplitude_mv: float | None = None
    distal_area_mvms: float | None = None
    proximal_area_mvms: float | None = None
    distal_duration_ms: float | None = None
    proximal_duration_ms: float | None = None
    velocity_m_s: float | None = None
    lower_limit_amplitude_mv: float | None = None  # reference data, efns only


@dataclass(frozen=True, slots=True)
class StudyIn:
    studied_on: date
    segments: tuple[SegmentIn, ...] = ()


@dataclass(frozen=True, slots=True)
class PriorTreatmentIn:
    kind: str  # a code of ``catalogues.PRIOR_TREATMENTS``
    started_on: date | None = None
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class TailoringIn:
    """A dose-tailoring episode (clinical-rules.md §10)."""

    id: int
    kind: str  # a code of ``catalogues.TAILORING_KINDS``
    started_on: date
    ended_on: date | None = None


@dataclass(frozen=True)
class PatientIn:
    diagnosis: str
    series: tuple[SeriesIn, ...] = ()
    visits: tuple[VisitIn, ...] = ()
    titres: tuple[TitreIn, ...] = ()
    studies: tuple[StudyIn, ...] = ()
    pinned_targets: tuple[MuscleSide, ...] = ()
    center: int | None = None  # picks the centre's own titre thresholds (§5)
    prior_treatments: tuple[PriorTreatmentIn, ...] = ()
    primary_measure: str | None = None  # pinned on the patient (§9); None: the rule set's
    tailoring: tuple[TailoringIn, ...] = ()
