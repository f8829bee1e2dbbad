"""Reads of the patients domain, and a patient's audit trail (``patient_history``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, Model, Q, QuerySet

from patients.models import (
    AffectedNerve,
    CentrePatientCount,
    Consent,
    Identity,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PinnedTargetMuscle,
    PriorTreatment,
    Titre,
    Visit,
)
from treatments.models import AdverseEvent, LotNumber, Series, TailoringEpisode


def patient_counts(center_ids: list[int] | None) -> QuerySet | None:
    """The patients of ``center_ids`` (``None``: every centre) as the rows to sum of the
    counts PostgreSQL keeps (``CentrePatientCount``: each centre's changes, folded hourly),
    one column ``patients``; ``None`` on a database that keeps none (SQLite), where the
    caller counts the patients."""
    if connection.vendor != "postgresql":
        return None
    counts = CentrePatientCount.objects.all()
    if center_ids is not None:
        counts = counts.filter(center_id__in=center_ids)
    return counts.values("patients")


# A patient's short nested lists as the API shows them: name → (model, its two fields).
NESTED_ROWS = {
    "affected_nerves": (AffectedNerve, ("side", "nerve")),
    "target_muscles": (PinnedTargetMuscle, ("muscle", "side")),
}


#: The consent read with them for a page of patients (``attach_nested_rows(consent=True)``):
#: its three fields as text (ISO dates), in the same union.
CONSENT_FIELDS = ("given_on", "version", "withdrawn_on")


def _nested_rows_query(ids: list[int], *, consent: bool = False) -> tuple[str, list]:
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
    selects = [
        f"SELECT patient_id, %s, {quote(first)}, {quote(second)}, NULL, id"
        f" FROM {quote(model._meta.db_table)} WHERE patient_id {condition}"
        for model, (first, second) in NESTED_ROWS.values()
    ]
    names = list(NESTED_ROWS)
    if consent:
        columns = ", ".join(f"CAST({quote(name)} AS TEXT)" for name in CONSENT_FIELDS)
        selects.append(f"SELECT patient_id, %s, {columns}, id"
                       f" FROM {quote(Consent._meta.db_table)} WHERE patient_id {condition}")
        names.append("consent")
    params: list = []
    for name in names:
        params += [name, *id_params]
    return " UNION ALL ".join(selects) + " ORDER BY 6", params


def attach_nested_rows(patients: Iterable[Patient], *, consent: bool = False) -> None:
    """Give each patient its affected nerves and pinned target muscles as ``<name>_rows``:
    lists of dicts shaped as the API shows them, read in one query for all the patients;
    with ``consent``, its consent too (as ``select_related("consent")`` gives it: the
    row's shown fields, or none).

    Plain rows, not ``prefetch_related``: a model instance per element, a queryset per
    patient and a query per list were a third of a patient page's time; and plain SQL,
    because compiling the same union with the ORM cost a fifth (bench/README.md). The
    consent in the same union, not joined to the page: PostgreSQL joined it to every
    patient an ``OFFSET`` skips (a millisecond at the 20th page; bench/README.md).
    """
    by_id = {patient.pk: patient for patient in patients}
    if not by_id:
        return
    rows: dict[tuple[int, str], list[dict[str, str]]] = {
        (pk, name): [] for pk in by_id for name in NESTED_ROWS
    }
    consents: dict[int, Consent | None] = dict.fromkeys(by_id) if consent else {}
    with connection.cursor() as cursor:
        cursor.execute(*_nested_rows_query(list(by_id), consent=consent))
        for patient_id, name, first, second, third, pk in cursor.fetchall():
            if name == "consent":
                consents[patient_id] = Consent.from_db(
                    connection.alias, ("id", "patient_id", *CONSENT_FIELDS),
                    (pk, patient_id, _date(first), second, _date(third)))
                continue
            fields = NESTED_ROWS[name][1]
            rows[(patient_id, name)].append({fields[0]: first, fields[1]: second})
    for (pk, name), values in rows.items():
        setattr(by_id[pk], f"{name}_rows", values)
    cache = Patient.consent.related
    for pk, row in consents.items():
        cache.set_cached_value(by_id[pk], row)  # None: no consent row (as select_related)


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


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


# A patient's audit trail from django-simple-history, in one query per audited model. It
# spans both apps' models (series, lots, adverse events are the patient's too), so it lives
# with the patient; ``registry.audit`` (the core) only records where a change came from.
ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}
UNAUDITED = {"created_at", "updated_at"}


def _history_querysets(
    patient_id: int, *, with_identity: bool
) -> list[tuple[type[Model], QuerySet]]:
    visits = Visit.history.filter(patient_id=patient_id).values("id")
    studies = NerveStudy.history.filter(patient_id=patient_id).values("id")
    series = Series.history.filter(patient_id=patient_id).values("id")
    by_patient = [Patient.history.filter(id=patient_id)] + [
        model.history.filter(patient_id=patient_id)
        for model in (Consent, AffectedNerve, PinnedTargetMuscle, Titre, Paraprotein,
                      PriorTreatment, Visit, NerveStudy, Series, TailoringEpisode)
    ]
    if with_identity:  # direct identifiers: only for those allowed to see them
        by_patient.append(Identity.history.filter(patient_id=patient_id))
    children = [
        MrcGrade.history.filter(visit_id__in=visits),
        NerveSegment.history.filter(study_id__in=studies),
        LotNumber.history.filter(series_id__in=series),
        AdverseEvent.history.filter(series_id__in=series),
    ]
    return [(qs.model.instance_type, qs) for qs in by_patient + children]


def _fields(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname not in UNAUDITED]


def patient_history(patient_id: int, *, with_identity: bool) -> list[dict[str, Any]]:
    """Entries ``{at, user, action, model, object_id, changes, source, reason}``, newest
    first.

    ``changes`` maps each changed field to ``[before, after]`` (``before`` is null on
    creation; a deletion lists no changes); ``source`` is where the change was made:
    ``page``, ``api``, ``admin``, ``command`` or ``import`` (``registry.audit``); ``reason``
    is the audit row's own reason, or null: a signing (``"signed: reviewed and
    confirmed"``) or an unlocking (``"unlocked"``, the data manager's words in the
    ``unlock_reason`` change), clinical-rules.md §11. A signer is named by username.
    """
    entries: list[dict[str, Any]] = []
    for model, queryset in _history_querysets(patient_id, with_identity=with_identity):
        names = _fields(model)
        previous: dict[int, Any] = {}
        rows = queryset.select_related("history_user").order_by("id", "history_date", "history_id")
        for row in rows:
            before = previous.get(row.id)
            if row.history_type == "-":
                changes: dict[str, list] = {}
            else:
                changes = {
                    name: [getattr(before, name) if before else None, getattr(row, name)]
                    for name in names
                    if before is None or getattr(before, name) != getattr(row, name)
                }
            entries.append({
                "at": row.history_date,
                "user": row.history_user.get_username() if row.history_user else None,
                "action": ACTIONS.get(row.history_type, row.history_type),
                "model": model._meta.model_name,
                "object_id": row.id,
                "changes": changes,
                "source": row.history_source,
                "reason": row.history_change_reason,
            })
            previous[row.id] = row
    _name_signers(entries)
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries


def _name_signers(entries: list[dict[str, Any]]) -> None:
    """``signed_by_id: [id, id]`` → ``signed_by: [username, username]`` (one query)."""
    changes = [entry["changes"] for entry in entries if "signed_by_id" in entry["changes"]]
    ids = {pk for change in changes for pk in change["signed_by_id"] if pk is not None}
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}
    for change in changes:
        change["signed_by"] = [names.get(pk, pk) if pk is not None else None
                               for pk in change.pop("signed_by_id")]
