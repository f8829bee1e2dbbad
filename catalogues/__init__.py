"""Code catalogues of the registry (clinical-rules.md §7, api.md choice fields): the one
definition of every code list.

Plain Python on purpose (no Django, no app): the models build their choices from these
tuples, and the pure clinical rules (``treatments.rules``) import them — the judgements'
codes are StrEnums here, and their choices are made from those enums, so a code exists
once. A catalogue may grow; codes never change.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

Choices = tuple[tuple[str, str], ...]


def enum_choices(labels: Mapping[StrEnum, str]) -> Choices:
    """Choices from a StrEnum's members and their labels, in the enum's order."""
    members = list(type(next(iter(labels))))
    missing = [m for m in members if m not in labels]
    if missing:  # pragma: no cover - caught at import time
        raise ValueError(f"no label for {missing}")
    return tuple((m.value, labels[m]) for m in members)


class Grade(StrEnum):
    """Response grades (clinical-rules.md §2)."""

    DRAMATIC = "dramatic"
    MILD = "mild"
    SLIGHT = "slight"
    NONE = "none"
    DETERIORATION = "deterioration"
    # The grades of every §9 measure but ``mrc_targets`` (clinical-rules.md §9).
    IMPROVED = "improved"
    STABLE = "stable"
    DETERIORATED = "deteriorated"


class Status(StrEnum):
    """Outcome statuses (clinical-rules.md §2)."""

    INSUFFICIENT_DATA = "insufficient_data"
    DETERIORATING = "deteriorating"
    NO_RESPONSE = "no_response"
    PLATEAU = "plateau"
    IMPROVING = "improving"
    ON_TREATMENT = "on_treatment"
    STABLE_ON_TREATMENT = "stable_on_treatment"
    NOT_EVALUABLE = "not_evaluable"
    OFF_TREATMENT = "off_treatment"  # after a tolerated withdrawal (§10)


class TailoringResult(StrEnum):
    """The result of a dose-tailoring episode (clinical-rules.md §10)."""

    ONGOING = "ongoing"
    RELAPSE = "relapse"
    TOLERATED = "tolerated"
    NOT_ASSESSED = "not_assessed"
    NOT_ASSESSABLE = "not_assessable"


class BlockState(StrEnum):
    """Conduction-block states of a segment (clinical-rules.md §4)."""

    PARTIAL_BLOCK = "partial_block"
    DEFINITE_BLOCK = "definite_block"
    PROBABLE_BLOCK = "probable_block"
    NO_BLOCK = "no_block"
    NOT_ASSESSABLE = "not_assessable"


class BlockEvolutionState(StrEnum):
    """How a segment's block changed between the first and latest study (§4)."""

    PERSISTING = "persisting"
    RESOLVED = "resolved"
    NEW = "new"


