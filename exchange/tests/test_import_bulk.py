"""The bulk path of imports (new patients checked in memory, written with COPY): it stores
what the services store, row for row and audit row for audit row, and its queries do not
grow with the number of patients."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from exchange import imports
from exchange.datasets import IMPORTABLE
from exchange.imports import BULK_ORDER, import_files
from exchange.tests.helpers import every_kind_of_record
from patients.demo.load import load_demo
from patients.models import NerveStudy, Patient, Visit
from treatments.models import Outcome, Series

pytestmark = pytest.mark.django_db

SKIPPED = {"id", "created_at", "updated_at", "history_id", "history_date"}


@pytest.fixture
def exported(tmp_path):
    """The demo registry and a patient with a record of every kind, exported with their
    identifiers: the files, read."""
    center, _ = load_demo()
    every_kind_of_record(center)
    out = tmp_path / "exported"
    call_command("export", out=str(out), identifiers=True, stdout=open(os.devnull, "w"))
    return {d.name: (out / d.filename).read_text(encoding="utf-8") for d in IMPORTABLE
            if (out / d.filename).exists()}


def renamed(files: dict[str, str], prefix: str, codes: set[str] | None = None) -> dict:
    """The files with every patient code prefixed (new patients to this registry), only
    the patients of ``codes`` if given."""
    result = {}
    for name, text in files.items():
        rows = list(csv.DictReader(io.StringIO(text)))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else
                                next(csv.reader(io.StringIO(text))), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            if codes is None or row["patient"] in codes:
                writer.writerow({**row, "patient": prefix + row["patient"]})
        result[name] = out.getvalue()
    return result


def _natural(prefix: str):
    """Each parent's id → its key without the prefix (ids differ between the two paths)."""
    patients = {pk: code.removeprefix(prefix) for pk, code in
                Patient.objects.filter(code__startswith=prefix).values_list("pk", "code")}
    series = {pk: (patients.get(p), n) for pk, p, n in
              Series.objects.values_list("pk", "patient_id", "number")}
    visits = {pk: (patients.get(p), d, k) for pk, p, d, k in
              Visit.objects.values_list("pk", "patient_id", "visited_on", "kind")}
    studies = {pk: (patients.get(p), d) for pk, p, d in
               NerveStudy.objects.values_list("pk", "patient_id", "studied_on")}
    return {"patient_id": patients, "series_id": series, "visit_id": visits,
            "study_id": studies}, set(patients)


def snapshot(prefix: str) -> dict[str, list]:
    """Every row, and every audit row, of the prefixed patients, by table: values without
    ids and times, parents by their keys."""
    parents, patient_ids = _natural(prefix)
    tables: dict[str, list] = {}
    model: Any
    for model in (*BULK_ORDER, Outcome):
        for name, manager in (("", model._default_manager),
                              ("history of ", getattr(model, "history", None))):
            if manager is None:
                continue
            rows = []
            row: dict[str, Any]
            for row in manager.all().values():
                if model is Patient:
                    if row["id"] not in patient_ids:
                        continue
                    row["code"] = row["code"].removeprefix(prefix)
                mapped = {k: parents[k].get(v) if k in parents else v
                          for k, v in row.items() if k not in SKIPPED}
                owner = next((mapped[k] for k in parents if k in mapped), None)
                if model is not Patient and (owner is None or (
                        isinstance(owner, tuple) and owner[0] is None)):
                    continue  # a record of another patient
                if model is Outcome:
                    # a counter of the writes in the transaction: the services add one per
                    # record, the bulk path marks each patient once
                    mapped.pop("data_version")
                rows.append(mapped)
            tables[name + model._meta.db_table] = sorted(rows, key=repr)
    return tables


def test_the_bulk_path_stores_what_the_services_store(exported):
    user = User.objects.create_superuser("operator", password="x" * 16)
    by_services = import_files(user=user, files=renamed(exported, "Y-"), bulk=False)
    with CaptureQueriesContext(connection) as bulk_queries:
        by_bulk = import_files(user=user, files=renamed(exported, "Z-"))
    assert by_services.ok and by_bulk.ok and by_bulk.committed
    assert by_bulk.counts_dict() == by_services.counts_dict()
    assert by_bulk.counts_dict()["mrc"]["created"] > 1000
    services, bulk = snapshot("Y-"), snapshot("Z-")
    assert services.keys() == bulk.keys()
    for table in services:
        assert bulk[table] == services[table], table
    assert all(bulk[table] for table in bulk if not table.endswith(
        ("outcome", "tailoringepisode"))), [t for t in bulk if not bulk[t]]
    # every record has its audit row: who and from where as a save's
    assert len(bulk["history of patients_mrcgrade"]) == len(bulk["patients_mrcgrade"])
    assert {row["history_type"] for row in bulk["history of patients_visit"]} == {"+"}
    assert {row["history_user_id"] for row in bulk["history of patients_patient"]} == {user.pk}
    # both paths say the rows came from an import (registry.audit), not "command"
    assert {row["history_source"] for table in bulk if table.startswith("history of")
            for row in bulk[table]} == {"import"}
    # and no write went through the services (one savepoint per record)
    assert sum("SAVEPOINT" in q["sql"] for q in bulk_queries.captured_queries) < 20
    # importing the same files again changes nothing
    again = import_files(user=user, files=renamed(exported, "Z-"))
    assert not again.committed and again.ok
    assert {what for counts in again.counts_dict().values() for what in counts} == {
        "unchanged"}


