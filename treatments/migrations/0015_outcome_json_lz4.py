"""The outcome's ``result`` and ``summary`` compressed with lz4 rather than pglz (PostgreSQL
≥ 14 built with lz4; else left as they are): every recompute stores ~20 kB of ``result``
and PostgreSQL compressed it with pglz, about half the backend's CPU of storing one
outcome (bench/README.md). Values already stored keep their compression until rewritten;
what is stored, and read, is the same."""

from django.db import migrations

COLUMNS = ("result", "summary")


def _set_compression(apps, schema_editor, method: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if row is None or method not in row[0]:
            return  # PostgreSQL < 14, or built without lz4
        table = schema_editor.quote_name(apps.get_model("treatments", "Outcome")._meta.db_table)
        for column in COLUMNS:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {schema_editor.quote_name(column)}"
                           f" SET COMPRESSION {method}")


def forwards(apps, schema_editor) -> None:
    _set_compression(apps, schema_editor, "lz4")


def backwards(apps, schema_editor) -> None:
    _set_compression(apps, schema_editor, "pglz")


class Migration(migrations.Migration):

    dependencies = [
        ("treatments", "0014_series_report_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
