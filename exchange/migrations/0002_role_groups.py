from django.db import migrations


def grant_exchange_records(apps, schema_editor):
    from registry.roles import ensure_role_groups

    ensure_role_groups(apps)


class Migration(migrations.Migration):
    """Data managers read the export and import records in the admin (registry.roles)."""

    dependencies = [
        ("exchange", "0001_initial"),
        ("registry", "0003_role_groups"),
    ]

    operations = [migrations.RunPython(grant_exchange_records, migrations.RunPython.noop)]