def test_queries_do_not_grow_with_the_patients(exported):
    user = User.objects.create_superuser("operator", password="x" * 16)
    # the patient with a record of every kind, with few others and with many
    every = Patient.objects.filter(tailoring_episodes__isnull=False).first().code
    codes = sorted(set(Patient.objects.values_list("code", flat=True)) - {every})
    assert len(codes) >= 24
    counts, diagnoses = [], []
    for prefix, some in (("A-", [every, *codes[:3]]), ("B-", [every, *codes[:24]])):
        diagnoses.append(len(set(Patient.objects.filter(code__in=some)
                                 .values_list("diagnosis", flat=True))))
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            report = import_files(user=user, files=renamed(exported, prefix, set(some)))
            transaction.set_rollback(True)
        assert report.ok and report.counts_dict()["patients"] == {"created": len(some)}
        counts.append(len(queries))
    # the same queries, but for the rule set of each diagnosis, read once per import
    assert counts[1] - counts[0] == diagnoses[1] - diagnoses[0]


def test_a_batch_the_database_refuses_goes_through_the_services(exported, monkeypatch):
    """A CHECK the bulk path leaves to the database (consent withdrawn before it was
    given cannot come from a file; faked here by a refused COPY): the batch is rolled back
    and written again one record at a time, as before."""
    from django.db import IntegrityError

    user = User.objects.create_superuser("operator", password="x" * 16)

    def refused(self, model, rows):
        raise IntegrityError("refused")

    monkeypatch.setattr(imports.CopyWriter, "children", refused)
    some = set(sorted(Patient.objects.values_list("code", flat=True))[:3])
    report = import_files(user=user, files=renamed(exported, "Z-", some))
    assert report.ok and report.committed
    assert report.counts_dict()["patients"]["created"] == Patient.objects.filter(
        code__startswith="Z-").count()
    assert Outcome.objects.filter(patient__code__startswith="Z-", data_version__gt=1).exists()


def test_a_bad_row_is_reported_as_before_and_nothing_is_written(exported):
    user = User.objects.create_superuser("operator", password="x" * 16)
    some = set(Patient.objects.filter(tailoring_episodes__isnull=False)
               .values_list("code", flat=True))
    files = renamed(exported, "Z-", some)
    lines = files["mrc"].splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("grade")] = "7"
    files["mrc"] = "\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n"
    services = import_files(user=user, files=files, bulk=False, mode=imports.DRY_RUN)
    bulk = import_files(user=user, files=files)
    assert not bulk.committed and bulk.problems == services.problems
    assert bulk.problems[0].file == "mrc.csv" and bulk.problems[0].line == 2
    assert bulk.problems[0].column == "grade"
    assert not Patient.objects.filter(code__startswith="Z-").exists()


def _edited(files: dict[str, str], name: str, edits: dict[int, dict[str, str]]) -> dict:
    """The files with cells of ``name`` changed: row index (from 0) → column → text."""
    rows = list(csv.DictReader(io.StringIO(files[name])))
    for index, cells in edits.items():
        rows[index].update(cells)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return {**files, name: out.getvalue()}


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_the_services_store_it(exported):
    """COPY's text format escapes them (the bulk path formats its rows itself)."""
    user = User.objects.create_superuser("operator", password="x" * 16)
    awkward = "tab\there, back\\slash \\N, new\nline, carriage\rreturn, “quoted”, é"
    files = _edited(exported, "visits", {0: {"notes": awkward}, 1: {"examiner": "Dr \\t"}})
    files = _edited(files, "lots", {0: {"lot": "LOT\\1\t2"}})
    by_services = import_files(user=user, files=renamed(files, "Y-"), bulk=False)
    by_bulk = import_files(user=user, files=renamed(files, "Z-"))
    assert by_services.ok and by_bulk.ok and by_bulk.committed
    services, bulk = snapshot("Y-"), snapshot("Z-")
    for table in services:
        assert bulk[table] == services[table], table
    assert Visit.objects.filter(patient__code__startswith="Z-", notes=awkward).exists()


def test_decimals_of_other_digits_are_judged_apart(exported):
    """A value equal to one already validated but with more decimal places than the field
    allows is refused, as the services refuse it (the bulk path validates each distinct
    value once)."""
    user = User.objects.create_superuser("operator", password="x" * 16)
    for name, column, good, bad in (("nerve_segments", "distal_amplitude_mv", "1.5", "1.500"),
                                    ("visits", "grip_left_kpa", "12.5", "12.50")):
        files = _edited(exported, name, {0: {column: good}, 1: {column: bad}})
        services = import_files(user=user, files=renamed(files, "Y-"), bulk=False,
                                mode=imports.DRY_RUN)
        bulk = import_files(user=user, files=renamed(files, "Z-"))
        assert not services.ok and not bulk.committed
        assert bulk.problems == services.problems
        assert [(p.file, p.line, p.column) for p in bulk.problems
                if "decimal place" in p.message] == [(f"{name}.csv", 3, column)]
