"""Seed the default rule set, block criteria, titre thresholds and nerve reference data.

Values come from ``treatments.rules.defaults`` (seed-1 from the source paper, the others
documented choices). Called by the data migration with its historical models, and by the
test suite after a transactional test's flush empties the tables. Idempotent.
"""

from dataclasses import asdict
from decimal import Decimal

from django.apps import apps as django_apps
from django.db.models import Max

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

    from catalogues import DIAGNOSES

    # Run by migration 0002 with the models of that time too (no per-diagnosis defaults,
    # no threshold centres yet); migration 0006 runs it again.
    try:
        DiagnosisRuleSet = apps.get_model("treatments", "DiagnosisRuleSet")
    except LookupError:
        DiagnosisRuleSet = None
    general = ({"center__isnull": True}
               if any(f.name == "center" for f in TitreThreshold._meta.get_fields()) else {})

    parameters = asdict(SEED_1)
    version = parameters.pop("version")
    seed, _ = RuleSet.objects.get_or_create(
        version=version,
        defaults={"parameters": parameters,
                  "description": "Defaults of clinical-rules.md, from the source paper."},
    )
    for diagnosis, _label in DIAGNOSES if DiagnosisRuleSet else ():
        DiagnosisRuleSet.objects.get_or_create(diagnosis=diagnosis,
                                               defaults={"rule_set": seed})
    for code, criteria in BLOCK_CRITERIA.items():
        values = asdict(criteria)
        values.pop("code")
        BlockCriteriaSet.objects.get_or_create(code=code, defaults={"parameters": values})
    revision = TitreThreshold.objects.aggregate(n=Max("revision"))["n"] or 0
    for threshold in DEFAULT_THRESHOLDS:
        key = {"antigen": threshold.antigen, "isotype": threshold.isotype,
               "method": threshold.method, "unit": threshold.unit}
        if not TitreThreshold.objects.filter(**general, **key).exists():
            revision += 1
            TitreThreshold.objects.create(
                **key, value=threshold.value, revision=revision,
                source="seed-1 (clinical-rules.md §5 and docs/rules-decisions.md)",
            )
    for nerve, value in LOWER_LIMITS_MV.items():
        NerveReference.objects.get_or_create(
            nerve=nerve, defaults={"lower_limit_amplitude_mv": Decimal(value),
                                   "source": "common adult reference value"},
        )
    if DiagnosisRuleSet is not None:
        seed_rule_set_2(apps)


def seed_rule_set_2(apps=django_apps) -> list[str]:
    """Rule set ``seed-2`` (seed-1's thresholds + clinical-rules.md §9's MCIDs, sum-score
    muscles and primary measure per diagnosis), made the default of every diagnosis still
    on seed-1 (migration treatments/0010). Gives the diagnoses whose default changed: the
    caller marks their outcomes stale."""
    from catalogues import DIAGNOSES
    from treatments.rules.defaults import SEED_2

    RuleSet = apps.get_model("treatments", "RuleSet")
    DiagnosisRuleSet = apps.get_model("treatments", "DiagnosisRuleSet")
    parameters = asdict(SEED_2)
    version = parameters.pop("version")
    seed_2, _ = RuleSet.objects.get_or_create(
        version=version,
        defaults={"parameters": parameters,
                  "description": "seed-1's thresholds and clinical-rules.md §9: the MCID of "
                                 "every measure and the primary measure per diagnosis."},
    )
    changed = []
    for diagnosis, _label in DIAGNOSES:
        row = DiagnosisRuleSet.objects.filter(diagnosis=diagnosis).select_related(
            "rule_set").first()
        if row is None:
            DiagnosisRuleSet.objects.create(diagnosis=diagnosis, rule_set=seed_2)
            changed.append(diagnosis)
        elif row.rule_set.version == "seed-1":
            DiagnosisRuleSet.objects.filter(pk=row.pk).update(rule_set=seed_2)
            changed.append(diagnosis)
    return changed
