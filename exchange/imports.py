"""Imports: CSV files in the export's formats, validated whole, written through the services.

1. Every file is parsed (``exchange.parsing``); a bad cell rejects its row.
2. Rows are grouped per patient into records with their nested lists (a visit with its
   MRC rows, a series with its lots and adverse events, …), checking repeated keys and
   references (a visit's series, an MRC row's visit, …).
3. Inside one transaction, each patient is written through the domain services
   (``patients.services``, ``treatments.services``), one savepoint per record, so that
   a service's refusal is reported against the row it came from and the rest goes on.
   A record that already exists (found by the dataset's key) is updated only when a
   value differs, so importing the same file twice changes nothing the second time.

   A patient new to the registry, given whole by the import, takes the bulk path
   instead: the same checks as the services', on the records held in memory (fields,
   series numbering, order and dosing, visit placement, repeated nested rows), then
   ``BULK_BATCH`` patients at a time written with one ``COPY`` per table and one per
   audit-history table (the nested rows' audit rows copied from them by one
   ``INSERT … SELECT``), and their outcomes marked stale together (one recompute
   batch once the transaction commits). A patient that fails a check, or whose rows
   need a message the bulk path does not give (an unknown centre, a visit without its
   row, …), goes through the services as above, so every problem reads as before; a
   batch the database refuses (a CHECK constraint, a unique key) is rolled back to its
   savepoint and written again through the services, which name the row.
4. The transaction commits only when every row was valid — or, with ``valid_only``,
   whatever was valid; a dry run never commits.
"""

from __future__ import annotations

import functools
import gc
import operator
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Prefetch
from django.utils import timezone

