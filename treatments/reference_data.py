"""Seed the default rule set, block criteria, titre thresholds and nerve reference data.

Values come from ``treatments.rules.defaults`` (seed-1 from the source paper, the others
documented choices). Called by the data migration with its historical models, and by the
test suite after a transactional test's flush empties the tables. Idempotent.
"""

from dataclasses import asdict
from decimal import Decimal

from django.apps import apps as django_apps

# Lower limits of normal of the distal CMAP amplitude (mV), common adult reference
# values; each laboratory replaces them with its own.
LOWER_LIMITS_MV = {"median": "4.0", "ulnar": "6.0", "peroneal": "2.0", "tibial": "4.0",
                   "radial": "2.0", "musculocutaneous": "3.5", "axillary": "3.5",
                   "femoral": "3.0"}


def seed_reference_data(apps=django_apps) -> None:
    from treatments.rules.defaults import BLOCK_CRITERIA, DEFAULT_THRESHOLDS, SEED_1

    RuleSet = apps.get_model("treatments", "RuleSet")
    BlockCriteriaSet = apps.get_model("treatments", "BlockCriteriaSet")
    TitreThreshold = apps.get_model("treatments", "TitreThreshold")
    NerveReference = apps.get_model("treatments", "NerveReference")

    parameters = asdict(SEED_1)
    version = parameters.pop("version")
    RuleSet.objects.get_or_create(
        version=version,
        defaults={"parameters": parameters, "is_default": True,
                  "description": "Defaults of clinical-rules.md, from the source paper."},
    )
    for code, criteria in BLOCK_CRITERIA.items():
        values = asdict(criteria)
        values.pop("code")
        BlockCriteriaSet.objects.get_or_create(
            code=code, defaults={"parameters": values, "is_default": code == "seed-1"},
        )
    for threshold in DEFAULT_THRESHOLDS:
        TitreThreshold.objects.get_or_create(
            antigen=threshold.antigen, isotype=threshold.isotype, method=threshold.method,
            unit=threshold.unit,
            defaults={"value": threshold.value,
                      "source": "seed-1 (clinical-rules.md §5 and docs/rules-decisions.md)"},
        )
    for nerve, value in LOWER_LIMITS_MV.items():
        NerveReference.objects.get_or_create(
            nerve=nerve, defaults={"lower_limit_amplitude_mv": Decimal(value),
                                   "source": "common adult reference value"},
        )
