"""Reads of the patients domain."""

from __future__ import annotations

from django.db import connections
from django.db.models import JSONField, QuerySet
from django.db.models.expressions import RawSQL

from patients.models import AffectedNerve, Patient, PinnedTargetMuscle

# A patient's short nested lists, as the API shows them: name → (model, fields).
NESTED_ROWS = {
    "affected_nerves": (AffectedNerve, ("side", "nerve")),
    "target_muscles": (PinnedTargetMuscle, ("muscle", "side")),
}


def _rows_sql(model, fields: tuple[str, ...]) -> str:
    quote = connections["default"].ops.quote_name
    pairs = ", ".join(f"'{field}', {quote(field)}" for field in fields)
    return (
        f"(SELECT COALESCE(jsonb_agg(jsonb_build_object({pairs}) ORDER BY id), '[]')"
        f" FROM {quote(model._meta.db_table)}"
        f" WHERE patient_id = {quote(Patient._meta.db_table)}.id)"
    )


def with_nested_rows(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    """Patients with their affected nerves and pinned target muscles.

    On PostgreSQL each list comes with the patient's own row, as ``<name>_rows`` (a list
    of dicts, built by the database), instead of one prefetch query per list and a model
    instance per element: a page of 50 patients then costs one query, not three
    (bench/README.md). Other databases (SQLite for local use) prefetch.
    """
    if connections[queryset.db].vendor != "postgresql":
        return queryset.prefetch_related(*NESTED_ROWS)
    # Plain SQL rather than ArraySubquery: compiling two ORM subqueries on every request
    # cost more CPU than the two prefetch queries they replaced.
    return queryset.annotate(**{
        f"{name}_rows": RawSQL(_rows_sql(model, fields), (), output_field=JSONField())
        for name, (model, fields) in NESTED_ROWS.items()
    })
