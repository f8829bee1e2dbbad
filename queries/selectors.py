"""Reads of the data-quality queries: lists scoped to the user's centres, per-centre counts,
a patient's unresolved queries."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from queries.models import ANSWERED, CLOSED, OPEN, Query
from registry.models import Center
from registry.scoping import query_center_ids, scope_by_patient, scope_research_consent


def queries_for(user) -> QuerySet[Query]:
    """The queries the user reads, as every record of a patient (the user's centres; as a
    researcher, consented patients only), with what a list shows in the same query."""
    rows = Query.objects.select_related("patient__center", "raised_by", "answered_by",
                                        "closed_by")
    return scope_research_consent(scope_by_patient(rows, user), user, path="patient")


def queries_to_work_on(user) -> QuerySet[Query]:
    """The queries of the centres where the user answers or closes them (the pages)."""
    ids = query_center_ids(user)
    rows = queries_for(user)
    return rows if ids is None else rows.filter(patient__center_id__in=ids)


def patient_unresolved_queries(*, patient_id: int) -> list[Query]:
    """The patient's open and answered queries, oldest first (the patient page)."""
    return list(Query.objects.unresolved().filter(patient_id=patient_id)
                .select_related("answered_by").order_by("raised_at", "id"))


def query_counts_by_centre(user) -> list[dict]:
    """Per centre the user reads queries of: open, answered and closed counts (one query)."""
    ids = query_center_ids(user)
    centres = Center.objects.all() if ids is None else Center.objects.filter(pk__in=ids)
    by_status = {
        status: Count("patients__queries", filter=Q(patients__queries__status=status))
        for status in (OPEN, ANSWERED, CLOSED)
    }
    return list(centres.annotate(**by_status).order_by("code")
                .values("id", "code", "name", *by_status))


def worklist_open_queries(user, *, limit: int = 200) -> list[dict]:
    """The worklist's ``queries`` (api.md ``worklist/``): the open queries of the centres
    where the user answers or closes them, oldest first, as ``{patient, code, …}``."""
    ids = query_center_ids(user)
    rows = Query.objects.filter(status=OPEN).select_related("patient")
    if ids is not None:
        rows = rows.filter(patient__center_id__in=ids)
    return [
        {"patient": q.patient_id, "code": q.patient.code, "query": q.pk, "rule": q.rule,
         "message": q.message, "raised_at": q.raised_at}
        for q in rows.order_by("raised_at", "id")[:limit]
    ]


def worklist_patient_queries(patients, *, limit: int = 200) -> list[dict]:
    """The open queries of ``patients`` (already scoped by the worklist), oldest first, as
    the worklist's ``{patient, code, …}`` rows (registered in ``treatments.hooks``)."""
    rows = Query.objects.filter(status=OPEN, patient__in=patients).select_related("patient")
    return [
        {"patient": q.patient_id, "code": q.patient.code, "query": q.pk, "rule": q.rule,
         "message": q.message, "raised_at": q.raised_at}
        for q in rows.order_by("raised_at", "id")[:limit]
    ]
