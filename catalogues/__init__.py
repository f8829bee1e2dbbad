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
})

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


def codes(choices: Choices) -> tuple[str, ...]:
    return tuple(code for code, _ in choices)


def label(choices: Choices, code: str) -> str:
    return dict(choices).get(code, code)


MUSCLE_ORDER: dict[str, int] = {code: i for i, (code, _) in enumerate(MUSCLES)}
