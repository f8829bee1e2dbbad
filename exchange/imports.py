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
4. The transaction commits only when every row was valid — or, with ``valid_only``,
   whatever was valid; a dry run never commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Prefetch

from exchange.datasets import BY_NAME
from exchange.models import IMPORT_OUTCOMES
from exchange.parsing import Line, Problem, Problems, parse_file
from patients import services as patient_services
from patients.models import (
    VISIT_MEASURE_FIELDS,
    NerveStudy,
    Paraprotein,
    Patient,
    PriorTreatment,
    Titre,
    Visit,
)
from registry.models import Center
from registry.scoping import can_import_into
from registry.services import ITEM, REPEAT, VersionConflict
from registry.signatures import RecordLocked, signature_text
from treatments import services as treatment_services
from treatments.models import Series, TailoringEpisode

ALL_OR_NOTHING, VALID_ONLY, DRY_RUN = "all_or_nothing", "valid_only", "dry_run"
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
        progress: Callable[[int, int], None] | None = None,
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
            return plans.setdefault(code, PatientPlan(code))

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
            for line in parsed[child]:
                nested = getattr(plan_of(line.get("patient")), group).setdefault(
                    _group_key(child, line), Nested())
                nested.children.setdefault(child, []).append(line)
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
        commit = False
        with transaction.atomic():
            patients = {
                p.code: p for p in Patient.objects.filter(code__in=[plan.code for plan in plans])
            }
            centers = {c.code: c for c in Center.objects.all()}
            for done, plan in enumerate(plans, start=1):
                self._patient(plan, patients.get(plan.code), centers)
                self.progress(done, len(plans))
            commit = self.wrote and (
                self.mode == VALID_ONLY or (self.mode == ALL_OR_NOTHING and not self.problems)
            )
            if not commit:
                transaction.set_rollback(True)
        problems = sorted(self.problems.kept(), key=lambda p: (p.file, p.line, p.column))
        return ImportReport(problems=problems, counts=self.counts, committed=commit,
                            patients=len(plans), problem_count=len(self.problems))

    def _reject(self, lines: Iterable[Line], message: str, column: str = "") -> None:
        for line in lines:
            self.problems.append(line.problem(message, column))
            self.counts[line.dataset.name]["skipped"] += 1

    def _skip(self, lines: Iterable[Line], reason: str, column: str = "") -> None:
        self._reject(lines, f"Not imported: {reason}", column)

    def _count(self, lines: Iterable[Line], outcome: str) -> None:
        for line in lines:
            self.counts[line.dataset.name][outcome] += 1

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
                 progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import ``files`` (dataset name → CSV text) as ``user``; see the module docstring."""
    return Importer(user=user, files=files, mode=mode, progress=progress).run()
