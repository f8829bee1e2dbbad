from django.db import migrations


def seed(apps, schema_editor):
    from treatments.reference_data import seed_reference_data

    seed_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
