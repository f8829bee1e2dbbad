"""Writes of the treatments domain: IVIg series, stale marks and stored outcomes."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

import catalogues as cat
from patients.models import Patient
from registry import jsoncodec
from registry.services import (
    FieldChecks,
    VersionConflict,
    apply_changes,
    lock,
    replace_children,
    save_validated,
    validate_new,
)
from registry.signatures import check_unsigned, record_sign, record_unlock
from treatments.dates import series_change_check
from treatments.hooks import Recomputed, outcome_stored
from treatments.models import (
    AdverseEvent,
    BlockCriteriaSet,
    DiagnosisRuleSet,
    LotNumber,
    NerveReference,
    Outcome,
    RuleSet,
    Series,
    TailoringEpisode,
    TitreThreshold,
)
from treatments.rules.types import RuleSet as RuleSetParameters

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


def _with_versions(result: dict[str, Any], *, thresholds_revision: int | None
                   ) -> dict[str, Any]:
    """The result with what it was computed with besides the rule set (clinical-rules.md,
    preamble): the threshold revision and the block criteria set's code."""
    return {**result, "thresholds_revision": thresholds_revision,
            "criteria": result["conduction_blocks"]["criteria"]}


def _outcome_store(*, patient_id: int, read_version: int, result: dict[str, Any]) -> bool:
    """Store a computation unless a newer one is already stored (conditional UPDATE)."""
    stored = Outcome.objects.filter(
        patient_id=patient_id, computed_data_version__lte=read_version,
        data_version__gte=read_version,
    ).update(
        computed_data_version=read_version,
        rules_version=result["rules_version"],
        thresholds_revision=result["thresholds_revision"],
        criteria=result["criteria"] or "",
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
    stored one is dropped instead of overwriting it (conditional UPDATE). The outcome's
    version is read first, in the same round trip as the data (``outcome_inputs``)."""
    from treatments.rules import compute_outcome
    from treatments.selectors import outcome_inputs

    inputs = outcome_inputs(patient_id=patient_id)
    if inputs is None or inputs.read_version is None:
        return None
    read_version = inputs.read_version
    computed = compute_outcome(
        inputs.patient, rules=inputs.rules, thresholds=inputs.thresholds,
        block_criteria=inputs.block_criteria, today=timezone.localdate(),
    )
    result = _with_versions(computed.as_dict(), thresholds_revision=inputs.thresholds_revision)
    stored, outcome = _outcome_store_one(patient_id=patient_id, read_version=read_version,
                                         result=result)
    if stored:
        outcome_stored([Recomputed(patient_id, read_version, inputs.patient, computed,
                                   inputs.thresholds)])
    return outcome


def outcome_recompute_many(*, patient_ids: Sequence[int], batch_size: int = 200) -> int:
    """Recompute many outcomes (the sweep, ``recompute --all``): per batch, the same
    reads as one patient (one round trip) plus one conditional UPDATE; returns how many
    were stored.

    Versions are read before the data, as in ``outcome_recompute``, so a change that
    lands in between leaves the outcome stale for the next sweep, never wrongly fresh.
    """
    from treatments.rules import compute_outcome
    from treatments.selectors import outcome_batch_inputs

    stored = 0
    ids = list(patient_ids)
    today = timezone.localdate()
    for start in range(0, len(ids), batch_size):
        batch = outcome_batch_inputs(patient_ids=ids[start:start + batch_size])
        versions = batch.versions
        results = {}
        computed: dict[int, Recomputed] = {}
        for patient_id, patient in batch.patients.items():
            if patient_id not in versions:
                continue  # no outcome row: nothing to store (as one by one)
            rules = batch.rules_for(patient)
            thresholds = batch.thresholds.for_centre(patient.center)
            try:
                outcome = compute_outcome(
                    patient, rules=rules, thresholds=thresholds,
                    block_criteria=batch.criteria_for(rules), today=today,
                )
                results[patient_id] = _with_versions(
                    outcome.as_dict(), thresholds_revision=batch.thresholds.revision)
            except Exception:  # one patient's failure must not hold back the batch
                logger.exception("Recompute of patient %s failed; left stale.", patient_id,
                                 extra={"patient_id": patient_id})
                continue
            computed[patient_id] = Recomputed(patient_id, versions[patient_id], patient,
                                              outcome, thresholds)
        stored_ids = _outcome_store_many(versions=versions, results=results)
        outcome_stored([computed[patient_id] for patient_id in sorted(stored_ids)])
        stored += len(stored_ids)
    return stored


def _outcome_store_many(*, versions: dict[int, int], results: dict[int, dict[str, Any]]
                        ) -> set[int]:
    """``_outcome_store`` for a whole batch in one statement: the same conditional UPDATE,
    row by row, through ``UPDATE … FROM (VALUES …)`` (one round trip instead of one per
    patient, which was a quarter of a batch's time; bench/README.md)."""
    if not results:
        return set()
    if connection.vendor != "postgresql":  # SQLite (local use): one UPDATE each
        with transaction.atomic():
            return {
                patient_id for patient_id, result in results.items()
                if _outcome_store(patient_id=patient_id, read_version=versions[patient_id],
                                  result=result)
            }
    sql, params = _outcome_update_sql(versions=versions, results=results)
    with _derived_store(), connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING o.patient_id", params)
        stored = {row[0] for row in cursor.fetchall()}
    _log_kept_newer(results, stored)
    return stored


_SENT_JSON = ("result", "summary")


@contextmanager
def _derived_store() -> Iterator[None]:
    """The outcomes' UPDATE in a transaction of its own whose commit does not wait for the
    WAL to reach the disk (``SET LOCAL synchronous_commit TO OFF``), when the caller is in
    no transaction (the Celery task, the sweep, ``recompute --all``; PostgreSQL).

    An outcome is derived data: a crash that loses the last such commits (PostgreSQL's
    ``wal_writer_delay`` × 3 at most) leaves those outcomes as they were before, stale,
    and the sweep recomputes them (as after a lost message); the data they were computed
    from are committed as before. Waiting for the flush was ~10 ms a commit on the
    benchmark's machine, the per-change recompute's largest cost (bench/README.md). Inside
    a caller's transaction nothing changes: its commit is the caller's."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _outcome_store_one(*, patient_id: int, read_version: int, result: dict[str, Any]
                       ) -> tuple[bool, Outcome | None]:
    """``_outcome_store_many`` of one patient, which also gives back the outcome row as it
    now is: the stored one from the UPDATE itself (``RETURNING``), else — a newer
    computation kept — read again."""
    if connection.vendor == "postgresql":
        sql, params = _outcome_update_sql(versions={patient_id: read_version},
                                          results={patient_id: result})
        # Every column but the two JSON ones, which are what was just sent: not ~20 kB of
        # ``result`` sent back by PostgreSQL and decoded again for an answer already held.
        fields = Outcome._meta.concrete_fields
        returned = ", ".join(f"o.{connection.ops.quote_name(str(f.column))}" for f in fields
                             if f.attname not in _SENT_JSON)
        with _derived_store(), connection.cursor() as cursor:
            cursor.execute(f"{sql} RETURNING {returned}", params)
            row = cursor.fetchone()
        _log_kept_newer({patient_id: result}, {patient_id} if row else set())
        if row is None:
            return False, Outcome.objects.filter(patient_id=patient_id).first()
        values = iter(row)
        sent = {"result": result, "summary": Outcome.summary_of(result)}
        return True, Outcome.from_db(connection.alias, [f.attname for f in fields], [
            sent[f.attname] if f.attname in _SENT_JSON else next(values) for f in fields])
    stored = _outcome_store_many(versions={patient_id: read_version},
                                 results={patient_id: result})
    return bool(stored), Outcome.objects.filter(patient_id=patient_id).first()


def _outcome_update_sql(*, versions: dict[int, int], results: dict[int, dict[str, Any]]
                        ) -> tuple[str, list[Any]]:
    """The conditional ``UPDATE … FROM (VALUES …)`` of ``results`` (PostgreSQL)."""
    table = connection.ops.quote_name(Outcome._meta.db_table)
    rows = ", ".join(
        ["(%s::bigint, %s::bigint, %s, %s::integer, %s, %s, %s::jsonb, %s::jsonb)"]
        * len(results))
    params: list[Any] = [timezone.now()]
    for patient_id, result in results.items():
        params += [patient_id, versions[patient_id], result["rules_version"],
                   result["thresholds_revision"], result["criteria"] or "",
                   result["status"] or "", jsoncodec.dumps(result),
                   jsoncodec.dumps(Outcome.summary_of(result))]
    return (
        f"UPDATE {table} AS o SET computed_data_version = v.read_version,"
        " rules_version = v.rules_version, thresholds_revision = v.thresholds_revision,"
        " criteria = v.criteria, computed_at = %s, status = v.status,"
        " result = v.result, summary = v.summary"
        f" FROM (VALUES {rows}) AS v(patient_id, read_version, rules_version,"
        " thresholds_revision, criteria, status, result, summary)"
        " WHERE o.patient_id = v.patient_id AND o.computed_data_version <= v.read_version"
        " AND o.data_version >= v.read_version", params)


def _log_kept_newer(results: dict[int, dict[str, Any]], stored: set[int]) -> None:
    if len(results) == 1 and not stored:
        patient_id = next(iter(results))
        logger.info("Outcome of patient %s changed meanwhile; kept the newer one.", patient_id,
                    extra={"patient_id": patient_id})
    elif len(stored) < len(results):
        logger.info("%s outcome(s) changed meanwhile; kept the newer ones.",
                    len(results) - len(stored))


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


def _course_defaults(data: Mapping[str, Any]) -> dict[str, Any]:
    """An empty route, regimen or dose basis (an import's empty cell) is its default."""
    return {k: v for k, v in data.items()
            if not (k in ("route", "regimen", "dose_basis") and v in (None, ""))}


DOSING_INPUTS = ("route", "dose_g_per_kg", "weight_kg", "height_cm", "dose_basis",
                 "started_on")


def _series_dosing(series: Series, changes: Mapping[str, Any] | None = None, *,
                   interval_missing: bool, rules=None) -> dict[str, Any]:
    """The dosing values a series stores (clinical-rules.md §10, preamble: records computed
    when the series is saved, with the rule set of that moment): computed for a new series
    and again when one of its dosing inputs changes, else left as they were. Also the
    expected interval by route when none is given. A refused input is a ValidationError
    naming it."""
    from treatments.rules.course import DosingError, default_interval_days
    from treatments.selectors import series_dosing_for

    values = {name: getattr(series, name) for name in DOSING_INPUTS}
    values |= dict(changes or {})
    fields: dict[str, Any] = {}
    if interval_missing:
        fields["expected_interval_days"] = default_interval_days(values["route"])
    if changes is not None:
        # Compared with the stored row: a form may already have put its values on ``series``.
        stored = Series.objects.filter(pk=series.pk).values(
            *DOSING_INPUTS, "dosing_weight_kg").first() or {}
        edited = any(name in changes and changes[name] != stored.get(name)
                     for name in DOSING_INPUTS)
        if not edited and stored.get("dosing_weight_kg") is not None:
            return fields
    if values["dose_g_per_kg"] is None or values["weight_kg"] is None \
            or values["route"] not in cat.codes(cat.ROUTES):
        return fields  # the model's validation names what is missing
    try:
        dosing = series_dosing_for(
            patient=series.patient, route=values["route"],
            dose_g_per_kg=values["dose_g_per_kg"], weight_kg=values["weight_kg"],
            height_cm=values["height_cm"], dose_basis=values["dose_basis"],
            started_on=values["started_on"], rules=rules,
        )
    except DosingError as error:
        raise ValidationError({error.field: error.message}) from error
    return fields | {"dosing_weight_kg": dosing.dosing_weight_kg,
                     "total_grams": dosing.total_grams,
                     "prescribed_grams": dosing.prescribed_grams,
                     "dosing_rules_version": dosing.rules_version}


def _new_series(*, patient: Patient, data: Mapping[str, Any], expected: int,
                rules=None) -> Series:
    """A new series numbered ``expected`` (another number is refused) with its dosing
    values (``_series_dosing``; ``rules``: the diagnosis' rule set already read)."""
    fields = _course_defaults(data)
    number = fields.pop("number", None) or expected
    if number != expected:
        raise ValidationError(
            {"number": f"The next series of {patient.code} is number {expected}."}
        )
    series = Series(patient=patient, number=number, **fields)
    missing = fields.get("expected_interval_days") in (None, "")
    for name, value in _series_dosing(series, interval_missing=missing, rules=rules).items():
        setattr(series, name, value)
    return series


def series_next_number(*, patient: Patient) -> int:
    return (Series.objects.filter(patient=patient).aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def series_give(
    *, patient: Patient, data: Mapping[str, Any], lot_numbers: Sequence[str] = (),
    adverse_events: Sequence[Mapping[str, Any]] = (), by: User | None = None,
) -> Series:
    """Record a series; its number is the next one (a different number is refused)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # serialise numbering
    series = _new_series(patient=patient, data=data,
                         expected=series_next_number(patient=patient))
    number = series.number
    if series.started_on:
        _check_series_order(patient=patient, number=number, started_on=series.started_on)
        series_change_check(patient_id=patient.pk, number=number, started_on=series.started_on)
    save_validated(series, by=by)
    _series_children(series, lot_numbers, adverse_events)
    outcome_mark_stale(patient_id=patient.pk)
    return series


def series_prepare(
    *, patient: Patient, data: Mapping[str, Any], previous: Series | None, rules,
    by: User | None = None, checks: FieldChecks | None = None,
) -> Series:
    """``series_give``'s checks for a series of a patient not written yet (an import's
    bulk path, which checks the lots and adverse events itself), against the patient's
    ``previous`` series held in memory and the rule set of its diagnosis (``rules``): the
    next number, the date order, the dosing values, the fields; nothing is written
    (``registry.services.validate_new`` says what is left to the database). Raises what
    ``series_give`` would. ``checks``: the fields validated through it (each distinct value
    once)."""
    series = _new_series(patient=patient, data=data,
                         expected=previous.number + 1 if previous is not None else 1,
                         rules=rules)
    number = series.number
    if series.started_on and previous is not None and series.started_on <= previous.started_on:
        raise ValidationError({"started_on": (
            f"Series {number} must start after series {previous.number} "
            f"({previous.started_on.isoformat()})."
        )})
    return validate_new(series, exclude=["patient"], by=by, checks=checks)


@transaction.atomic
def series_update(
    *, series: Series, version: int | None, data: Mapping[str, Any],
    lot_numbers: Sequence[str] | None = None,
    adverse_events: Sequence[Mapping[str, Any]] | None = None, by: User | None = None,
) -> Series:
    check_unsigned(series)  # a signed series, its lots and adverse events are read-only (§11)
    changes = _course_defaults(data)
    if "number" in changes and changes["number"] != series.number:
        raise ValidationError({"number": "A series keeps its number."})
    changes.pop("number", None)
    changes |= _series_dosing(series, changes, interval_missing="expected_interval_days"
                              in changes and changes["expected_interval_days"] in (None, ""))
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


@transaction.atomic
def outcomes_mark_overdue_stale(*, today: date) -> list[int]:
    """Mark stale the outcomes that became overdue since they were computed (clinical-rules.md
    §10): ``overdue`` is judged at recompute time with that day's date, so an outcome whose
    ``overdue_from`` day has come without any change of data is recomputed (the daily beat
    task ``outcome_sweep_overdue``) rather than shown overdue by a surface of its own."""
    due = Outcome.objects.filter(summary__overdue=False,
                                 summary__overdue_from__lte=today.isoformat())
    return outcomes_mark_stale(patients=Patient.objects.filter(outcome__in=due))


# Dose-tailoring episodes (clinical-rules.md §10): their result is the rules', stored in
# the outcome, so every write marks the outcome stale in its transaction.

TAILORING_FIELDS = ("kind", "started_on", "ended_on", "notes")


def _tailoring_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(TAILORING_FIELDS) - {"patient"})
    if unknown:
        raise ValidationError({name: "Not a field of a tailoring episode." for name in unknown})
    return {name: value for name, value in data.items() if name in TAILORING_FIELDS}


@transaction.atomic
def tailoring_record(*, patient: Patient, data: Mapping[str, Any], by: User | None = None
                     ) -> TailoringEpisode:
    episode = save_validated(TailoringEpisode(patient=patient, **_tailoring_fields(data)), by=by)
    outcome_mark_stale(patient_id=patient.pk)
    return episode


@transaction.atomic
def tailoring_update(*, episode: TailoringEpisode, version: int | None,
                     data: Mapping[str, Any], by: User | None = None) -> TailoringEpisode:
    changes = _tailoring_fields(data)
    episode = apply_changes(episode, changes=changes, version=version, by=by)
    outcome_mark_stale(patient_id=episode.patient_id)
    return episode


@transaction.atomic
def tailoring_delete(*, episode: TailoringEpisode, by: User | None = None) -> None:
    episode._history_user = by  # type: ignore[attr-defined]  # read by simple-history
    patient_id = episode.patient_id
    episode.delete()
    outcome_mark_stale(patient_id=patient_id)


def outcomes_mark_stale_dated(*, today: date) -> list[int]:
    """The outcomes whose judgement moves with the date alone, not with a change of data:
    a tailoring window closes (§10: ``ongoing`` → ``tolerated`` / ``not_assessed``, and
    the status ``off_treatment``). Marked stale once a day (the beat task
    ``outcome_mark_stale_dated_task``) when computed before ``today`` with an episode whose
    window may still have been open then."""
    from treatments.selectors import rules_by_diagnosis

    longest = max([r.relapse_window_days for r in rules_by_diagnosis().values()]
                  + [RuleSetParameters().relapse_window_days])
    return outcomes_mark_stale(patients=Patient.objects.filter(
        tailoring_episodes__started_on__gte=today - timedelta(days=longest + 1),
        outcome__computed_at__date__lt=today,
    ))


# Sign-off (clinical-rules.md §11): the signature covers the series' fields, its lots and
# its adverse events, not the computed judgements (no stale mark).

def series_sign(*, series: Series, password: str, by: User, request=None) -> Series:
    """``request``: the password re-entry then counts towards the sign-in lockout (so no
    transaction around the check: ``registry.signatures.record_sign`` opens its own)."""
    return record_sign(series, password=password, by=by, request=request)


@transaction.atomic
def series_unlock(*, series: Series, reason: str, by: User) -> Series:
    return record_unlock(series, reason=reason, by=by)


# Reference data (clinical-rules.md, preamble): every change marks the outcomes it
# concerns stale in the same transaction; the recompute follows once it commits.

RECOMPUTE_BATCH = 200


def outcomes_mark_stale(*, patients: QuerySet[Patient]) -> list[int]:
    """``outcome_mark_stale`` for many patients in three statements whatever their number;
    their recompute is enqueued once the transaction commits, in batches."""
    ids = list(patients.order_by("pk").values_list("pk", flat=True).distinct())
    if not ids:
        return ids
    Outcome.objects.bulk_create([Outcome(patient_id=pk, data_version=0) for pk in ids],
                                ignore_conflicts=True)  # never computed: a row to mark
    Outcome.objects.filter(patient_id__in=ids).update(data_version=F("data_version") + 1)
    transaction.on_commit(lambda: outcome_enqueue_many(patient_ids=ids))
    return ids


def outcome_enqueue_many(*, patient_ids: Sequence[int]) -> None:
    from treatments.tasks import outcome_recompute_batch_task

    for start in range(0, len(patient_ids), RECOMPUTE_BATCH):
        batch = list(patient_ids[start:start + RECOMPUTE_BATCH])
        try:
            outcome_recompute_batch_task.apply_async((batch,), retry=False)
        except Exception:  # the broker is unreachable: the sweep will recover them
            logger.warning("Could not enqueue the recompute of %s patients; left stale.",
                           len(batch), exc_info=True)
            return


@transaction.atomic
def rule_set_create(
    *, version: str, parameters: Mapping[str, Any], description: str = "",
    defaults: Sequence[str] = (), by: User | None = None,
) -> RuleSet:
    """A new rule-set version (versions are immutable: a change is a new one), optionally
    made the default of ``defaults`` (diagnosis codes)."""
    rule_set = save_validated(
        RuleSet(version=version, parameters=dict(parameters), description=description), by=by)
    for diagnosis in defaults:
        rule_set_make_default(rule_set=rule_set, diagnosis=diagnosis, by=by)
    return rule_set


@transaction.atomic
def rule_set_make_default(*, rule_set: RuleSet, diagnosis: str, by: User | None = None
                          ) -> DiagnosisRuleSet:
    """Make ``rule_set`` the default of ``diagnosis``; that diagnosis' outcomes go stale."""
    if diagnosis not in dict(cat.DIAGNOSES):
        raise ValidationError({"diagnosis": f"Unknown diagnosis {diagnosis!r}."})
    row = DiagnosisRuleSet.objects.select_for_update().filter(diagnosis=diagnosis).first()
    if row is not None and row.rule_set_id == rule_set.pk:
        return row
    row = row or DiagnosisRuleSet(diagnosis=diagnosis)
    row.rule_set = rule_set
    save_validated(row, by=by)
    outcomes_mark_stale(patients=Patient.objects.filter(diagnosis=diagnosis))
    return row


THRESHOLD_KEY = ("center", "antigen", "isotype", "method", "unit")


def _threshold_concerned(threshold: TitreThreshold) -> QuerySet[Patient]:
    """Patients whose outcome a threshold row concerns (clinical-rules.md §5): those with
    a titre of its assay, of its centre if it names one; for a general row, of the
    centres without their own current row for that assay (theirs wins)."""
    assay = {f"titres__{name}": getattr(threshold, name)
             for name in ("antigen", "isotype", "method", "unit")}
    patients = Patient.objects.filter(**assay)
    if threshold.center_id is not None:
        return patients.filter(center_id=threshold.center_id)
    own = TitreThreshold.objects.filter(
        current=True, center__isnull=False, antigen=threshold.antigen,
        isotype=threshold.isotype, method=threshold.method, unit=threshold.unit,
    ).values("center_id")
    return patients.exclude(center_id__in=own)


def _next_threshold_revision() -> int:
    # Serialises revisions: writers queue on this lock, then read the highest revision.
    # The unique constraint on ``revision`` is the last guard.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [THRESHOLD_REVISION_LOCK])
    return (TitreThreshold.objects.aggregate(n=Max("revision"))["n"] or 0) + 1


THRESHOLD_REVISION_LOCK = 0x7469747265  # "titre"


@transaction.atomic
def titre_threshold_create(*, data: Mapping[str, Any], by: User | None = None
                           ) -> TitreThreshold:
    """A threshold for an assay (and a centre, or all) that has none yet: revision 1 of
    its key, the next global revision."""
    fields = {name: data[name] for name in data
              if name in {*THRESHOLD_KEY, "value", "source"}}
    threshold = TitreThreshold(**fields, revision=_next_threshold_revision())
    save_validated(threshold, by=by)
    outcomes_mark_stale(patients=_threshold_concerned(threshold))
    return threshold


@transaction.atomic
def titre_threshold_update(
    *, threshold: TitreThreshold, version: int | None, data: Mapping[str, Any],
    by: User | None = None,
) -> TitreThreshold:
    """A changed cut-off is a new row with the next global revision; the row it replaces
    is kept, no longer current. Its assay and centre never change (a new threshold)."""
    revision = _next_threshold_revision()
    current = lock(threshold)
    if not current.current or version is None or int(version) != current.version:
        successor = (TitreThreshold.objects.filter(
            current=True, center=current.center_id, antigen=current.antigen,
            isotype=current.isotype, method=current.method, unit=current.unit,
        ).first() if not current.current else current)
        raise VersionConflict(current=successor.version if successor else current.version,
                              sent=version)
    moved = [name for name in THRESHOLD_KEY
             if name in data and getattr(data[name], "pk", data[name]) != getattr(
                 current, f"{name}_id" if name == "center" else name)]
    if moved:
        raise ValidationError({name: "A threshold keeps its assay and centre; create a new"
                                     " threshold instead." for name in moved})
    current.current = False
    current._history_user = by  # type: ignore[attr-defined]  # django-simple-history
    current.save(update_fields=["current", "updated_at"])
    successor = TitreThreshold(
        **{name: getattr(current, name) for name in (*THRESHOLD_KEY, "value", "source")},
        revision=revision, version=current.version + 1,
    )
    for name in ("value", "source"):
        if name in data:
            setattr(successor, name, data[name])
    save_validated(successor, by=by)
    if successor.value != current.value:
        outcomes_mark_stale(patients=_threshold_concerned(successor))
    return successor


@transaction.atomic
def block_criteria_create(*, code: str, parameters: Mapping[str, Any], description: str = "",
                          by: User | None = None) -> BlockCriteriaSet:
    """A new criteria set: no outcome used it yet, so none goes stale."""
    return save_validated(BlockCriteriaSet(code=code, parameters=dict(parameters),
                                           description=description), by=by)


@transaction.atomic
def block_criteria_update(
    *, criteria_set: BlockCriteriaSet, revision: int | None, data: Mapping[str, Any],
    by: User | None = None,
) -> BlockCriteriaSet:
    """A changed criteria set is its next revision (``revision`` is the one the writer
    read: a stale one is refused); the outcomes of patients with nerve studies judged by
    it go stale. Its code never changes."""
    current = lock(criteria_set)
    if revision is None or int(revision) != current.revision:
        raise VersionConflict(current=current.revision, sent=revision)
    if "code" in data and data["code"] != current.code:
        raise ValidationError({"code": "A criteria set keeps its code; create a new one."})
    before = current.parameters
    for name in ("parameters", "description"):
        if name in data:
            setattr(current, name, data[name])
    current.revision += 1
    save_validated(current, by=by)
    if current.parameters != before:
        outcomes_mark_stale(patients=Patient.objects.filter(
            outcome__criteria=current.code, nerve_studies__isnull=False))
    return current


@transaction.atomic
def nerve_reference_save(*, reference: NerveReference, by: User | None = None
                         ) -> NerveReference:
    """Record a nerve's lower limit of normal (new or changed). The criteria sets that
    read it (``efns``, clinical-rules.md §4) judge that nerve's segments by it, so the
    outcomes of patients with a segment of that nerve judged by such a set go stale."""
    before = (NerveReference.objects.select_for_update().filter(pk=reference.pk)
              .values_list("nerve", "lower_limit_amplitude_mv").first()
              if reference.pk else None)
    save_validated(reference, by=by)
    if before == (reference.nerve, reference.lower_limit_amplitude_mv):
        return reference  # only the source changed: no judgement moves
    nerves = {reference.nerve, *([before[0]] if before else [])}
    reading = [row.code for row in BlockCriteriaSet.objects.all()
               if row.as_criteria().kind == "efns"]
    outcomes_mark_stale(patients=Patient.objects.filter(
        outcome__criteria__in=reading, nerve_studies__segments__nerve__in=nerves))
    return reference
