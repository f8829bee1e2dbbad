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

import re
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
from patients.models import NerveStudy, Paraprotein, Patient, PriorTreatment, Titre, Visit
from registry.models import Center
from registry.scoping import can_import_into
from registry.services import VersionConflict
from treatments import services as treatment_services
from treatments.models import Series

ALL_OR_NOTHING, VALID_ONLY, DRY_RUN = "all_or_nothing", "valid_only", "dry_run"
MODES = (ALL_OR_NOTHING, VALID_ONLY, DRY_RUN)

# Column of a file → field of the model it writes (where the names differ).
PATIENT_FIELDS = ("sex", "birth_year", "diagnosis", "onset_year", "neuropathy_pattern", "notes")
CONSENT_FIELDS = {"consent_given_on": "given_on", "consent_version": "version"}
IDENTITY_FIELDS = ("name", "date_of_birth", "hospital_number")
SERIES_FIELDS = ("started_on", "days", "dose_g_per_kg", "weight_kg", "product", "status",
                 "stop_reason")
VISIT_FIELDS = ("visited_on", "kind", "examiner", "functional_score", "prineas_score", "notes")
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
                  "prior_treatments": PriorTreatment}
ITEM = re.compile(r"^Item (\d+): (?:([a-z_]+): )?(.*)$", re.DOTALL)
REPEATS = re.compile(r"repeats item (\d+)")