class ConsentState(StrEnum):
    """A patient's consent for secondary use (clinical-rules.md §8; ``patients.consent``)."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    NOT_RECORDED = "not_recorded"


class Measure(StrEnum):
    """Outcome measures (clinical-rules.md §9): each judged with its MCID."""

    MRC_TARGETS = "mrc_targets"
    MRC_SUM = "mrc_sum"
    INCAT = "incat"
    ADJUSTED_INCAT = "adjusted_incat"
    IRODS = "irods"
    GRIP = "grip"
    ONLS = "onls"
    PRINEAS = "prineas"


class DisabilityResult(StrEnum):
    """Disability-score change (clinical-rules.md §3)."""

    IMPROVED = "improved"
    STABLE = "stable"
    DETERIORATED = "deteriorated"


SIDES: Choices = (("R", "Right"), ("L", "Left"))

SEXES: Choices = (("M", "Male"), ("F", "Female"))

DIAGNOSES: Choices = (
    ("mmn", "Multifocal motor neuropathy"),
    ("igm_mgus_pn", "Polyneuropathy with IgM monoclonal gammopathy"),
    ("igg_mgus_pn", "Polyneuropathy with IgG monoclonal gammopathy"),
    ("cidp", "Chronic inflammatory demyelinating polyneuropathy"),
    ("other", "Other"),
)

NEUROPATHY_PATTERNS: Choices = (
    ("demyelinating", "Demyelinating"),
    ("axonal", "Axonal"),
    ("mixed", "Mixed"),
)

NERVES: Choices = (
    ("median", "Median"),
    ("ulnar", "Ulnar"),
    ("radial", "Radial"),
    ("musculocutaneous", "Musculocutaneous"),
    ("axillary", "Axillary"),
    ("femoral", "Femoral"),
    ("peroneal", "Peroneal"),
    ("tibial", "Tibial"),
    ("sural", "Sural (sensory)"),
)
# Nerves tested by sensory action potentials: motor conduction-block criteria do not
# apply to them (clinical-rules.md §4).
SENSORY_NERVES: frozenset[str] = frozenset({"sural"})

# MRC grades run 0 (no contraction) to 5 (normal power) (§2).
MRC_BEST_GRADE = 5

# Order matters: it breaks ties when target muscles are chosen (§2).
MUSCLES: Choices = (
    ("deltoid", "Deltoid"),
    ("biceps", "Biceps"),
    ("triceps", "Triceps"),
    ("wrist_extensors", "Wrist extensors"),
    ("finger_extensors", "Finger extensors"),
    ("finger_flexors", "Finger flexors"),
    ("first_dorsal_interosseous", "First dorsal interosseous"),
    ("abductor_pollicis_brevis", "Abductor pollicis brevis"),
    ("abductor_digiti_minimi", "Abductor digiti minimi"),
    ("iliopsoas", "Iliopsoas"),
    ("quadriceps", "Quadriceps"),
    ("hamstrings", "Hamstrings"),
    ("tibialis_anterior", "Tibialis anterior"),
    ("extensor_hallucis_longus", "Extensor hallucis longus"),
    ("gastrocnemius", "Gastrocnemius"),
)

ANTIGENS: Choices = (
    ("gm1", "GM1"),
    ("asialo_gm1", "Asialo-GM1"),
    ("gd1a", "GD1a"),
    ("gd1b", "GD1b"),
    ("gm2", "GM2"),
    ("gq1b", "GQ1b"),
    ("mag", "MAG"),
    ("sgpg", "SGPG"),
    ("sulfatide", "Sulphatides"),
)

ISOTYPES: Choices = (("IgM", "IgM"), ("IgG", "IgG"), ("IgA", "IgA"))

TITRE_METHODS: Choices = (
    ("elisa", "ELISA"),
    ("tlc", "TLC immunodetection"),
    ("western_blot", "Western blot"),
)

# ``dilution`` is the reciprocal titre: 1/3200 is stored as 3200, 0 = negative.
TITRE_UNITS: Choices = (
    ("dilution", "Reciprocal dilution"),
    ("btu", "Bühlmann titre units"),
    ("au", "Arbitrary units"),
)

LIGHT_CHAINS: Choices = (("kappa", "Kappa"), ("lambda", "Lambda"))

PRIOR_TREATMENTS: Choices = (
    ("steroids", "Steroids"),
    ("plasma_exchange", "Plasma exchange"),
    ("immunosuppressant", "Immunosuppressant"),
    ("chlorambucil", "Chlorambucil"),
    ("cyclophosphamide", "Cyclophosphamide"),
    # Already on IVIg or SCIg when the registry's series 1 is recorded (§2:
    # "stable on treatment").
    ("immunoglobulin", "Immunoglobulin"),
    ("other", "Other"),
)

SERIES_STATUSES: Choices = (("given", "Given"), ("stopped", "Stopped"))

# clinical-rules.md §10: how a series is given, its place in the course, what it is dosed on.
ROUTES: Choices = (("iv", "Intravenous (IVIg)"), ("sc", "Subcutaneous (SCIg)"))
REGIMENS: Choices = (("loading", "Loading"), ("maintenance", "Maintenance"))
DOSE_BASES: Choices = (
    ("actual", "Actual weight"),
    ("ideal", "Ideal weight (Devine)"),
    ("adjusted", "Adjusted weight"),
)

ADVERSE_EVENT_KINDS: Choices = (
    ("rash", "Allergic rash"),
    ("headache", "Headache"),
    ("fever", "Fever / chills"),
    ("hypertension", "Hypertension"),
    ("thrombosis", "Thrombo-embolic event"),
    ("renal", "Renal impairment"),
    ("meningitis", "Aseptic meningitis"),
    ("anaphylaxis", "Anaphylaxis"),
    ("other", "Other"),
)

SEVERITIES: Choices = (("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe"))

VISIT_KINDS: Choices = (
    ("baseline", "Baseline"),
    ("pre_series", "Before series"),
    ("post_series", "After series"),
    ("follow_up", "Follow-up"),
    ("final", "Final evaluation"),
)

RESPONSE_GRADES: Choices = enum_choices({
    Grade.DRAMATIC: "Dramatic",
    Grade.MILD: "Mild",
    Grade.SLIGHT: "Slight",
    Grade.NONE: "None",
    Grade.DETERIORATION: "Deterioration",
    Grade.IMPROVED: "Improved",
    Grade.STABLE: "Stable",
    Grade.DETERIORATED: "Deteriorated",
})

MEASURES: Choices = enum_choices({
    Measure.MRC_TARGETS: "MRC target muscles (sum)",
    Measure.MRC_SUM: "MRC sum score",
    Measure.INCAT: "INCAT disability scale",
    Measure.ADJUSTED_INCAT: "Adjusted INCAT",
    Measure.IRODS: "I-RODS (centile)",
    Measure.GRIP: "Grip strength (kPa, mean of both hands)",
    Measure.ONLS: "ONLS",
    Measure.PRINEAS: "Neurological score (Prineas)",
})
# Which way is better on each scale (§9 "better is").
MEASURE_BETTER: dict[str, str] = {
    Measure.MRC_TARGETS: "higher", Measure.MRC_SUM: "higher", Measure.INCAT: "lower",
    Measure.ADJUSTED_INCAT: "lower", Measure.IRODS: "higher", Measure.GRIP: "higher",
    Measure.ONLS: "lower", Measure.PRINEAS: "lower",
}
# The best value of each scale (§2/§9 ``not_evaluable``: a baseline within one MCID of it
# cannot improve); None: no ceiling (grip has no "normal" maximum, mrc_targets depends on
# the number of targets and is §2's own rule).
MEASURE_BEST: dict[str, int | None] = {
    Measure.MRC_TARGETS: None, Measure.MRC_SUM: 60, Measure.INCAT: 0,
    Measure.ADJUSTED_INCAT: 0, Measure.IRODS: 100, Measure.GRIP: None, Measure.ONLS: 0,
    Measure.PRINEAS: 0,
}

OUTCOME_STATUSES: Choices = enum_choices({
    Status.INSUFFICIENT_DATA: "Insufficient data",
    Status.DETERIORATING: "Deteriorating",
    Status.NO_RESPONSE: "No response",
    Status.PLATEAU: "Plateau",
    Status.IMPROVING: "Improving",
    Status.ON_TREATMENT: "On treatment",
    Status.STABLE_ON_TREATMENT: "Stable on treatment",
    Status.NOT_EVALUABLE: "Not evaluable",
    Status.OFF_TREATMENT: "Off treatment",
})

# An attempt to lower the treatment (clinical-rules.md §10, EAN/PNS 2021).
TAILORING_KINDS: Choices = (
    ("dose_reduction", "Dose reduction"),
    ("interval_extension", "Interval extension"),
    ("withdrawal", "Withdrawal (trial off)"),
)

TAILORING_RESULTS: Choices = enum_choices({
    TailoringResult.ONGOING: "Ongoing",
    TailoringResult.RELAPSE: "Relapse",
    TailoringResult.TOLERATED: "Tolerated",
    TailoringResult.NOT_ASSESSED: "Not assessed (no visit in the window)",
    TailoringResult.NOT_ASSESSABLE: "Not assessable (no reference value)",
})

DISABILITY_RESULTS: Choices = enum_choices({
    DisabilityResult.IMPROVED: "Improved",
    DisabilityResult.STABLE: "Stable",
    DisabilityResult.DETERIORATED: "Deteriorated",
})

BLOCK_STATES: Choices = enum_choices({
    BlockState.PARTIAL_BLOCK: "Partial conduction block",
    BlockState.DEFINITE_BLOCK: "Definite conduction block",
    BlockState.PROBABLE_BLOCK: "Probable conduction block",
    BlockState.NO_BLOCK: "No block",
    BlockState.NOT_ASSESSABLE: "Not assessable",
})

BLOCK_EVOLUTIONS: Choices = enum_choices({
    BlockEvolutionState.PERSISTING: "Persisting",
    BlockEvolutionState.RESOLVED: "Resolved",
    BlockEvolutionState.NEW: "New",
})


CONSENT_STATES: Choices = enum_choices({
    ConsentState.GIVEN: "given",
    ConsentState.WITHDRAWN: "withdrawn",
    ConsentState.NOT_RECORDED: "not recorded",
})


# Data-quality queries (clinical-rules.md §11): the rules that raise them, ``manual`` for a
# data manager's own, their states and why one was closed.
QUERY_RULES: Choices = (
    ("target_grade_missing", "A visit lacks a grade for a target muscle"),
    ("mrc_jump", "An MRC grade changes by 3 or more"),
    ("weight_change", "The weight changes by more than 10 %"),
    ("interval", "Interval between series flagged"),
    ("post_score_missing", "A loading series has no post score"),
    ("titre_threshold_missing", "A titre's assay has no threshold"),
    ("manual", "Raised by a data manager"),
)
QUERY_STATUSES: Choices = (("open", "Open"), ("answered", "Answered"), ("closed", "Closed"))
QUERY_CLOSE_REASONS: Choices = (
    ("auto", "Closed automatically: the data no longer show it"),
    ("confirmed", "Confirmed: the data are right"),
    ("resolved", "Resolved"),
)


def codes(choices: Choices) -> tuple[str, ...]:
    return tuple(code for code, _ in choices)


def label(choices: Choices, code: str) -> str:
    return dict(choices).get(code, code)


MUSCLE_ORDER: dict[str, int] = {code: i for i, (code, _) in enumerate(MUSCLES)}
