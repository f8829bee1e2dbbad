"""Outcome.summary: the keys of each stored result the cohort reports read."""

from django.db import migrations, models

SUMMARY_KEYS = ("initial_response", "n_star", "final", "titres_before_ivig", "disability",
                "titres_significant")


def fill_summaries(apps, schema_editor):
    connection = schema_editor.connection
    Outcome = apps.get_model("treatments", "Outcome")
    if connection.vendor == "postgresql":  # one statement, whatever the registry's size
        table = connection.ops.quote_name(Outcome._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET summary = COALESCE((SELECT jsonb_object_agg(key, value)"
                " FROM jsonb_each(result) WHERE key = ANY(%s)), '{}'::jsonb)",
                [list(SUMMARY_KEYS)],
            )
        return
    for outcome in Outcome.objects.only("pk", "result").iterator(chunk_size=500):
        summary = {key: outcome.result[key] for key in SUMMARY_KEYS if key in outcome.result}
        Outcome.objects.filter(pk=outcome.pk).update(summary=summary)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_bench_indexes")]

    operations = [
        migrations.AddField(
            model_name="outcome", name="summary",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(fill_summaries, migrations.RunPython.noop),
    ]