from exchange.datasets import BY_NAME
from exchange.models import IMPORT_OUTCOMES
from exchange.parsing import Line, Problem, Problems, parse_file
from patients import services as patient_services
from patients.models import (
    VISIT_MEASURE_FIELDS,
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
from registry.audit import IMPORT, audit_source, current_source
from registry.models import Center
from registry.scoping import can_import_into
from registry.services import (
    ITEM,
    REPEAT,
    FieldChecks,
    VersionConflict,
    item_error,
    repeat_error,
    validate_new,
)
from registry.signatures import RecordLocked, signature_text
from treatments import services as treatment_services
from treatments.dates import visit_date_check_among
from treatments.models import AdverseEvent, LotNumber, Series, TailoringEpisode
from treatments.rules.dates import SeriesDates
from treatments.selectors import rules_for_diagnosis

ALL_OR_NOTHING, VALID_ONLY, DRY_RUN = "all_or_nothing", "valid_only", "dry_run"
BULK_BATCH = 100  # new patients written together (one INSERT per table and batch)
MODES = (ALL_OR_NOTHING, VALID_ONLY, DRY_RUN)

# Column of a file → field of the model it writes (where the names differ).
PATIENT_FIELDS = ("sex", "birth_year", "diagnosis", "onset_year", "neuropathy_pattern",
                  "primary_measure", "notes")
CONSENT_FIELDS = {"consent_given_on": "given_on", "consent_version": "version"}
IDENTITY_FIELDS = ("name", "date_of_birth", "hospital_number")
SERIES_FIELDS = ("started_on", "days", "dose_g_per_kg", "weight_kg", "product", "status",
                 "stop_reason", "route", "regimen", "expected_interval_days", "height_cm",
                 "dose_basis", "grams_given")
VISIT_FIELDS = ("visited_on", "kind", "examiner", "functional_score", "prineas_score",
                *VISIT_MEASURE_FIELDS, "notes")
CHILD_FIELDS = {
    "affected_nerves": ("side", "nerve"),
    "target_muscles": ("muscle", "side"),
    "lots": ("lot",),
    "adverse_events": ("kind", "severity", "led_to_stop", "notes"),
    "mrc": ("muscle", "side", "grade"),
    "nerve_segments": ("nerve", "side", "distal_site", "proximal_site", "distal_amplitude_mv",
                       "proximal_amplitude_mv", "distal_area_mvms", "proximal_area_mvms",
                       "distal_duration_ms", "proximal_duration_ms", "velocity_m_s"),
}
SIMPLE_RECORDS = {"titres": Titre, "paraproteins": Paraprotein,
                  "prior_treatments": PriorTreatment, "tailoring": TailoringEpisode}
# A simple dataset whose name is not the patient's relation to its records.
RELATIONS = {"tailoring": "tailoring_episodes"}


@dataclass
class Nested:
    """A record given by its own row and/or its nested list (``None``: list not in the import)."""

    line: Line | None = None
    children: dict[str, list[Line]] = field(default_factory=dict)
    rejected: Line | None = None  # its own row, had a bad cell

    def lines(self) -> Iterator[Line]:
        if self.line is not None:
            yield self.line
        for rows in self.children.values():
            yield from rows or ()

    def first_line(self) -> Line:
        return next(self.lines())


@dataclass
class PatientPlan:
    code: str
    own: Nested = field(default_factory=Nested)
    rejected: Line | None = None  # the patient's row, had a bad cell
    records: dict[str, list[Line]] = field(default_factory=lambda: defaultdict(list))
    series: dict[int, Nested] = field(default_factory=dict)
    visits: dict[tuple[date, str], Nested] = field(default_factory=dict)
    studies: dict[date, Nested] = field(default_factory=dict)

    def lines(self) -> Iterator[Line]:
        yield from self.own.lines()
        for rows in self.records.values():
            yield from rows
        for group in (self.series, self.visits, self.studies):
            for nested in group.values():
                yield from nested.lines()


@dataclass
class ImportReport:
    problems: list[Problem]  # the first IMPORT_MAX_PROBLEMS, by file, line and column
    counts: dict[str, Counter]
    committed: bool
    patients: int
    problem_count: int = 0  # all of them

    @property
    def ok(self) -> bool:
        return not self.problem_count

    def counts_dict(self) -> dict[str, dict[str, int]]:
        """Per dataset (in the datasets' order): created, updated, unchanged, skipped."""
        return {
            name: {what: self.counts[name][what]
                   for what in IMPORT_OUTCOMES if self.counts[name][what]}
            for name in BY_NAME if self.counts.get(name)
        }


PARENT_GROUP = {"series": "series", "visits": "visits", "nerve_studies": "studies"}
CHILD_OF = {"lots": "series", "adverse_events": "series", "mrc": "visits",
            "nerve_segments": "nerve_studies", "affected_nerves": "patients",
            "target_muscles": "patients"}
RELATION = {  # child dataset → the name its service's ValidationError uses
    "affected_nerves": "affected_nerves", "target_muscles": "target_muscles",
    "lots": "lot_numbers", "adverse_events": "adverse_events", "mrc": "mrc",
    "nerve_segments": "segments",
}


_DATASET_NAME = operator.attrgetter("dataset.name")


def _group_key(dataset: str, line: Line):
    if dataset in ("series", "lots", "adverse_events"):
        return line.get("series")
    if dataset in ("visits", "mrc"):
        return (line.get("visited_on"), line.get("kind"))
    return line.get("studied_on")


def _describe(dataset: str, key) -> str:
    if dataset in ("series", "lots", "adverse_events"):
        return f"series {key}"
    if dataset in ("visits", "mrc"):
        return f"{key[1]} visit on {key[0].isoformat()}"
    return f"nerve study on {key.isoformat()}"


class Importer:
    """One import run (see the module's docstring)."""

    def __init__(
        self, *, user, files: Mapping[str, str | IO[str]] | Iterable[tuple[str, IO[str]]],
        mode: str = ALL_OR_NOTHING,
        progress: Callable[[int, int], None] | None = None, bulk: bool = True,
    ):
        if mode not in MODES:
            raise ValueError(f"Unknown import mode {mode!r}.")
        self.user = user
        self.by = user if getattr(user, "pk", None) else None
        self.files = files
        self.mode = mode
        self.progress = progress or (lambda done, total: None)
        self.problems = Problems()
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.wrote = False
        # COPY is PostgreSQL's: on the embedded SQLite of `make run` every patient goes
        # through the services.
        self.bulk = bulk and connection.vendor == "postgresql"
        self.rules: dict[str, Any] = {}  # the rule set of each diagnosis, read once
        self.bulk_ids: list[int] = []  # patients written by the bulk path
        self.checks = FieldChecks()  # the bulk path's field validation, by distinct value
        self.child_rows = ChildRows(self.checks)

    # 1–2. Parse and plan -------------------------------------------------------------

    def plan(self) -> list[PatientPlan]:
        parsed: dict[str, list[Line]] = {}
        rejected: dict[str, list[Line]] = {}
        files = self.files.items() if isinstance(self.files, Mapping) else self.files
        for name, source in files:  # each file read as a stream, row by row
            result = parse_file(BY_NAME[name], source, problems=self.problems)
            parsed[name], rejected[name] = result.lines, result.rejected
            if result.rejected:
                self.counts[name]["skipped"] += len(result.rejected)
        plans: dict[str, PatientPlan] = {}

        def plan_of(code: str) -> PatientPlan:
            plan = plans.get(code)
            if plan is None:
                plan = plans[code] = PatientPlan(code)
            return plan

        for line in self._unique(parsed.get("patients", []), ("patient",)):
            plan_of(line.get("patient")).own.line = line
        for line in rejected.get("patients", []):
            if line.get("patient"):
                plan_of(line.get("patient")).rejected = line
        for name in SIMPLE_RECORDS:
            for line in self._unique(parsed.get(name, []), BY_NAME[name].key):
                plan_of(line.get("patient")).records[name].append(line)
        for name, group in PARENT_GROUP.items():
            for line in self._unique(parsed.get(name, []), BY_NAME[name].key):
                getattr(plan_of(line.get("patient")), group)[_group_key(name, line)] = Nested(line)
            for line in rejected.get(name, []):
                if all(line.get(k) is not None for k in BY_NAME[name].key):
                    nested = getattr(plan_of(line.get("patient")), group).setdefault(
                        _group_key(name, line), Nested())
                    nested.rejected = nested.rejected or line
        # A record's nested list is replaced when the import gives the record's own row
        # (an empty list then) or rows of the list; other records keep theirs.
        for child, parent in CHILD_OF.items():
            if child not in parsed:
                continue
            if parent == "patients":
                for plan in plans.values():
                    if plan.own.line is not None:
                        plan.own.children[child] = []
                for line in parsed[child]:
                    plan_of(line.get("patient")).own.children.setdefault(child, []).append(line)
                continue
            group = PARENT_GROUP[parent]
            for plan in plans.values():
                for nested in getattr(plan, group).values():
                    if nested.line is not None:
                        nested.children[child] = []
            lists: dict[tuple, list[Line]] = {}  # (patient, record's key) → its list
            for line in parsed[child]:
                key = _group_key(child, line)
                rows = lists.get((line.get("patient"), key))
                if rows is None:
                    records = getattr(plan_of(line.get("patient")), group)
                    nested = records.get(key)
                    if nested is None:
                        nested = records[key] = Nested()
                    rows = lists[(line.get("patient"), key)] = nested.children.setdefault(
                        child, [])
                rows.append(line)
        return [plans[code] for code in sorted(plans)]

    def _unique(self, lines: list[Line], key: tuple[str, ...]) -> Iterator[Line]:
        seen: dict[tuple, int] = {}
        for line in lines:
            values = tuple(line.get(name) for name in key)
            if values in seen:
                self._reject([line], f"Repeats line {seen[values]} (same {', '.join(key)}).",
                             _repeated_column(key))
                continue
            seen[values] = line.number
            yield line

    # 3. Write --------------------------------------------------------------------------

    def run(self) -> ImportReport:
        plans = self.plan()
        # The parsed rows live until the end: kept out of the cyclic garbage collector's
        # full passes (each walked every one of them, a third of the import's time). Not
        # in a process that froze its start-up objects (the web entry point, where tasks
        # run eagerly): unfreezing would hand those back to the collector too.
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            # Every audit row of an import says so (``registry.audit``), whichever process
            # runs it: the worker, the command, an eager task in the web process.
            with audit_source(IMPORT):
                return self._run(plans)
        finally:
            if freeze:
                gc.unfreeze()

    def _run(self, plans: list[PatientPlan]) -> ImportReport:
        commit = False
        with transaction.atomic():
            patients = {
                p.code: p for p in Patient.objects.filter(code__in=[plan.code for plan in plans])
            }
            centers = {c.code: c for c in Center.objects.all()}
            batch: list[NewPatient] = []
            for done, plan in enumerate(plans, start=1):
                patient = patients.get(plan.code)
                prepared = (self._prepare_new(plan, centers)
                            if self.bulk and patient is None else None)
                if prepared is None:
                    self._patient(plan, patient, centers)
                else:
                    batch.append(prepared)
                    if len(batch) >= BULK_BATCH:
                        self._write_new(batch, centers)
                        batch = []
                self.progress(done, len(plans))
            self._write_new(batch, centers)
            if self.bulk_ids:  # one stale mark and one recompute batch for all of them
                treatment_services.outcomes_mark_stale(
                    patients=Patient.objects.filter(pk__in=self.bulk_ids))
            commit = self.wrote and (
                self.mode == VALID_ONLY or (self.mode == ALL_OR_NOTHING and not self.problems)
            )
            if not commit:
                transaction.set_rollback(True)
        problems = sorted(self.problems.kept(), key=lambda p: (p.file, p.line, p.column))
        return ImportReport(problems=problems, counts=self.counts, committed=commit,
                            patients=len(plans), problem_count=len(self.problems))

    # 3a. The bulk path: new patients checked in memory, written together ---------------

    def _prepare_new(self, plan: PatientPlan, centers: dict[str, Center]) -> NewPatient | None:
        """A new patient's records built and checked as the services check them, or
        ``None`` when the services must write it (to report a problem as they do)."""
        line = plan.own.line
        if line is None or plan.rejected is not None:
            return None
        center = centers.get(line.get("center"))
        if center is None or not can_import_into(self.user, center.pk):
            return None
        nested = [*plan.series.values(), *plan.visits.values(), *plan.studies.values()]
        if any(n.line is None or n.rejected is not None for n in nested):
            return None
        try:
            return self._build_new(plan, center)
        except ValidationError:
            return None

    def _build_new(self, plan: PatientPlan, center: Center) -> NewPatient:
        by, checks = self.by, self.checks
        values = plan.own.line.values if plan.own.line else {}
        data = {name: values[name] for name in PATIENT_FIELDS if name in values}
        children = {name: self._rows(rows, name) or [] for name, rows in
                    plan.own.children.items()}
        # patient_create
        patient = validate_new(Patient(center=center, code=plan.code, **data),
                               exclude=["center"], by=by, checks=checks)
        new = NewPatient(plan=plan, patient=patient)
        listed: tuple[tuple[type[models.Model], str, tuple[str, ...]], ...] = (
            (AffectedNerve, "affected_nerves", ("side", "nerve")),
            (PinnedTargetMuscle, "target_muscles", ("muscle", "side")))
        for child, name, unique_by in listed:
            new.children[child].extend(self.child_rows.build(
                child, patient, children.get(name) or (), relation=name, unique_by=unique_by))
        one_to_one: type[models.Model]
        for one_to_one, fields in ((Identity, {k: v for k, v in values.items()
                                          if k in IDENTITY_FIELDS}),
                              (Consent, {CONSENT_FIELDS[k]: v for k, v in values.items()
                                         if k in CONSENT_FIELDS})):
            new.add([validate_new(one_to_one(patient=patient, **fields), exclude=["patient"],
                                  by=by, checks=checks)])
        # record_create, tailoring_record
        simple: Any  # one of SIMPLE_RECORDS' models
        for name, simple in SIMPLE_RECORDS.items():
            for line in plan.records.get(name, []):
                record = {k: v for k, v in line.values.items() if k != "patient"}
                if name == "tailoring":
                    record = treatment_services._tailoring_fields(record)
                new.add([validate_new(simple(patient=patient, **record), exclude=["patient"],
                                      by=by, checks=checks)])
        # series_give, in number order
        rules = self.rules.get(patient.diagnosis)
        if rules is None:
            rules = self.rules[patient.diagnosis] = rules_for_diagnosis(patient.diagnosis)
        series: dict[int, Series] = {}
        previous = None
        for number in sorted(plan.series):
            nested = plan.series[number]
            assert nested.line is not None  # checked by _prepare_new
            fields = {name: nested.line.values[name] for name in SERIES_FIELDS
                      if name in nested.line.values}
            lots = self._rows(nested.children.get("lots"), "lots") or []
            previous = treatment_services.series_prepare(
                patient=patient, data={"number": number, **fields}, previous=previous,
                rules=rules, by=by, checks=checks)
            series[number] = previous
            new.add([previous])
            # series_give's lots and adverse events (``_series_children``)
            new.children[LotNumber].extend(self.child_rows.build(
                LotNumber, previous, [{"lot": str(row.get("lot") or "").strip()}
                                      for row in lots],
                relation="lot_numbers", unique_by=("lot",)))
            new.children[AdverseEvent].extend(self.child_rows.build(
                AdverseEvent, previous, self._rows(nested.children.get("adverse_events"),
                                                   "adverse_events") or (),
                relation="adverse_events"))
        # visit_record, in date order: placed against the series above (all written
        # before any visit, as the services write them)
        dates = [SeriesDates(number=s.number, started_on=s.started_on,
                             expected_interval_days=s.expected_interval_days)
                 for s in series.values()]
        for key in sorted(plan.visits):
            nested = plan.visits[key]
            assert nested.line is not None
            fields = {name: nested.line.values[name] for name in VISIT_FIELDS
                      if name in nested.line.values}
            if "series" in nested.line.values:
                number = nested.line.get("series")
                if number is not None and number not in series:
                    raise ValidationError({"series": "not in the import"})  # reported below
                fields["series"] = series[number] if number is not None else None
            visit_date_check_among(dates, kind=fields.get("kind"),
                                   visited_on=fields.get("visited_on"),
                                   series_number=getattr(fields.get("series"), "number", None))
            visit = validate_new(Visit(patient=patient, recorded_by=by, **fields),
                                 exclude=["patient", "series", "recorded_by"], by=by,
                                 checks=checks)
            new.add([visit])
            names, grades = self._row_values(nested.children.get("mrc"), "mrc")
            new.children[MrcGrade].extend(self.child_rows.build_values(
                MrcGrade, visit, names, grades, relation="mrc", unique_by=("muscle", "side")))
        # nerve_study_record
        for studied_on in sorted(plan.studies):
            nested = plan.studies[studied_on]
            assert nested.line is not None
            fields = {name: nested.line.values[name] for name in ("studied_on", "notes")
                      if name in nested.line.values}
            study = validate_new(NerveStudy(patient=patient, **fields), exclude=["patient"],
                                 by=by, checks=checks)
            new.add([study])
            new.children[NerveSegment].extend(self.child_rows.build(
                NerveSegment, study,
                self._rows(nested.children.get("nerve_segments"), "nerve_segments") or (),
                relation="segments"))
        return new

    def _write_new(self, batch: list[NewPatient], centers: dict[str, Center]) -> None:
        """Write a batch of checked new patients: per table, one INSERT of the rows and
        one of their audit rows, parents before children (their ids come back from the
        INSERT). Refused by the database, the batch goes through the services instead."""
        if not batch:
            return
        records: dict[type, list] = defaultdict(list)
        children: dict[type, list] = defaultdict(list)
        for new in batch:
            records[Patient].append(new.patient)
            for model, rows in new.records.items():
                records[model].extend(rows)
            for model, rows in new.children.items():
                children[model].extend(rows)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                writer = CopyWriter(cursor)
                for model in BULK_ORDER:
                    if records.get(model):
                        writer.records(model, records[model])
                    if children.get(model):
                        writer.children(model, children[model])
        except IntegrityError:
            for new in batch:  # the services name the row the database refuses
                self._patient(new.plan, None, centers)
            return
        self.wrote = True
        for new in batch:
            self.bulk_ids.append(new.patient.pk)
            self._count(new.plan.lines(), "created")

    def _reject(self, lines: Iterable[Line], message: str, column: str = "") -> None:
        for line in lines:
            self.problems.append(line.problem(message, column))
            self.counts[line.dataset.name]["skipped"] += 1

    def _skip(self, lines: Iterable[Line], reason: str, column: str = "") -> None:
        self._reject(lines, f"Not imported: {reason}", column)

    def _count(self, lines: Iterable[Line], outcome: str) -> None:
        for name, count in Counter(map(_DATASET_NAME, lines)).items():
            self.counts[name][outcome] += count

    # ``write`` is called with no arguments; typed ``...`` because mypy cannot infer the
    # callers' lambdas that bind the loop's values as their parameters' defaults.
    def _write(self, nested: Nested, write: Callable[..., Any]) -> Any:
        """Call a service in a savepoint; its refusal becomes problems on the rows it names."""
        try:
            with transaction.atomic():
                result = write()
        except ValidationError as error:
            self._service_problems(nested, error)
            return None
        except VersionConflict as conflict:
            self._reject([nested.first_line()], str(conflict))
            return None
        except RecordLocked as locked:
            # A signed record is read-only (clinical-rules.md §11): every row that would
            # change it is refused, naming it; an unchanged row was counted before.
            self._reject(nested.lines(), (
                f"Not imported: {_record_name(locked.record)} is "
                f"{signature_text(locked.record)} and read-only; a data manager unlocks it "
                "(with a reason) before it can change."))
            return None
        self.wrote = True
        return result

    def _service_problems(self, nested: Nested, error: ValidationError) -> None:
        errors = error.error_dict if hasattr(error, "error_dict") else {
            NON_FIELD_ERRORS: error.error_list}
        relations = {RELATION[name]: rows for name, rows in nested.children.items()}
        failed: list[Problem] = []
        for name, items in errors.items():
            for item in items:
                rows = relations.get(name) or []
                params = item.params or {}
                if item.code in (ITEM, REPEAT) and params["index"] < len(rows):
                    line = rows[params["index"]]
                    if item.code == REPEAT:
                        message = (f"repeats line {rows[params['repeats']].number} "
                                   f"({params['values']}).")
                        column = ""
                    else:
                        message, column = params["message"], params["field"]
                    failed.append(line.problem(message, self._column(line, column)))
                    continue
                line = nested.line or nested.first_line()
                failed.extend(line.problem(text, self._column(line, name))
                              for text in item.messages)
        self.problems += failed
        bad = {(p.file, p.line) for p in failed}
        for line in nested.lines():
            if (line.file, line.number) in bad:
                self.counts[line.dataset.name]["skipped"] += 1
            else:
                self._skip([line], f"it goes with {failed[0].file} line {failed[0].line}, "
                                   "which is invalid.")

    @staticmethod
    def _column(line: Line, field_name: str) -> str:
        if not field_name or field_name == NON_FIELD_ERRORS:
            return ""
        if line.dataset.name == "patients":
            reverse = {v: k for k, v in CONSENT_FIELDS.items()} | {"code": "patient"}
            field_name = reverse.get(field_name, field_name)
        if line.dataset.name == "series" and field_name == "number":
            return "series"
        names = {c.name for c in line.dataset.columns}
        return field_name if field_name in names else ""

    # Patients ----------------------------------------------------------------------------

    def _patient(self, plan: PatientPlan, patient: Patient | None,
                 centers: dict[str, Center]) -> None:
        line = plan.own.line
        if line is None and plan.rejected is not None:
            self._skip(plan.lines(), f"its patient (patients.csv line {plan.rejected.number}) "
                                     "is invalid.")
            return
        if patient is not None and not can_import_into(self.user, patient.center_id):
            self._skip(plan.lines(), f"patient {plan.code} belongs to a centre where you are "
                                     "not a data manager.")
            return
        if patient is None and line is None:
            self._skip(plan.lines(), f"no patient {plan.code} in patients.csv or the registry.",
                       "patient")
            return
        if line is not None:
            center = centers.get(line.get("center"))
            if center is None:
                self._reject([line], f"Unknown centre {line.get('center')!r}: an operator "
                                     "creates it first (manage.py grant … --centre CODE).",
                             "center")
                self._skip([x for x in plan.lines() if x is not line],
                           f"its patient (patients.csv line {line.number}) is invalid.")
                return
            if not can_import_into(self.user, center.pk):
                self._reject([line], f"You are not a data manager of centre {center.code}.",
                             "center")
                self._skip([x for x in plan.lines() if x is not line],
                           f"its patient (patients.csv line {line.number}) is invalid.")
                return
            if patient is not None and patient.center_id != center.pk:
                self._reject([line], "A patient cannot move to another centre by import.",
                             "center")
                self._skip([x for x in plan.lines() if x is not line],
                           f"its patient (patients.csv line {line.number}) is invalid.")
                return
        patient = self._patient_record(plan, patient, centers)
        if patient is None:
            own = {(x.file, x.number) for x in plan.own.lines()}
            self._skip([x for x in plan.lines() if (x.file, x.number) not in own],
                       f"its patient {plan.code} could not be imported.")
            return
        patient = Patient.objects.prefetch_related(
            "titres", "paraproteins", "prior_treatments", "tailoring_episodes",
            Prefetch("series", queryset=Series.objects.prefetch_related(
                "lots", "adverse_events")),
            Prefetch("visits", queryset=Visit.objects.prefetch_related("mrc")),
            Prefetch("nerve_studies", queryset=NerveStudy.objects.prefetch_related("segments")),
        ).get(pk=patient.pk)
        for name in SIMPLE_RECORDS:
            self._simple_records(patient, name, plan.records.get(name, []))
        series = self._series(patient, plan)
        self._visits(patient, plan, series)
        self._studies(patient, plan)

    def _patient_record(self, plan: PatientPlan, patient: Patient | None,
                        centers: dict[str, Center]) -> Patient | None:
        nested, line = plan.own, plan.own.line
        values = line.values if line else {}
        data = {name: values[name] for name in PATIENT_FIELDS if name in values}
        consent = {CONSENT_FIELDS[k]: v for k, v in values.items() if k in CONSENT_FIELDS}
        identity = {k: v for k, v in values.items() if k in IDENTITY_FIELDS}
        children = {name: self._rows(rows, name) for name, rows in nested.children.items()}
        if patient is None:
            created = self._write(nested, lambda: patient_services.patient_create(
                center=centers[values["center"]], data={"code": plan.code, **data},
                affected_nerves=children.get("affected_nerves") or (),
                target_muscles=children.get("target_muscles") or (),
                identity=identity or None, consent=consent or None, by=self.by,
            ))
            self._after(nested, created, "created")
            return created
        patient = Patient.objects.select_related("consent", "identity").prefetch_related(
            "affected_nerves", "target_muscles").get(pk=patient.pk)
        changes = _changes(patient, data)
        if consent and _changes(getattr(patient, "consent", None), consent):
            changes_consent = consent
        else:
            changes_consent = None
        if identity and _changes(getattr(patient, "identity", None), identity):
            changes_identity = identity
        else:
            changes_identity = None
        lists = {
            name: rows for name, rows in children.items()
            if rows is not None and not _same(
                getattr(patient, name).all(), rows, CHILD_FIELDS[name])
        }
        if not (changes or changes_consent or changes_identity or lists):
            self._count(nested.lines(), "unchanged")
            return patient
        updated = self._write(nested, lambda: patient_services.patient_update(
            patient=patient, version=patient.version, data=changes,
            affected_nerves=lists.get("affected_nerves"),
            target_muscles=lists.get("target_muscles"),
            identity=changes_identity, consent=changes_consent, by=self.by,
        ))
        self._after(nested, updated, "updated")
        return updated

    def _after(self, nested: Nested, result, outcome: str) -> None:
        if result is not None:
            self._count(nested.lines(), outcome)

    @staticmethod
    def _rows(lines: list[Line] | None, name: str) -> list[dict] | None:
        if lines is None:
            return None
        return [{f: line.values[f] for f in CHILD_FIELDS[name] if f in line.values}
                for line in lines]

    @staticmethod
    def _row_values(lines: list[Line] | None, name: str) -> tuple[tuple[str, ...], list[tuple]]:
        """``_rows`` as the fields' names and each row's values (no rows for no list): the
        lines of one file have the same fields."""
        if not lines:
            return (), []
        first = lines[0].values
        names = tuple(f for f in CHILD_FIELDS[name] if f in first)
        if len(names) == 1:
            return names, [(line.values[names[0]],) for line in lines]
        pick = operator.itemgetter(*names)
        return names, [pick(line.values) for line in lines]

    # Titres, paraproteins, prior treatments -----------------------------------------------

    def _simple_records(self, patient: Patient, name: str, lines: list[Line]) -> None:
        model, key = SIMPLE_RECORDS[name], BY_NAME[name].key[1:]
        existing: dict[tuple, list] = defaultdict(list)
        for record in getattr(patient, RELATIONS.get(name, name)).all():
            existing[tuple(getattr(record, k) for k in key)].append(record)
        for line in lines:
            data = {k: v for k, v in line.values.items() if k != "patient"}
            matches = existing.get(tuple(line.get(k) for k in key), [])
            nested = Nested(line)
            if len(matches) > 1:
                self._reject([line], f"The registry holds {len(matches)} such records for "
                                     f"{patient.code}; correct them in the admin first.")
            elif not matches:
                done = self._write(nested, lambda data=data: _record_create(
                    name, model=model, patient=patient, data=data, by=self.by))
                self._after(nested, done, "created")
            elif changes := _changes(matches[0], data):
                record = matches[0]
                done = self._write(nested, lambda r=record, c=changes: _record_update(
                    name, record=r, data=c, by=self.by))
                self._after(nested, done, "updated")
            else:
                self._count([line], "unchanged")

    # Records with their nested lists: series, visits, nerve-conduction studies ------------

    def _nested_records(
        self, *, patient: Patient, dataset: str, noun: str, planned: Mapping[Any, Nested],
        stored: Iterable, key_of: Callable[[Any], Any], fields: tuple[str, ...],
        lists: Mapping[str, str], create: Callable[..., Any], update: Callable[..., Any],
        duplicates: Callable[[int, Any], str] | None = None,
        duplicates_column: str = "",
        references: Callable[[Nested], dict[str, Any] | None] | None = None,
    ) -> dict[Any, Any]:
        """Write one kind of record with its nested lists, in key order, and give back every
        record by key (``None``: named in the import but not written).

        ``lists`` maps each nested list's dataset to the record's relation holding it;
        ``create(key=, data=, lists=)`` and ``update(record=, changes=, lists=)`` call the
        service (a list is ``None`` when it stays as it is); ``references(nested)`` gives the
        records a row refers to, or ``None`` when it refused the row.
        """
        found: dict[Any, list] = defaultdict(list)
        for record in stored:
            found[key_of(record)].append(record)
        result: dict[Any, Any] = {k: matches[0] for k, matches in found.items()
                                  if len(matches) == 1}
        for k in sorted(planned):
            nested = planned[k]
            line = nested.line
            matches = found.get(k, [])
            if len(matches) > 1 and duplicates is not None:
                self._reject(nested.lines(), duplicates(len(matches), k), duplicates_column)
                continue
            record = matches[0] if matches else None
            if line is None and nested.rejected is not None:
                self._skip(nested.lines(), f"its {noun} ({nested.rejected.file} line "
                                           f"{nested.rejected.number}) is invalid.")
                result[k] = record
                continue
            if record is None and line is None:
                self._skip(nested.lines(), f"no {_describe(dataset, k)} of {patient.code} in "
                                           f"{dataset}.csv or the registry.")
                result[k] = None
                continue
            data = {name: line.values[name] for name in fields if line and name in line.values}
            refs = references(nested) if references is not None else {}
            if refs is None:
                continue
            rows = {name: self._rows(nested.children.get(name), name) for name in lists}
            if record is None:
                written = self._write(nested, lambda k=k, d={**data, **refs}, r=rows: create(
                    key=k, data=d, lists=r))
                self._after(nested, written, "created")
                result[k] = written
                continue
            changes = _changes(record, data)
            changes |= {name: value for name, value in refs.items()  # compared by key: no query
                        if getattr(record, f"{name}_id") != getattr(value, "pk", None)}
            changed = {name: None if r is None or _same(
                getattr(record, lists[name]).all(), r, CHILD_FIELDS[name]) else r
                for name, r in rows.items()}
            if not (changes or any(r is not None for r in changed.values())):
                self._count(nested.lines(), "unchanged")
                continue
            written = self._write(nested, lambda rec=record, c=changes, r=changed: update(
                record=rec, changes=c, lists=r))
            self._after(nested, written, "updated")
            result[k] = written or record
        return result

    def _series(self, patient: Patient, plan: PatientPlan) -> dict[int, Series | None]:
        """Series in number order, with their lots and adverse events."""
        def lot_numbers(rows: list[dict] | None) -> list[str] | None:
            # A row without a lot is refused by the service ("lot" is a required column).
            return None if rows is None else [row.get("lot") or "" for row in rows]

        return self._nested_records(
            patient=patient, dataset="series", noun="series", planned=plan.series,
            stored=patient.series.all(), key_of=lambda s: s.number, fields=SERIES_FIELDS,
            lists={"lots": "lots", "adverse_events": "adverse_events"},
            create=lambda *, key, data, lists: treatment_services.series_give(
                patient=patient, data={"number": key, **data},
                lot_numbers=lot_numbers(lists["lots"]) or (),
                adverse_events=lists["adverse_events"] or (), by=self.by),
            update=lambda *, record, changes, lists: treatment_services.series_update(
                series=record, version=record.version, data=changes,
                lot_numbers=lot_numbers(lists["lots"]), adverse_events=lists["adverse_events"],
                by=self.by),
        )

    def _visits(self, patient: Patient, plan: PatientPlan,
                series: dict[int, Series | None]) -> None:
        """Visits with their MRC grids; a visit's series is one of the import or the registry."""
        def series_of(nested: Nested) -> dict[str, Any] | None:
            line = nested.line
            if line is None or "series" not in line.values:
                return {}
            number = line.get("series")
            if number is not None and series.get(number) is None:
                reason = ("was not imported" if number in series
                          else "is in neither series.csv nor the registry")
                self._reject([line], f"Series {number} of {patient.code} {reason}.", "series")
                self._skip([x for x in nested.lines() if x is not line],
                           f"its visit (visits.csv line {line.number}) is invalid.")
                return None
            return {"series": series.get(number) if number is not None else None}

        self._nested_records(
            patient=patient, dataset="visits", noun="visit", planned=plan.visits,
            stored=patient.visits.all(), key_of=lambda v: (v.visited_on, v.kind),
            fields=VISIT_FIELDS, lists={"mrc": "mrc"}, references=series_of,
            duplicates=lambda count, key: (
                f"The registry holds {count} {key[1]} visits of {patient.code} on "
                f"{key[0].isoformat()}; correct them in the admin first "
                "(manage.py visit_duplicates)."),
            duplicates_column="visited_on",
            create=lambda *, key, data, lists: patient_services.visit_record(
                patient=patient, data=data, mrc=lists["mrc"] or (), by=self.by),
            update=lambda *, record, changes, lists: patient_services.visit_update(
                visit=record, version=record.version, data=changes, mrc=lists["mrc"],
                by=self.by),
        )

    def _studies(self, patient: Patient, plan: PatientPlan) -> None:
        """Nerve-conduction studies with their segments."""
        self._nested_records(
            patient=patient, dataset="nerve_studies", noun="study", planned=plan.studies,
            stored=patient.nerve_studies.all(), key_of=lambda s: s.studied_on,
            fields=("studied_on", "notes"), lists={"nerve_segments": "segments"},
            duplicates=lambda count, key: (
                f"The registry holds {count} nerve studies of {patient.code} on "
                f"{key.isoformat()}; correct them in the admin first."),
            create=lambda *, key, data, lists: patient_services.nerve_study_record(
                patient=patient, data=data, segments=lists["nerve_segments"] or (), by=self.by),
            update=lambda *, record, changes, lists: patient_services.nerve_study_update(
                study=record, version=record.version, data=changes,
                segments=lists["nerve_segments"], by=self.by),
        )


@dataclass
class NewPatient:
    """A new patient's records, checked and not written yet: instances by model, and the
    nested rows (``ChildRows``) by model as (parent, values)."""

    plan: PatientPlan
    patient: Patient
    records: dict[type, list] = field(default_factory=lambda: defaultdict(list))
    children: dict[type, list] = field(default_factory=lambda: defaultdict(list))

    def add(self, records: Iterable) -> None:
        for record in records:
            self.records[type(record)].append(record)


@functools.cache
def _child_columns(model) -> tuple[models.ForeignKey, tuple[str, ...]]:
    """A nested row's parent key and its other columns (no id)."""
    parent = next(f for f in model._meta.concrete_fields if f.is_relation)
    return parent, tuple(f.attname for f in model._meta.concrete_fields
                         if not f.primary_key and f is not parent)


class ChildRows:
    """``build_children`` and ``replace_children``'s repeat check for the bulk path, with
    rows as tuples of their values instead of model instances.

    A nested row's validation is its fields' (``build_children`` leaves the constraints to
    the database), which depend on its own values alone — these models have no ``clean()``
    —, so each distinct row is validated once per import (an MRC grid repeats a few
    hundred (muscle, side, grade) values across the whole registry), and formatted once
    for ``COPY``. Distinct: equal values of the same fields, and for a decimal the same
    digits (``1.500`` is refused where ``1.5`` is not, by its number of decimal places)."""

    def __init__(self, checks: FieldChecks):
        self.checks = checks
        # By (model, names): each distinct row (its values[, its decimals' digits]) → (its
        # cleaned values, their COPY text); and the rows refused → their field errors.
        self.valid: dict[tuple, dict[tuple, tuple[tuple, str]]] = defaultdict(dict)
        self.refused: dict[tuple, dict[tuple, dict]] = defaultdict(dict)

    def build(self, model, parent, rows: Sequence[Mapping[str, Any]], *, relation: str,
              unique_by: tuple[str, ...] = ()) -> list[tuple[Any, str]]:
        """``rows``: the nested rows as dicts of their values, all of the same fields (the
        columns of one file); else refused, for the services to check them."""
        if not rows:
            return []
        names = tuple(rows[0])
        if any(tuple(row) != names for row in rows):
            raise ValidationError({relation: "Rows of different fields."})
        return self.build_values(model, parent, names, [tuple(row.values()) for row in rows],
                                 relation=relation, unique_by=unique_by)

    def build_values(self, model, parent, names: tuple[str, ...], rows: list[tuple], *,
                     relation: str, unique_by: tuple[str, ...] = ()) -> list[tuple[Any, str]]:
        """``rows``: the nested rows as tuples of their values of the fields ``names``;
        built: (parent, the row's columns but the parent's as COPY text) each."""
        assert model.clean is models.Model.clean, f"{model.__name__} has its own clean()"
        valid, refused = self.valid[(model, names)], self.refused[(model, names)]
        keys = [(row, tuple(v.as_tuple() for v in row if isinstance(v, Decimal)))
                for row in rows] if _has_decimals(model) else rows
        hits: list[Any] = list(map(valid.get, keys))
        if None in hits:  # rows not seen before, or refused
            errors: list[ValidationError] = []
            for index, (key, row) in enumerate(zip(keys, rows, strict=True)):
                if hits[index] is not None:
                    continue
                failed = refused.get(key)
                if failed is None:
                    cleaned, failed = self._validate(model, dict(zip(names, row, strict=True)))
                    if failed is None:
                        hits[index] = valid[key] = cleaned
                        continue
                    refused[key] = failed
                for name, messages in failed.items():
                    where = "" if name == NON_FIELD_ERRORS else name
                    errors.extend(item_error(index=index, field=where, message=message)
                                  for message in messages)
            if errors:
                raise ValidationError({relation: errors})
        if unique_by:
            _, columns = _child_columns(model)
            pick = operator.itemgetter(*[columns.index(name) for name in unique_by])
            picked = [pick(values) for values, _ in hits]
            if len(set(picked)) < len(picked):
                one = len(unique_by) == 1
                seen: dict[tuple, int] = {}
                for index, value in enumerate(picked):
                    repeated = (value,) if one else value
                    if repeated in seen:
                        raise ValidationError({relation: [repeat_error(
                            index=index, repeats=seen[repeated],
                            values=", ".join(map(str, repeated)))]})
                    seen[repeated] = index
        return [(parent, text) for _, text in hits]

    def _validate(self, model, row: dict[str, Any]) -> tuple[Any, dict | None]:
        """``build_children``'s validation of one row: the model's fields as a new
        instance has them (the row's values, else their defaults), cleaned."""
        parent_field, columns = _child_columns(model)
        unknown = set(row) - set(columns)
        if unknown:
            raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
        values = {f.attname: row[f.attname] if f.attname in row else f.get_default()
                  for f in model._meta.concrete_fields if f is not parent_field}
        values[parent_field.attname] = None
        try:
            values |= self.checks.clean(model, values, exclude=(parent_field.name,))
        except ValidationError as error:
            return None, error.message_dict
        cleaned = tuple(values[name] for name in columns)
        return (cleaned, copy_row(cleaned)), None


@functools.cache
def _has_decimals(model) -> bool:
    return any(isinstance(f, models.DecimalField) for f in model._meta.concrete_fields)


# Parents before their children.
BULK_ORDER = (Patient, AffectedNerve, PinnedTargetMuscle, Identity, Consent, Titre,
              Paraprotein, PriorTreatment, TailoringEpisode, Series, LotNumber, AdverseEvent,
              Visit, MrcGrade, NerveStudy, NerveSegment)


# COPY's text format (PostgreSQL, "COPY … File Formats"): columns by tabs, rows by
# newlines, \N for NULL, and in text a backslash before each of \, tab, newline, CR.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_TEXT: dict[type, Callable[[Any], str]] = {
    str: lambda text: text.translate(_COPY_ESCAPES),
    int: str, Decimal: str,
    bool: lambda flag: "t" if flag else "f",
    date: date.isoformat, datetime: datetime.isoformat,
    type(None): lambda _: "\\N",
}
COPY_BLOCK = 5_000  # rows sent to COPY in one write


