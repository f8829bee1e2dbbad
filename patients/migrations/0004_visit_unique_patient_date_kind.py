"""One visit per patient, date and kind: the exchange format's key for visits.

Before the constraint is added, existing repeats are looked for. None are deleted: they
are clinical records, and which one is right is the data manager's call. If any exist,
the migration stops (nothing changed) and names them; ``manage.py visit_duplicates``
lists them again after they have been corrected in the admin (docs/exchange.md).
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count

SHOWN = 20


def refuse_repeated_visits(apps, schema_editor):
    Visit = apps.get_model("patients", "Visit")
    repeats = list(
        Visit.objects.using(schema_editor.connection.alias)
        .values("patient__code", "visited_on", "kind")
        .annotate(visits=Count("pk"))
        .filter(visits__gt=1)
        .order_by("patient__code", "visited_on", "kind")
    )
    if not repeats:
        return
    lines = [f"  {r['patient__code']} {r['visited_on']} {r['kind']}: {r['visits']} visits"
             for r in repeats[:SHOWN]]
    if len(repeats) > SHOWN:
        lines.append(f"  … and {len(repeats) - SHOWN} more")
    raise CommandError(
        f"{len(repeats)} (patient, date, kind) are held by more than one visit; the exchange "
        "format identifies a visit by these three, so the registry now refuses repeats. "
        "Nothing was changed and nothing is deleted: list them with "
        "`manage.py visit_duplicates`, correct them in the admin (merge the MRC grades into "
        "one visit and delete the other, or correct its date or kind), then run migrate "
        "again.\n" + "\n".join(lines)
    )


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0003_history_source"),
        ("treatments", "0005_outcome_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_repeated_visits, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.UniqueConstraint(
                fields=("patient", "visited_on", "kind"), name="visit_unique_patient_date_kind",
                violation_error_code="visit_repeated",
                violation_error_message="This patient already has a visit of this kind on "
                                        "this date.",
            ),
        ),
    ]
