"""Per-centre patient counts kept by PostgreSQL triggers (issue 19: the patient list's
count without counting every page). On SQLite the table is made and left empty."""

import django.db.models.deletion
from django.db import migrations, models

COUNTS = "patients_centrepatientcount"

# Lock order: every write to the counts goes through one upsert ordered by centre, so two
# transactions touching the same centres take their row locks in the same order.
INSTALL = f"""
CREATE FUNCTION patients_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} AS counts (center_id, patients)
    SELECT center_id, count(*) FROM inserted GROUP BY center_id ORDER BY center_id
    ON CONFLICT (center_id) DO UPDATE SET patients = counts.patients + EXCLUDED.patients;
    RETURN NULL;
END
$$;
CREATE FUNCTION patients_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} AS counts (center_id, patients)
    SELECT center_id, -count(*) FROM deleted GROUP BY center_id ORDER BY center_id
    ON CONFLICT (center_id) DO UPDATE SET patients = counts.patients + EXCLUDED.patients;
    RETURN NULL;
END
$$;
CREATE FUNCTION patients_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} AS counts (center_id, patients)
    SELECT centre, change FROM (VALUES (OLD.center_id, -1), (NEW.center_id, 1))
        AS moved (centre, change) ORDER BY centre
    ON CONFLICT (center_id) DO UPDATE SET patients = counts.patients + EXCLUDED.patients;
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
                ('center', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='registry.center')),
                ('patients', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