def copy_text(value: Any) -> str:
    """A value as a column of a COPY text row (the types these models' columns hold)."""
    return _COPY_TEXT[type(value)](value)


def copy_row(values: Iterable[Any]) -> str:
    """Values as a COPY text row, without its newline."""
    return "\t".join([_COPY_TEXT[type(value)](value) for value in values])


class CopyWriter:
    """Rows and their audit rows written with PostgreSQL ``COPY``. A record's id is drawn
    from its table's sequence first (one query), so that children can name their parents,
    and its audit row is its row followed by the audit columns; nested rows take their
    table's ids, and their audit rows are copied from them by one ``INSERT … SELECT``
    (``children``). Rows go as text formatted here, in blocks of ``COPY_BLOCK``
    (``copy_text``); a nested row's values are formatted once per distinct row
    (``ChildRows``).

    The audit row of each record is the one django-simple-history writes on a save (or
    ``bulk_create_with_history`` for nested rows): the record's tracked values, the time,
    type ``+``, no change reason, the user (a record's ``_history_user``, set by
    ``validate_new`` as ``save_validated`` sets it, else simple-history's default: the
    request's user, if any) and the source (``registry.audit``)."""

    def __init__(self, cursor):
        self.django_cursor = cursor
        self.cursor = cursor.cursor  # psycopg's, for COPY
        self.now = timezone.now()
        self.source = current_source()

    def _ids(self, model, count: int) -> list[int]:
        table = model._meta.db_table
        self.django_cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count])
        return [row[0] for row in self.django_cursor.fetchall()]

    def _copy(self, table: str, columns: list[str], lines: list[str]) -> None:
        """``lines``: the rows as COPY text, each ending with its newline."""
        names = ", ".join(f'"{name}"' for name in columns)
        sql = f'COPY "{table}" ({names}) FROM STDIN'
        started = time.monotonic()
        with self.cursor.copy(sql) as copy:
            for at in range(0, len(lines), COPY_BLOCK):
                copy.write("".join(lines[at:at + COPY_BLOCK]))
        if connection.queries_logged:  # counted as Django counts its queries (tests)
            connection.queries_log.append(
                {"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def _history_columns(self, model, columns: list[str]) -> tuple[list[str], list]:
        """The audit table's columns, in the order written: the record's columns (all
        tracked), the user, then the columns of the same value for every row; and the
        values of those last ones (a row's audit row: its row, its user, those)."""
        history = model.history.model
        tracked = {f.attname for f in history.tracked_fields}
        assert tracked == set(columns), f"{model.__name__}: an untracked column"
        fixed = {"history_date": self.now, "history_change_reason": None,
                 "history_type": "+", "history_source": self.source}
        names, constants = [], []
        for f in history._meta.concrete_fields:
            if f.attname in tracked or f.attname in ("history_id", "history_user_id"):
                continue
            names.append(f.attname)
            constants.append(fixed[f.attname] if f.attname in fixed else f.get_default())
        return [*columns, "history_user_id", *names], constants

    def _default_user(self, model):
        user = model.history.model.get_default_history_user(object())
        return getattr(user, "pk", None)

    def records(self, model, instances: list) -> None:
        fields = model._meta.concrete_fields
        columns = [f.attname for f in fields]
        history_columns, constant_values = self._history_columns(model, columns)
        constants = copy_row(constant_values)
        ids = self._ids(model, len(instances))
        default = self._default_user(model)
        lines, history = [], []
        # The parents' ids, set when they were written, and the times saved now.
        relations = [f for f in fields if f.is_relation]
        stamped = [f.attname for f in fields
                   if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        for instance, pk in zip(instances, ids, strict=True):
            instance.pk = pk
            state = instance.__dict__
            for f in relations:
                if state[f.attname] is None and f.is_cached(instance):
                    parent = f.get_cached_value(instance)
                    if parent is not None:
                        setattr(instance, f.attname, parent.pk)
            for name in stamped:
                state[name] = self.now
            values = [state[name] for name in columns]
            instance._state.adding, instance._state.db = False, "default"
            row = copy_row(values)
            user = getattr(instance, "_history_user", None)
            lines.append(f"{row}\n")
            history.append(f"{row}\t{copy_text(user.pk if user is not None else default)}"
                           f"\t{constants}\n")
        self._copy(model._meta.db_table, columns, lines)
        self._copy(model.history.model._meta.db_table, history_columns, history)

    def children(self, model, children: list[tuple]) -> None:
        """``children``: (parent, the row's other columns as COPY text), as
        ``ChildRows`` builds them. Their ids are the table's own, and their audit rows
        are read back from them in the same statement that writes them (the parents
        are new: all their rows are these)."""
        parent, names = _child_columns(model)
        table, history = model._meta.db_table, model.history.model
        self._copy(table, [parent.attname, *names],
                   [f"{owner.pk}\t{text}\n" for owner, text in children])
        columns = ["id", parent.attname, *names]
        history_columns, constants = self._history_columns(model, columns)
        fields = {f.attname: f for f in history._meta.concrete_fields}
        given = [f"CAST(%s AS {fields[name].db_type(connection)})"
                 for name in history_columns[len(columns):]]
        into = ", ".join(f'"{name}"' for name in history_columns)
        select = ", ".join([*(f'"{name}"' for name in columns), *given])
        self.django_cursor.execute(
            f'INSERT INTO "{history._meta.db_table}" ({into}) SELECT {select} '
            f'FROM "{table}" WHERE "{parent.attname}" = ANY(%s) ORDER BY "id"',
            [self._default_user(model), *constants,
             sorted({owner.pk for owner, _ in children})])


def _record_create(name: str, *, model, patient: Patient, data: dict, by):
    """A simple record through its own service: tailoring episodes through the treatments'
    (clinical-rules.md §10), the others through ``patients.services.record_create``."""
    if name == "tailoring":
        return treatment_services.tailoring_record(patient=patient, data=data, by=by)
    return patient_services.record_create(model=model, patient=patient, data=data, by=by)


def _record_update(name: str, *, record, data: dict, by):
    if name == "tailoring":
        return treatment_services.tailoring_update(episode=record, version=record.version,
                                                   data=data, by=by)
    return patient_services.record_update(record=record, version=record.version, data=data,
                                          by=by)


def _record_name(record) -> str:
    """A signed record as the problem line names it."""
    if isinstance(record, Visit):
        return (f"the {record.kind} visit of {record.patient.code} on "
                f"{record.visited_on.isoformat()}")
    if isinstance(record, Series):
        return f"series {record.number} of {record.patient.code}"
    return str(record)


def _repeated_column(key: tuple[str, ...]) -> str:
    """The column a repeated key is reported in: its date (``visited_on`` for visits,
    where the user corrects it), else its last column."""
    return next((name for name in key if name.endswith("_on")), key[-1])


def _changes(instance, data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``data`` that differ from the instance's; without an instance (a
    patient with no consent or identity row yet), those that are not empty."""
    if instance is None:
        return {name: value for name, value in data.items() if value not in (None, "")}
    return {name: value for name, value in data.items() if getattr(instance, name) != value}


def _same(existing: Iterable, rows: list[dict], fields: tuple[str, ...]) -> bool:
    """Whether a nested list already holds these rows (in any order), on the given columns."""
    present = [f for f in fields if any(f in row for row in rows)] if rows else list(fields)
    stored = Counter(tuple(getattr(item, f) for f in present) for item in existing)
    given = Counter(tuple(row.get(f) for f in present) for row in rows)
    return stored == given


def import_files(*, user, files: Mapping[str, str | IO[str]] | Iterable[tuple[str, IO[str]]],
                 mode: str = ALL_OR_NOTHING,
                 progress: Callable[[int, int], None] | None = None,
                 bulk: bool = True) -> ImportReport:
    """Import ``files`` (dataset name → CSV text) as ``user``; see the module docstring.
    ``bulk=False`` writes every patient through the services (what the bulk path is held
    equal to in the tests)."""
    return Importer(user=user, files=files, mode=mode, progress=progress, bulk=bulk).run()
