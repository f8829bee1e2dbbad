"""Writes of the patients domain. Each marks the patient's outcome stale in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction

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
from registry.models import Center
from registry.services import apply_changes, replace_children, save_validated
from registry.signatures import check_unsigned, record_sign, record_unlock
from treatments.dates import visit_date_check
from treatments.services import outcome_mark_stale

Row = Mapping[str, Any]


def _patient_children(
    patient: Patient, *, affected_nerves: Sequence[Row] | None,
    target_muscles: Sequence[Row] | None,
) -> None:
    if affected_nerves is not None:
        replace_children(
            parent=patient, model=AffectedNerve, parent_field="patient",
            relation="affected_nerves", rows=affected_nerves, unique_by=("side", "nerve"),
        )
    if target_muscles is not None:
        replace_children(
            parent=patient, model=PinnedTargetMuscle, parent_field="patient",
            relation="target_muscles", rows=target_muscles, unique_by=("muscle", "side"),
        )


def _one_to_one(model, patient: Patient, values: Row | None, by: User | None) -> None:
    if values is None:
        return
    record = model._default_manager.filter(patient=patient).first() or model(patient=patient)
    for name, value in values.items():
        setattr(record, name, value)
    save_validated(record, by=by)


@transaction.atomic
def patient_create(
    *, center: Center, data: Row, affected_nerves: Sequence[Row] = (),
    target_muscles: Sequence[Row] = (), identity: Row | None = None, consent: Row | None = None,
    by: User | None = None,
) -> Patient:
    patient = save_validated(Patient(center=center, **data), by=by)
    _patient_children(patient, affected_nerves=affected_nerves, target_muscles=target_muscles)
    _one_to_one(Identity, patient, identity or {}, by)
    _one_to_one(Consent, patient, consent or {}, by)
    outcome_mark_stale(patient_id=patient.pk)
    return patient


@transaction.atomic
def patient_update(
    *, patient: Patient, version: int | None, data: Row,
    affected_nerves: Sequence[Row] | None = None, target_muscles: Sequence[Row] | None = None,
    identity: Row | None = None, consent: Row | None = None, by: User | None = None,
) -> Patient:
    patient = apply_changes(patient, changes=data, version=version, by=by)
    _patient_children(patient, affected_nerves=affected_nerves, target_muscles=target_muscles)
    _one_to_one(Identity, patient, identity, by)
    _one_to_one(Consent, patient, consent, by)
    outcome_mark_stale(patient_id=patient.pk)
    return patient


# Simple patient records: titres, monoclonal proteins, prior treatments.

@transaction.atomic
def record_create(*, model, patient: Patient, data: Row, by: User | None = None):
    """Create a titre, paraprotein or prior treatment of ``patient``."""
    record = save_validated(model(patient=patient, **data), by=by)
    outcome_mark_stale(patient_id=patient.pk)
    return record


@transaction.atomic
def record_update(*, record, version: int | None, data: Row, by: User | None = None):
    record = apply_changes(record, changes=data, version=version, by=by)
    outcome_mark_stale(patient_id=record.patient_id)
    return record


@transaction.atomic
def record_delete(*, record, by: User | None = None) -> None:
    record._history_user = by
    patient_id = record.patient_id
    record.delete()
    outcome_mark_stale(patient_id=patient_id)


def titre_record(*, patient: Patient, data: Row, by: User | None = None) -> Titre:
    return record_create(model=Titre, patient=patient, data=data, by=by)


def paraprotein_record(*, patient: Patient, data: Row, by: User | None = None) -> Paraprotein:
    return record_create(model=Paraprotein, patient=patient, data=data, by=by)


def prior_treatment_record(
    *, patient: Patient, data: Row, by: User | None = None
) -> PriorTreatment:
    return record_create(model=PriorTreatment, patient=patient, data=data, by=by)


# Visits and their MRC grid.

def _visit_mrc(visit: Visit, mrc: Sequence[Row] | None) -> None:
    if mrc is not None:
        replace_children(
            parent=visit, model=MrcGrade, parent_field="visit", relation="mrc", rows=mrc,
            unique_by=("muscle", "side"),
        )


def _check_visit_series(patient: Patient, data: Row) -> None:
    series = data.get("series")
    if series is not None and series.patient_id != patient.pk:
        raise ValidationError({"series": "This series belongs to another patient."})


@transaction.atomic
def visit_record(
    *, patient: Patient, data: Row, mrc: Sequence[Row] = (), by: User | None = None
) -> Visit:
    _check_visit_series(patient, data)
    visit_date_check(patient_id=patient.pk, kind=data.get("kind"),
                     visited_on=data.get("visited_on"), series=data.get("series"))
    visit = save_validated(Visit(patient=patient, recorded_by=by, **data), by=by)
    _visit_mrc(visit, mrc)
    outcome_mark_stale(patient_id=patient.pk)
    return visit


@transaction.atomic
def visit_update(
    *, visit: Visit, version: int | None, data: Row, mrc: Sequence[Row] | None = None,
    by: User | None = None,
) -> Visit:
    check_unsigned(visit)  # a signed visit and its MRC grid are read-only (§11)
    _check_visit_series(visit.patient, data)
    visit_date_check(patient_id=visit.patient_id, kind=data.get("kind", visit.kind),
                     visited_on=data.get("visited_on", visit.visited_on),
                     series=data["series"] if "series" in data else visit.series)
    visit = apply_changes(visit, changes=data, version=version, by=by)
    _visit_mrc(visit, mrc)
    outcome_mark_stale(patient_id=visit.patient_id)
    return visit


@transaction.atomic
def visit_delete(*, visit: Visit, by: User | None = None) -> None:
    check_unsigned(visit)
    for grade in visit.mrc.all():
        # django-simple-history reads who deleted it from this untyped attribute.
        grade._history_user = by  # type: ignore[attr-defined]
        grade.delete()
    record_delete(record=visit, by=by)


# Sign-off (clinical-rules.md §11): the signature covers the visit's fields and its MRC
# grid; the outcome is not marked stale (the judgements do not change with a signature).

def visit_sign(*, visit: Visit, password: str, by: User, request=None) -> Visit:
    """``request``: the password re-entry then counts towards the sign-in lockout (so no
    transaction around the check: ``registry.signatures.record_sign`` opens its own)."""
    return record_sign(visit, password=password, by=by, request=request)


@transaction.atomic
def visit_unlock(*, visit: Visit, reason: str, by: User) -> Visit:
    return record_unlock(visit, reason=reason, by=by)


# Nerve-conduction studies and their segments.

def _study_segments(study: NerveStudy, segments: Sequence[Row] | None) -> None:
    if segments is not None:
        replace_children(
            parent=study, model=NerveSegment, parent_field="study", relation="segments",
            rows=segments,
        )


@transaction.atomic
def nerve_study_record(
    *, patient: Patient, data: Row, segments: Sequence[Row] = (), by: User | None = None
) -> NerveStudy:
    study = save_validated(NerveStudy(patient=patient, **data), by=by)
    _study_segments(study, segments)
    outcome_mark_stale(patient_id=patient.pk)
    return study


@transaction.atomic
def nerve_study_update(
    *, study: NerveStudy, version: int | None, data: Row, segments: Sequence[Row] | None = None,
    by: User | None = None,
) -> NerveStudy:
    study = apply_changes(study, changes=data, version=version, by=by)
    _study_segments(study, segments)
    outcome_mark_stale(patient_id=study.patient_id)
    return study


@transaction.atomic
def nerve_study_delete(*, study: NerveStudy, by: User | None = None) -> None:
    for segment in study.segments.all():
        # django-simple-history reads who deleted it from this untyped attribute.
        segment._history_user = by  # type: ignore[attr-defined]
        segment.delete()
    record_delete(record=study, by=by)


def patient_counts_compact() -> int:
    """Fold each centre's committed rows of ``CentrePatientCount`` into one (PostgreSQL; a
    no-op elsewhere); the number of rows folded. One statement: rows a running
    transaction is adding are not yet visible, so they are left as they are, and a
    concurrent compaction folds only what it deleted itself."""
    if connection.vendor != "postgresql":
        return 0
    table = connection.ops.quote_name(CentrePatientCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH folded AS (DELETE FROM {table} RETURNING center_id, patients),"
            f" kept AS (INSERT INTO {table} (center_id, patients)"
            f" SELECT center_id, SUM(patients) FROM folded GROUP BY center_id"
            f" HAVING SUM(patients) <> 0 RETURNING 1)"
            f" SELECT COUNT(*) FROM folded")
        return cursor.fetchone()[0]
