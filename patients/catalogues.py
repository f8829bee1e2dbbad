"""Code catalogues of the registry (clinical-rules.md §7, api.md choice fields).

Plain Python on purpose: the models build their choices from these tuples and
the pure clinical rules (``treatments.rules``) import them without Django.
A catalogue may grow; codes never change.
"""

from __future__ import annotations

Choices = tuple[tuple[str, str], ...]

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

RESPONSE_GRADES: Choices = (
    ("dramatic", "Dramatic"),
    ("mild", "Mild"),
    ("slight", "Slight"),
    ("none", "None"),
    ("deterioration", "Deterioration"),
)

OUTCOME_STATUSES: Choices = (
    ("insufficient_data", "Insufficient data"),
    ("deteriorating", "Deteriorating"),
    ("no_response", "No response"),
    ("plateau", "Plateau"),
    ("improving", "Improving"),
    ("on_treatment", "On treatment"),
    ("stable_on_treatment", "Stable on treatment"),
    ("not_evaluable", "Not evaluable"),
)

DISABILITY_RESULTS: Choices = (
    ("improved", "Improved"),
    ("stable", "Stable"),
    ("deteriorated", "Deteriorated"),
)

BLOCK_STATES: Choices = (
    ("partial_block", "Partial conduction block"),
    ("definite_block", "Definite conduction block"),
    ("probable_block", "Probable conduction block"),
    ("no_block", "No block"),
    ("not_assessable", "Not assessable"),
)

BLOCK_EVOLUTIONS: Choices = (
    ("persisting", "Persisting"),
    ("resolved", "Resolved"),
    ("new", "New"),
)


def codes(choices: Choices) -> tuple[str, ...]:
    return tuple(code for code, _ in choices)


def label(choices: Choices, code: str) -> str:
    return dict(choices).get(code, code)


MUSCLE_ORDER: dict[str, int] = {code: i for i, (code, _) in enumerate(MUSCLES)}
