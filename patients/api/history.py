"""A patient's audit trail from django-simple-history, in one query per audited model."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from patients.models import (
    AffectedNerve,
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
from treatments.models import AdverseEvent, LotNumber, Series

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
                      PriorTreatment, Visit, NerveStudy, Series)
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
    """Entries ``{at, user, action, model, object_id, changes, source}``, newest first.

    ``changes`` maps each changed field to ``[before, after]`` (``before`` is null on
    creation; a deletion lists no changes); ``source`` is where the change was made:
    ``page``, ``api``, ``admin``, ``command`` or ``import`` (``registry.audit``).
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
            })
            previous[row.id] = row
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries
