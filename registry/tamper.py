"""Tamper evidence: the audit tables are append-only in PostgreSQL.

Every historical table of django-simple-history (one per audited model) and the access log
get a row trigger that refuses UPDATE and DELETE, whoever sends them — the application, a
shell, a script with the application's credentials. INSERT goes on as before, and TRUNCATE
(``flush``, the tests' reset, ``pg_restore --clean``'s DROP) is not a row operation, so it
is not refused: it needs the table owner, as dropping the trigger does.

The triggers are (re)installed after every ``migrate`` (``post_migrate``, idempotent), so
an audited model added later is covered without anyone remembering to; ``missing_triggers``
names any table left without one. On SQLite (``make run``) nothing is done.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections
from simple_history.models import HistoricalChanges

FUNCTION = "registry_refuse_audit_change"
TRIGGER = "registry_append_only"

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %: the audit tables are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows are never changed or removed (docs/security.md).';
END
$$;
"""
DROP_FUNCTION_SQL = f"DROP FUNCTION IF EXISTS {FUNCTION}() CASCADE;"


def append_only_tables(apps=global_apps) -> list[str]:
    """The audit tables: every historical model's, and the access log's."""
    tables = {model._meta.db_table for model in apps.get_models()
              if issubclass(model, HistoricalChanges)}
    tables.add(apps.get_model("registry", "AccessLog")._meta.db_table)
    return sorted(tables)


def install_triggers(*, using: str = DEFAULT_DB_ALIAS, apps=global_apps) -> list[str]:
    """Create the function and one trigger per audit table (PostgreSQL; idempotent)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    existing = set(connection.introspection.table_names())
    tables = [table for table in append_only_tables(apps) if table in existing]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for table in tables:
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "
                f"{quote(table)} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
    return tables


def missing_triggers(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Audit tables without the trigger (PostgreSQL), to be reported."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s AND NOT t.tgisinternal AND t.tgenabled <> 'D'", [TRIGGER])
        guarded = {name for (name,) in cursor.fetchall()}
    return [table for table in append_only_tables() if table not in guarded]


def install_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate`` is sent once per app after every migration has run: install once,
    on the registry's."""
    if sender.name == "registry":
        install_triggers(using=using)


def install_in_migration(apps, schema_editor) -> None:
    install_triggers(using=schema_editor.connection.alias)


def remove_in_migration(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION_SQL)
