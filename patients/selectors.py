"""Reads of the patients domain."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Q

from patients.models import AffectedNerve, Patient, PinnedTargetMuscle, Visit

# A patient's short nested lists as the API shows them: name → (model, its two fields).
NESTED_ROWS = {
    "affected_nerves": (AffectedNerve, ("side", "nerve")),
    "target_muscles": (PinnedTargetMuscle, ("muscle", "side")),
}


def _nested_rows_query(ids: list[int]) -> tuple[str, list]:
    """On PostgreSQL the ids go in as one array parameter (``= ANY(%s)``), not one
    placeholder each: psycopg caches a query's parsing only up to 50 parameters, and
    parsing this one anew for every page of 50 patients cost 2 ms (bench/README.md).
    SQLite (``make run``) has no arrays and takes a placeholder per id."""
    quote = connection.ops.quote_name
    id_params: list[list[int]] | list[int]
    if connection.vendor == "postgresql":
        condition, id_params = "= ANY(%s)", [ids]
    else:
        condition, id_params = f"IN ({', '.join(['%s'] * len(ids))})", ids
    sql = " UNION ALL ".join(
        f"SELECT patient_id, %s, {quote(first)}, {quote(second)}, id"
        f" FROM {quote(model._meta.db_table)} WHERE patient_id {condition}"
        for model, (first, second) in NESTED_ROWS.values()
    ) + " ORDER BY 5"
    params: list = []
    for name in NESTED_ROWS:
        params += [name, *id_params]
    return sql, params


def attach_nested_rows(patients: Iterable[Patient]) -> None:
    """Give each patient its affected nerves and pinned target muscles as ``<name>_rows``:
    lists of dicts shaped as the API shows them, read in one query for all the patients.

    Plain rows, not ``prefetch_related``: a model instance per element, a queryset per
    patient and a query per list were a third of a patient page's time; and plain SQL,
    because compiling the same union with the ORM cost a fifth (bench/README.md).
    """
    by_id = {patient.pk: patient for patient in patients}
    if not by_id:
        return
    rows: dict[tuple[int, str], list[dict[str, str]]] = {
        (pk, name): [] for pk in by_id for name in NESTED_ROWS
    }
    with connection.cursor() as cursor:
        cursor.execute(*_nested_rows_query(list(by_id)))
        for patient_id, name, first, second, _ in cursor.fetchall():
            fields = NESTED_ROWS[name][1]
            rows[(patient_id, name)].append({fields[0]: first, fields[1]: second})
    for (pk, name), values in rows.items():
        setattr(by_id[pk], f"{name}_rows", values)


def visit_repeats() -> list[Visit]:
    """The visits that share their (patient, date, kind) with another, in that order.

    None once migration ``0004_visit_unique_patient_date_kind`` has run; they are what
    stops it (``manage.py visit_duplicates`` lists them)."""
    keys = (
        Visit.objects.values("patient_id", "visited_on", "kind")
        .annotate(visits=Count("pk"))
        .filter(visits__gt=1)
    )
    condition = Q()
    for key in keys:
        condition |= Q(patient_id=key["patient_id"], visited_on=key["visited_on"],
                       kind=key["kind"])
    if not condition:
        return []
    return list(
        Visit.objects.filter(condition).select_related("patient", "series")
        .annotate(grades=Count("mrc"))
        .order_by("patient__code", "visited_on", "kind", "pk")
    )
