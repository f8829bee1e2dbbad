"""Rule set seed-2 (clinical-rules.md §9) becomes every diagnosis' default; the outcomes of
the patients concerned go stale in the same transaction (the sweep recomputes them)."""

from django.db import migrations
from django.db.models import F


def seed_2_default(apps, schema_editor):
    from treatments.reference_data import seed_rule_set_2

    changed = seed_rule_set_2(apps)
    Patient = apps.get_model("patients", "Patient")
    Outcome = apps.get_model("treatments", "Outcome")
    ids = list(Patient.objects.filter(diagnosis__in=changed).values_list("pk", flat=True))
    Outcome.objects.bulk_create([Outcome(patient_id=pk, data_version=0) for pk in ids],
                                ignore_conflicts=True)
    Outcome.objects.filter(patient_id__in=ids).update(data_version=F("data_version") + 1)


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0007_visit_measures"),
        ("treatments", "0009_outcome_summary_blocks"),
    ]

    operations = [
        migrations.RunPython(seed_2_default, migrations.RunPython.noop),
    ]
