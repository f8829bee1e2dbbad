"""Writes of the treatments domain: IVIg series, stale marks and stored outcomes."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from patients.models import Patient
from registry.services import apply_changes, replace_children, save_validated
from treatments.dates import series_change_check
from treatments.models import AdverseEvent, LotNumber, Outcome, Series

logger = logging.getLogger(__name__)


def outcome_mark_stale(*, patient_id: int) -> None:
    """Mark the outcome stale in the caller's transaction; recompute once it commits.

    If the broker is down the enqueue fails, the stale mark stays committed and the
    periodic sweep (``treatments.tasks.outcome_sweep_stale``) recomputes it later.
    """
    updated = Outcome.objects.filter(patient_id=patient_id).update(
        data_version=F("data_version") + 1
    )
    if not updated:
        Outcome.objects.create(patient_id=patient_id, data_version=1)
    connection = transaction.get_connection()
    already = any(
        isinstance(callback, _Enqueue) and callback.patient_id == patient_id
        for _, callback, _ in connection.run_on_commit
    )
    if not already:  # one recompute per patient per transaction, however many changes
        transaction.on_commit(_Enqueue(patient_id))


class _Enqueue:
    def __init__(self, patient_id: int):
        self.patient_id = patient_id

    def __call__(self) -> None:
        outcome_enqueue(patient_id=self.patient_id)


def outcome_enqueue(*, patient_id: int) -> bool:
    from treatments.tasks import outcome_recompute_task

    try:
        outcome_recompute_task.apply_async((patient_id,), retry=False)
    except Exception:  # the broker is unreachable: the sweep will recover this patient
        logger.warning("Could not enqueue the recompute of patient %s; left stale.", patient_id,
                       exc_info=True, extra={"patient_id": patient_id})
        return False
    return True


def _outcome_store(*, patient_id: int, read_version: int, result: dict[str, Any]) -> bool:
    """Store a computation unless a newer one is already stored (conditional UPDATE)."""
    stored = Outcome.objects.filter(
        patient_id=patient_id, computed_data_version__lte=read_version,
        data_version__gte=read_version,
    ).update(
        computed_data_version=read_version,
        rules_version=result["rules_version"],
        computed_at=timezone.now(),
        status=result["status"] or "",
        result=result,
        summary=Outcome.summary_of(result),
    )
    if not stored:
        logger.info("Outcome of patient %s changed meanwhile; kept the newer one.", patient_id,
                    extra={"patient_id": patient_id})
    return bool(stored)


def outcome_recompute(*, patient_id: int) -> Outcome | None:
    """Load, compute, store — idempotently; a computation that read older data than the
    stored one is dropped instead of overwriting it (conditional UPDATE)."""
    from treatments.rules import compute_outcome
    from treatments.selectors import outcome_inputs

    outcome = Outcome.objects.filter(patient_id=patient_id).first()
    if outcome is None:
        return None
    read_version = outcome.data_version
    inputs = outcome_inputs(patient_id=patient_id)
    if inputs is None:
        return None
    result = compute_outcome(
        inputs.patient, rules=inputs.rules, thresholds=inputs.thresholds,
        block_criteria=inputs.block_criteria,
    ).as_dict()
    _outcome_store(patient_id=patient_id, read_version=read_version, result=result)
    outcome.refresh_from_db()
    return outcome


def outcome_recompute_many(*, patient_ids: Sequence[int], batch_size: int = 200) -> int:
    """Recompute many outcomes (the sweep, ``recompute --all``): per batch, the same
    queries as one patient plus one conditional UPDATE each; returns how many were stored.

    Versions are read before the data, as in ``outcome_recompute``, so a change that
    lands in between leaves the outcome stale for the next sweep, never wrongly fresh.
    """
    from treatments.rules import compute_outcome
    from treatments.selectors import outcome_batch_inputs

    stored = 0
    ids = list(patient_ids)
    for start in range(0, len(ids), batch_size):
        versions = dict(
            Outcome.objects.filter(patient_id__in=ids[start:start + batch_size])
            .values_list("patient_id", "data_version")
        )
        batch = outcome_batch_inputs(patient_ids=list(versions))
        results = {}
        for patient_id, patient in batch.patients.items():
            try:
                results[patient_id] = compute_outcome(
                    patient, rules=batch.rules, thresholds=batch.thresholds,
                    block_criteria=batch.block_criteria,
                ).as_dict()
            except Exception:  # one patient's failure must not hold back the batch
                logger.exception("Recompute of patient %s failed; left stale.", patient_id,
                                 extra={"patient_id": patient_id})
        stored += _outcome_store_many(versions=versions, results=results)
    return stored


def _outcome_store_many(*, versions: dict[int, int], results: dict[int, dict[str, Any]]) -> int:
    """``_outcome_store`` for a whole batch in one statement: the same conditional UPDATE,
    row by row, through ``UPDATE … FROM (VALUES …)`` (one round trip instead of one per
    patient, which was a quarter of a batch's time; bench/README.md)."""
    if not results:
        return 0
    if connection.vendor != "postgresql":  # SQLite (local use): one UPDATE each
        with transaction.atomic():
            return sum(
                _outcome_store(patient_id=patient_id, read_version=versions[patient_id],
                               result=result)
                for patient_id, result in results.items()
            )
    table = connection.ops.quote_name(Outcome._meta.db_table)
    rows = ", ".join(["(%s::bigint, %s::bigint, %s, %s, %s::jsonb, %s::jsonb)"] * len(results))
    params: list[Any] = []
    for patient_id, result in results.items():
        params += [patient_id, versions[patient_id], result["rules_version"],
                   result["status"] or "", json.dumps(result),
                   json.dumps(Outcome.summary_of(result))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS o SET computed_data_version = v.read_version,"
            " rules_version = v.rules_version, computed_at = %s, status = v.status,"
            " result = v.result, summary = v.summary"
            f" FROM (VALUES {rows}) AS v(patient_id, read_version, rules_version, status,"
            " result, summary)"
            " WHERE o.patient_id = v.patient_id AND o.computed_data_version <= v.read_version"
            " AND o.data_version >= v.read_version",
            [timezone.now(), *params],
        )
        stored = cursor.rowcount
    if stored < len(results):
        logger.info("%s outcome(s) changed meanwhile; kept the newer ones.",
                    len(results) - stored)
    return stored


def _series_children(series: Series, lot_numbers, adverse_events) -> None:
    if lot_numbers is not None:
        replace_children(
            parent=series, model=LotNumber, parent_field="series", relation="lot_numbers",
            rows=[{"lot": str(lot).strip()} for lot in lot_numbers], unique_by=("lot",),
        )
    if adverse_events is not None:
        replace_children(
            parent=series, model=AdverseEvent, parent_field="series", relation="adverse_events",
            rows=adverse_events,
        )


def _check_series_order(*, patient: Patient, number: int, started_on: date, pk=None) -> None:
    """clinical-rules.md §6: numbers 1, 2, 3 … per patient without gaps, in date order."""
    others = Series.objects.filter(patient=patient).exclude(pk=pk)
    previous = others.filter(number__lt=number).order_by("-number").first()
    following = others.filter(number__gt=number).order_by("number").first()
    if previous and started_on <= previous.started_on:
        raise ValidationError({"started_on": (
            f"Series {number} must start after series {previous.number} "
            f"({previous.started_on.isoformat()})."
        )})
    if following and started_on >= following.started_on:
        raise ValidationError({"started_on": (
            f"Series {number} must start before series {following.number} "
            f"({following.started_on.isoformat()})."
        )})


def series_next_number(*, patient: Patient) -> int:
    return (Series.objects.filter(patient=patient).aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def series_give(
    *, patient: Patient, data: Mapping[str, Any], lot_numbers: Sequence[str] = (),
    adverse_events: Sequence[Mapping[str, Any]] = (), by: User | None = None,
) -> Series:
    """Record a series; its number is the next one (a different number is refused)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # serialise numbering
    fields = dict(data)
    expected = series_next_number(patient=patient)
    number = fields.pop("number", None) or expected
    if number != expected:
        raise ValidationError(
            {"number": f"The next series of {patient.code} is number {expected}."}
        )
    series = Series(patient=patient, number=number, **fields)
    if series.started_on:
        _check_series_order(patient=patient, number=number, started_on=series.started_on)
        series_change_check(patient_id=patient.pk, number=number, started_on=series.started_on)
    save_validated(series, by=by)
    _series_children(series, lot_numbers, adverse_events)
    outcome_mark_stale(patient_id=patient.pk)
    return series


@transaction.atomic
def series_update(
    *, series: Series, version: int | None, data: Mapping[str, Any],
    lot_numbers: Sequence[str] | None = None,
    adverse_events: Sequence[Mapping[str, Any]] | None = None, by: User | None = None,
) -> Series:
    changes = dict(data)
    if "number" in changes and changes["number"] != series.number:
        raise ValidationError({"number": "A series keeps its number."})
    changes.pop("number", None)
    if "started_on" in changes:
        _check_series_order(
            patient=series.patient, number=series.number, started_on=changes["started_on"],
            pk=series.pk,
        )
        # Always checked: a form may already have put the new date on ``series``.
        series_change_check(patient_id=series.patient_id, number=series.number,
                            started_on=changes["started_on"])
    series = apply_changes(series, changes=changes, version=version, by=by)
    _series_children(series, lot_numbers, adverse_events)
    outcome_mark_stale(patient_id=series.patient_id)
    return series
