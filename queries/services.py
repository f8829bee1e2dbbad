"""Writes of the data-quality queries (clinical-rules.md §11 "Queries").

``queries_sync_recomputed`` runs after each stored recompute (registered in
``treatments.hooks``): it raises a query for every finding of ``treatments.rules.quality``
not already unresolved, and closes automatically (``closed_by`` empty, reason ``auto``)
the unresolved ones the data no longer show; the history keeps them all. A query a data
manager closed as ``confirmed`` is not raised again while its values stay the same.

The people's writes: a data manager raises one by hand (``query_raise``), a clinician
answers (``query_answer``), a data manager closes (``query_close``); each is audited and
checks the ``version`` the writer read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from patients.models import Patient
from queries.models import (
    ANSWERED,
    AUTO,
    CLOSED,
    CONFIRMED,
    MANUAL,
    OPEN,
    RECORD_MODELS,
    RESOLVED,
    Query,
    identity,
)
from registry.services import apply_changes, save_validated
from treatments.hooks import Recomputed
from treatments.models import Outcome
from treatments.rules.quality import Finding, quality_findings
from treatments.selectors import fetch_together

Identity = tuple[str, str, int, str]


@dataclass
class _Plan:
    create: list[Query] = field(default_factory=list)
    close: list[Query] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create or self.close)


def _kept_queryset(patient_ids: Iterable[int]) -> QuerySet[Query]:
    return (Query.objects.filter(patient_id__in=list(patient_ids)).exclude(rule=MANUAL)
            .filter(Q(status__in=(OPEN, ANSWERED)) | Q(close_reason=CONFIRMED)))


def _kept(patient_ids: Iterable[int]) -> list[Query]:
    """The registry's queries a sync compares with: the unresolved ones and those a data
    manager confirmed (one query)."""
    return list(_kept_queryset(patient_ids))


class _KeptRow:
    """What ``_plan`` reads of a kept query (its identity and status), as a plain row: the
    check that nothing changes, after every stored recompute, builds no model instance."""

    __slots__ = ("identity", "status", "version", "closed_at", "closed_by", "close_reason",
                 "updated_at")

    def __init__(self, rule: str, model: str, record_id: int, fingerprint, status: str,
                 version: int) -> None:
        self.identity = identity(rule, model, record_id, fingerprint)
        self.status, self.version = status, version


def _kept_reads(patient_ids: list[int]) -> list[QuerySet]:
    return [_kept_queryset(patient_ids).order_by().values_list(
        "rule", "record_model", "record_id", "fingerprint", "status", "version")]


def _kept_rows(patient_ids: Iterable[int]) -> list[_KeptRow]:
    """``_kept`` as plain rows, in one query (its SQL compiled once per number of
    patients: ``treatments.selectors.fetch_together``)."""
    return [_KeptRow(*row) for row in fetch_together(_kept_reads, list(patient_ids))[0]]


def _plan(findings: Mapping[int, Sequence[Finding]], kept: Sequence[Query]) -> _Plan:
    unresolved: dict[Identity, Query] = {}
    confirmed: set[Identity] = set()
    for query in kept:
        if query.status == CLOSED:
            confirmed.add(query.identity)
        else:
            unresolved[query.identity] = query
    plan = _Plan()
    found: set[Identity] = set()
    for patient_id, patient_findings in findings.items():
        for finding in patient_findings:
            key = identity(finding.rule, finding.model, finding.record_id, finding.values)
            if key in found:
                continue
            found.add(key)
            if key not in unresolved and key not in confirmed:
                plan.create.append(Query(
                    patient_id=patient_id, record_model=finding.model,
                    record_id=finding.record_id, rule=finding.rule, message=finding.message,
                    fingerprint=finding.values, status=OPEN))
    now = timezone.now()
    for key, query in unresolved.items():
        if key not in found:
            query.status, query.closed_at, query.closed_by = CLOSED, now, None
            query.close_reason, query.updated_at = AUTO, now
            query.version += 1
            plan.close.append(query)
    return plan


def queries_sync_recomputed(recomputed: Sequence[Recomputed]) -> None:
    """Raise and close the §11 queries of patients whose outcome was just stored.

    Idempotent and bounded: one query when nothing changes, whatever the batch; otherwise,
    in one transaction, the outcomes locked (a sync of an older computation that lost the
    race to a newer one is dropped), the queries read again, one bulk insert and one bulk
    update, each with its history rows.
    """
    findings = {r.patient_id: quality_findings(r.patient, r.outcome, thresholds=r.thresholds)
                for r in recomputed}
    if not _plan(findings, _kept_rows(findings)):  # type: ignore[arg-type]
        return
    read_versions = {r.patient_id: r.read_version for r in recomputed}
    with transaction.atomic():
        stored = dict(Outcome.objects.select_for_update().filter(patient_id__in=list(findings))
                      .values_list("patient_id", "computed_data_version"))
        fresh = {pk: found for pk, found in findings.items()
                 if stored.get(pk) == read_versions[pk]}
        plan = _plan(fresh, _kept(fresh))
        if plan.create:
            bulk_create_with_history(plan.create, Query)
        if plan.close:
            bulk_update_with_history(
                plan.close, Query,
                fields=["status", "closed_at", "closed_by", "close_reason", "version",
                        "updated_at"])


def _record_check(*, patient: Patient, record_model: str, record_id: int) -> None:
    if record_model not in RECORD_MODELS:
        raise ValidationError({"record": f"Unknown record model {record_model!r}; choose from "
                                         f"{', '.join(sorted(RECORD_MODELS.values()))}."})
    model = apps.get_model(record_model)
    rows = model._default_manager.filter(pk=record_id)
    rows = rows.filter(pk=patient.pk) if model is Patient else rows.filter(patient=patient)
    if not rows.exists():
        raise ValidationError({"record": f"No {RECORD_MODELS[record_model]} {record_id} of"
                                         f" patient {patient.code}."})


@transaction.atomic
def query_raise(*, patient: Patient, message: str, by: User, record_model: str | None = None,
                record_id: int | None = None) -> Query:
    """A data manager's query on a record of the patient (the patient itself when no record
    is named)."""
    if record_model is None:
        record_model, record_id = "patients.patient", patient.pk
    if record_id is None:
        raise ValidationError({"record": "Name the record's id."})
    _record_check(patient=patient, record_model=record_model, record_id=record_id)
    return save_validated(Query(
        patient=patient, record_model=record_model, record_id=record_id, rule=MANUAL,
        message=message.strip(), status=OPEN, raised_by=by), by=by)


@transaction.atomic
def query_answer(*, query: Query, version: int | None, answer: str, by: User) -> Query:
    """A clinician's reply: the query is ``answered`` (it may be answered again until a
    data manager closes it)."""
    if query.status == CLOSED:
        raise ValidationError({"answer": "This query is closed; it takes no answer."})
    if not answer.strip():
        raise ValidationError({"answer": "Write an answer."})
    return apply_changes(query, changes={
        "answer": answer.strip(), "status": ANSWERED, "answered_by": by,
        "answered_at": timezone.now()}, version=version, by=by)


CLOSE_REASONS = (RESOLVED, CONFIRMED)


@transaction.atomic
def query_close(*, query: Query, version: int | None, by: User,
                reason: str = RESOLVED) -> Query:
    """A data manager closes a query: ``resolved`` (corrected or answered), or ``confirmed``
    (the data are right: the same values never raise it again)."""
    if reason not in CLOSE_REASONS:
        raise ValidationError({"close_reason": f"Choose {' or '.join(CLOSE_REASONS)}."})
    if query.status == CLOSED:
        raise ValidationError({"status": "This query is already closed."})
    return apply_changes(query, changes={
        "status": CLOSED, "close_reason": reason, "closed_by": by,
        "closed_at": timezone.now()}, version=version, by=by)
