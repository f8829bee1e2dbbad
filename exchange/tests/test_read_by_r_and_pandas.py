"""The exports as R and pandas read them with their defaults (issue 20, item 6).

A registry with every kind of record (the paper's demo data and a patient with everything)
is exported by the command; base R's ``read.csv`` (Debian's ``r-base-core``, installed by
``.ci/run``) and ``pandas.read_csv`` then read every dataset: boolean columns arrive as
logical, no value turns into a missing one, and each documented join (docs/exchange.md,
"Joins by name") gives one row per row of its "many" side, the "one" side's keys unique.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from exchange.datasets import BOOLEAN, BY_NAME
from exchange.tests.helpers import every_kind_of_record
from patients.demo.load import load_demo
from patients.models import Patient
from treatments.reference_data import seed_reference_data
from treatments.services import outcome_recompute

# The databases are set up for the tests marked for them; the export itself is made once.
pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).parent / "r" / "read_exports.R"
# one side = its key columns : many side, as docs/exchange.md documents them
JOINS = [("visits", ("patient", "visited_on", "kind"), "mrc"),
         ("series", ("patient", "series"), "lots"),
         ("series", ("patient", "series"), "adverse_events"),
         ("nerve_studies", ("patient", "studied_on"), "nerve_segments"),
         *[("patients", ("patient",), name) for name in BY_NAME if name != "patients"]]


@pytest.fixture(scope="module")
def exported(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """The export, made once for the module's tests; the registry is rolled back after."""
    out = tmp_path_factory.mktemp("export")
    with django_db_blocker.unblock(), transaction.atomic():
        # A transactional test's flush may have emptied the seeded rule sets (module scope
        # runs before conftest's per-test reseeding): the outcomes need the defaults.
        seed_reference_data()
        center, _ = load_demo()
        every_kind_of_record(center)
        for patient_id in Patient.objects.values_list("pk", flat=True):
            outcome_recompute(patient_id=patient_id)
        call_command("export", out=str(out), identifiers=True, stdout=open(os.devnull, "w"))
        transaction.set_rollback(True)
    return out


def empty_cells(path: Path) -> dict[str, int]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, f"{path.name} has no rows: the registry lacks a kind of record"
    return {column: sum(row[column] == "" for row in rows) for column in rows[0]}


def test_every_dataset_has_rows_and_both_boolean_values(exported):
    for dataset in BY_NAME.values():
        empty_cells(exported / dataset.filename)
    values = set()
    for dataset in BY_NAME.values():
        with (exported / dataset.filename).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                values |= {row[c.name] for c in dataset.columns if c.type == BOOLEAN}
    assert values == {"TRUE", "FALSE", ""}


@pytest.mark.skipif(shutil.which("Rscript") is None,
                    reason="R is not installed (Debian's r-base-core; .ci/run installs it)")
def test_r_reads_every_dataset_with_read_csv_defaults(exported):
    joins = [f"{one}={','.join(keys)}:{many}" for one, keys, many in JOINS]
    done = subprocess.run(["Rscript", "--vanilla", str(SCRIPT), str(exported), *joins],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows, columns, joined = {}, {}, {}
    for line in done.stdout.splitlines():
        kind, *fields = line.split("\t")
        if kind == "rows":
            rows[fields[0]] = int(fields[1])
        elif kind == "column":
            columns[(fields[0], fields[1])] = (fields[2], int(fields[3]))
        elif kind == "join":
            joined[(fields[0], fields[1])] = (int(fields[2]), int(fields[3]))
    assert set(rows) == set(BY_NAME)
    for name, dataset in BY_NAME.items():
        empty = empty_cells(exported / dataset.filename)
        for column in dataset.header(identifiers=True):
            r_class, missing = columns[(name, column)]
            if dataset.column(column).type == BOOLEAN:
                assert r_class == "logical", (name, column, r_class)
            # Nothing but an empty cell is missing (R keeps an empty text cell as "").
            expected = 0 if r_class == "character" else empty[column]
            assert missing == expected, (name, column, r_class, missing, empty[column])
    for one, _, many in JOINS:
        assert joined[(one, many)] == (rows[many], 0), (one, many)


def test_pandas_reads_every_dataset_with_read_csv_defaults(exported):
    pandas = pytest.importorskip("pandas")
    tables = {name: pandas.read_csv(exported / d.filename) for name, d in BY_NAME.items()}
    for name, dataset in BY_NAME.items():
        table, empty = tables[name], empty_cells(exported / dataset.filename)
        for column in dataset.header(identifiers=True):
            values = table[column]
            if dataset.column(column).type == BOOLEAN:
                assert {type(v) for v in values.dropna()} <= {bool}, (name, column)
                assert values.dtype == bool or empty[column], (name, column, values.dtype)
            assert int(values.isna().sum()) == empty[column], (name, column)
    for one, keys, many in JOINS:
        joined = tables[one].merge(tables[many], on=list(keys), validate="one_to_many")
        assert len(joined) == len(tables[many]), (one, many)


def test_pandas_reads_the_measure_columns_and_the_measures_dataset(exported):
    """clinical-rules.md §9: the visit scales as numbers, the tidy ``measures`` dataset
    (one row per patient × measure) with its booleans, from the CIDP demo cohort."""
    pandas = pytest.importorskip("pandas")
    visits = pandas.read_csv(exported / "visits.csv")
    cidp = visits[visits["patient"] == "CIDP-001"]
    # numbers (float where other patients have empty cells), never text
    for column in ("incat_arm", "incat_leg", "irods_centile", "grip_right_kpa", "onls_arm",
                   "onls_leg"):
        assert visits[column].dtype.kind in "if", column
    first = cidp.iloc[0]
    assert (first["incat_arm"], first["incat_leg"], first["irods_centile"],
            first["grip_right_kpa"], first["onls_leg"]) == (2, 3, 35, 45.0, 2)
    assert cidp["primary_score"].tolist()[0] == 5  # adjusted INCAT at baseline
    measures = pandas.read_csv(exported / "measures.csv")
    row = measures[(measures["patient"] == "CIDP-001")
                   & (measures["measure"] == "adjusted_incat")].iloc[0]
    assert (row["primary"], row["change"], row["result"], row["responder"]) == (
        True, -3, "improved", True)
    assert measures["responder"].dtype == bool
    assert set(measures["measure"]) >= {"mrc_targets", "prineas", "incat", "grip"}
