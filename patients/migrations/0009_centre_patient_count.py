"""Per-centre patient counts kept by PostgreSQL triggers as rows of changes (issue 19: the
patient list's count without counting every page). On SQLite the table is made and left
empty."""

import django.db.models.deletion
from django.db import migrations, models

COUNTS = "patients_centrepatientcount"

# Rows are only inserted (never updated in place), so no writer waits for another's lock.
INSTALL = f"""
CREATE FUNCTION patients_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} (center_id, patients)
    SELECT center_id, count(*) FROM inserted GROUP BY center_id;
    RETURN NULL;
END
$$;
CREATE FUNCTION patients_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} (center_id, patients)
    SELECT center_id, -count(*) FROM deleted GROUP BY center_id;
    RETURN NULL;
END
$$;
CREATE FUNCTION patients_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} (center_id, patients)
    VALUES (OLD.center_id, -1), (NEW.center_id, 1);
    RETURN NULL;
END
$$;
CREATE TRIGGER patients_count_inserted AFTER INSERT ON patients_patient
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION patients_count_inserted();
CREATE TRIGGER patients_count_deleted AFTER DELETE ON patients_patient
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT
    EXECUTE FUNCTION patients_count_deleted();
CREATE TRIGGER patients_count_moved AFTER UPDATE OF center_id ON patients_patient
    FOR EACH ROW WHEN (OLD.center_id IS DISTINCT FROM NEW.center_id)
    EXECUTE FUNCTION patients_count_moved();
LOCK TABLE patients_patient IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO {COUNTS} (center_id, patients)
SELECT center_id, count(*) FROM patients_patient GROUP BY center_id;
"""

REMOVE = """
DROP TRIGGER IF EXISTS patients_count_inserted ON patients_patient;
DROP TRIGGER IF EXISTS patients_count_deleted ON patients_patient;
DROP TRIGGER IF EXISTS patients_count_moved ON patients_patient;
DROP FUNCTION IF EXISTS patients_count_inserted();
DROP FUNCTION IF EXISTS patients_count_deleted();
DROP FUNCTION IF EXISTS patients_count_moved();
"""


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0008_visit_signature'),
        ('registry', '0007_access_log'),
    ]

    operations = [
        migrations.CreateModel(
            name='CentrePatientCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('patients', models.BigIntegerField()),
                ('center', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.center')),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
