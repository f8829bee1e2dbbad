"""Outcome.summary also holds the conduction-block summary (Table 1's block columns)."""

from django.db import migrations


def add_blocks(apps, schema_editor):
    Outcome = apps.get_model("treatments", "Outcome")
    for outcome in Outcome.objects.only("pk", "result", "summary").iterator(chunk_size=500):
        if "conduction_blocks" in (outcome.result or {}):
            summary = {**(outcome.summary or {}),
                       "conduction_blocks": outcome.result["conduction_blocks"]}
            Outcome.objects.filter(pk=outcome.pk).update(summary=summary)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0008_versions_followed")]

    operations = [migrations.RunPython(add_blocks, migrations.RunPython.noop)]