@dataclass
class Nested:
    """A record given by its own row and/or its nested list (``None``: list not in the import)."""

    line: Line | None = None
    children: dict[str, list[Line] | None] = field(default_factory=dict)
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

    def _write(self, nested: Nested, write: Callable[[], Any]) -> Any:
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
        self.wrote = True
        return result

    def _service_problems(self, nested: Nested, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {
            NON_FIELD_ERRORS: error.messages}
        relations = {RELATION[name]: rows for name, rows in nested.children.items()}
        failed: list[Problem] = []
        for name, texts in messages.items():
            for text in texts:
                rows = relations.get(name)
                match = ITEM.match(text) if rows else None
                if match and int(match.group(1)) < len(rows):
                    line = rows[int(match.group(1))]
                    message = REPEATS.sub(
                        lambda m, rows=rows: f"repeats line {rows[int(m.group(1))].number}",
                        match.group(3))
                    failed.append(line.problem(message, self._column(line, match.group(2) or "")))
                    continue
                line = nested.line or nested.first_line()
                failed.append(line.problem(text, self._column(line, name)))
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
            "titres", "paraproteins", "prior_treatments",
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
        for record in getattr(patient, name).all():
            existing[tuple(getattr(record, k) for k in key)].append(record)
        for line in lines:
            data = {k: v for k, v in line.values.items() if k != "patient"}
            matches = existing.get(tuple(line.get(k) for k in key), [])
            nested = Nested(line)
            if len(matches) > 1:
                self._reject([line], f"The registry holds {len(matches)} such records for "
                                     f"{patient.code}; correct them in the admin first.")
            elif not matches:
                done = self._write(nested, lambda data=data: patient_services.record_create(
                    model=model, patient=patient, data=data, by=self.by))
                self._after(nested, done, "created")
            elif changes := _changes(matches[0], data):
                record = matches[0]
                done = self._write(nested, lambda r=record, c=changes: (
                    patient_services.record_update(record=r, version=r.version, data=c,
                                                   by=self.by)))
                self._after(nested, done, "updated")
            else:
                self._count([line], "unchanged")

    # Series with their lots and adverse events ---------------------------------------------

    def _series(self, patient: Patient, plan: PatientPlan) -> dict[int, Series | None]:
        """Write the series in number order; give back every series by number (``None``:
        named in the import but not written)."""
        stored = {s.number: s for s in patient.series.all()}
        result: dict[int, Series | None] = dict(stored)
        for number in sorted(plan.series):
            nested = plan.series[number]
            series = stored.get(number)
            line = nested.line
            if line is None and nested.rejected is not None:
                self._skip(nested.lines(), f"its series (series.csv line "
                                           f"{nested.rejected.number}) is invalid.")
                result[number] = series
                continue
            if series is None and line is None:
                self._skip(nested.lines(), f"no series {number} of {patient.code} in "
                                           "series.csv or the registry.")
                result[number] = None
                continue
            data = {k: line.values[k] for k in SERIES_FIELDS if line and k in line.values}
            lots = nested.children.get("lots")
            lot_rows = None if lots is None else [row.get("lot") for row in lots]
            events = self._rows(nested.children.get("adverse_events"), "adverse_events")
            if series is None:
                written = self._write(nested, lambda d=data, lots=lot_rows, ev=events, n=number: (
                    treatment_services.series_give(
                        patient=patient, data={"number": n, **d},
                        lot_numbers=lots or (), adverse_events=ev or (), by=self.by)))
                self._after(nested, written, "created")
                result[number] = written
                continue
            changes = _changes(series, data)
            if lot_rows is not None and _same(series.lots.all(), [{"lot": lot} for lot in
                                                                  lot_rows], ("lot",)):
                lot_rows = None
            if events is not None and _same(series.adverse_events.all(), events,
                                            CHILD_FIELDS["adverse_events"]):
                events = None
            if not (changes or lot_rows is not None or events is not None):
                self._count(nested.lines(), "unchanged")
                continue
            written = self._write(nested, lambda s=series, c=changes, lots=lot_rows, ev=events: (
                treatment_services.series_update(
                    series=s, version=s.version, data=c, lot_numbers=lots, adverse_events=ev,
                    by=self.by)))
            self._after(nested, written, "updated")
            result[number] = written or series
        return result

    # Visits with their MRC grids -----------------------------------------------------------

    def _visits(self, patient: Patient, plan: PatientPlan,
                series: dict[int, Series | None]) -> None:
        stored: dict[tuple, list[Visit]] = defaultdict(list)
        for visit in patient.visits.all():
            stored[(visit.visited_on, visit.kind)].append(visit)
        for key in sorted(plan.visits):
            nested = plan.visits[key]
            line = nested.line
            matches = stored.get(key, [])
            if len(matches) > 1:
                self._reject(nested.lines(), f"The registry holds {len(matches)} {key[1]} "
                                             f"visits of {patient.code} on "
                                             f"{key[0].isoformat()}; correct them in the "
                                             "admin first (manage.py visit_duplicates).",
                             "visited_on")
                continue
            visit = matches[0] if matches else None
            if line is None and nested.rejected is not None:
                self._skip(nested.lines(), f"its visit (visits.csv line "
                                           f"{nested.rejected.number}) is invalid.")
                continue
            if visit is None and line is None:
                self._skip(nested.lines(), f"no {_describe('visits', key)} of {patient.code} "
                                           "in visits.csv or the registry.")
                continue
            data = {k: line.values[k] for k in VISIT_FIELDS if line and k in line.values}
            if line is not None and "series" in line.values:
                number = line.get("series")
                if number is not None and series.get(number) is None:
                    reason = ("was not imported" if number in series
                              else "is in neither series.csv nor the registry")
                    self._reject([line], f"Series {number} of {patient.code} {reason}.",
                                 "series")
                    self._skip([x for x in nested.lines() if x is not line],
                               f"its visit (visits.csv line {line.number}) is invalid.")
                    continue
                data["series"] = series.get(number) if number is not None else None
            mrc = self._rows(nested.children.get("mrc"), "mrc")
            if visit is None:
                written = self._write(nested, lambda d=data, m=mrc: patient_services.visit_record(
                    patient=patient, data=d, mrc=m or (), by=self.by))
                self._after(nested, written, "created")
                continue
            changes = _changes(visit, {k: v for k, v in data.items() if k != "series"})
            if "series" in data and visit.series_id != getattr(data["series"], "pk", None):
                changes["series"] = data["series"]
            if mrc is not None and _same(visit.mrc.all(), mrc, CHILD_FIELDS["mrc"]):
                mrc = None
            if not (changes or mrc is not None):
                self._count(nested.lines(), "unchanged")
                continue
            written = self._write(nested, lambda v=visit, c=changes, m=mrc: (
                patient_services.visit_update(visit=v, version=v.version, data=c, mrc=m,
                                              by=self.by)))
            self._after(nested, written, "updated")

    # Nerve-conduction studies with their segments ------------------------------------------

    def _studies(self, patient: Patient, plan: PatientPlan) -> None:
        stored: dict[date, list[NerveStudy]] = defaultdict(list)
        for study in patient.nerve_studies.all():
            stored[study.studied_on].append(study)
        for key in sorted(plan.studies):
            nested = plan.studies[key]
            line = nested.line
            matches = stored.get(key, [])
            if len(matches) > 1:
                self._reject(nested.lines(), f"The registry holds {len(matches)} nerve studies "
                                             f"of {patient.code} on {key.isoformat()}; "
                                             "correct them in the admin first.")
                continue
            study = matches[0] if matches else None
            if line is None and nested.rejected is not None:
                self._skip(nested.lines(), f"its study (nerve_studies.csv line "
                                           f"{nested.rejected.number}) is invalid.")
                continue
            if study is None and line is None:
                self._skip(nested.lines(), f"no {_describe('nerve_studies', key)} of "
                                           f"{patient.code} in nerve_studies.csv or the "
                                           "registry.")
                continue
            data = {k: line.values[k] for k in ("studied_on", "notes") if line and k in
                    line.values}
            segments = self._rows(nested.children.get("nerve_segments"), "nerve_segments")
            if study is None:
                written = self._write(nested, lambda d=data, s=segments: (
                    patient_services.nerve_study_record(patient=patient, data=d,
                                                        segments=s or (), by=self.by)))
                self._after(nested, written, "created")
                continue
            changes = _changes(study, data)
            if segments is not None and _same(study.segments.all(), segments,
                                              CHILD_FIELDS["nerve_segments"]):
                segments = None
            if not (changes or segments is not None):
                self._count(nested.lines(), "unchanged")
                continue
            written = self._write(nested, lambda st=study, c=changes, s=segments: (
                patient_services.nerve_study_update(study=st, version=st.version, data=c,
                                                    segments=s, by=self.by)))
            self._after(nested, written, "updated")


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
