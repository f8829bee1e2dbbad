"""``manage.py export`` and ``manage.py import``, as an operator or a data manager uses them."""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from exchange.datasets import DATASETS, dictionary_markdown
from exchange.models import ExportRecord, ImportRecord
from exchange.tests.helpers import read_csv
from exchange.tests.test_imports import FILES, MRC
from patients.models import Patient

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir()
    for name, text in files.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def test_export_writes_every_dataset_and_the_dictionary(tmp_path, treated, other_patient):
    out, _ = run("export", "--out", str(tmp_path / "x"))
    names = {p.name for p in (tmp_path / "x").iterdir()}
    assert names == {d.filename for d in DATASETS} | {"data_dictionary.csv", "codes.csv"}
    assert [r["patient"] for r in read_csv((tmp_path / "x/patients.csv").read_bytes())] == [
        "MMN-900", "MMN-901"]
    record = ExportRecord.objects.get()
    assert record.source == "command" and record.user is None
    assert record.username.endswith("(command line)")
    assert "pseudonymised" in out and "mrc.csv" in out


def test_export_as_a_user_keeps_to_their_centres(tmp_path, data_manager, treated,
                                                 other_patient):
    run("export", "patients", "visits", "--out", str(tmp_path / "x.zip"),
        "--user", "data_manager")
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        assert set(archive.namelist()) == {"patients.csv", "visits.csv",
                                           "data_dictionary.csv", "codes.csv"}
        codes = {r["patient"] for r in read_csv(archive.read("patients.csv"))}
    assert codes == {"MMN-900"}
    assert ExportRecord.objects.get().user == data_manager


def test_export_as_xlsx_with_filters(tmp_path, treated):
    run("export", "series", "--out", str(tmp_path / "x.xlsx"), "--diagnosis", "mmn",
        "--centre", "north")
    assert load_workbook(tmp_path / "x.xlsx").sheetnames == ["series", "dictionary", "codes"]
    assert ExportRecord.objects.get().filters == {"center": "north", "diagnosis": "mmn"}


def test_export_refusals(tmp_path, researcher, clinician, treated):
    with pytest.raises(CommandError, match="identifiers"):
        run("export", "--out", str(tmp_path), "--user", "researcher", "--identifiers")
    with pytest.raises(CommandError, match="role"):
        run("export", "--out", str(tmp_path), "--user", "clinician")
    with pytest.raises(CommandError, match="No active user"):
        run("export", "--out", str(tmp_path), "--user", "nobody")
    with pytest.raises(CommandError, match="datasets: Unknown dataset: gossip"):
        run("export", "gossip", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="exactly one dataset"):
        run("export", "--out", "-")


def test_dictionary_only_writes_the_documented_dictionary(tmp_path):
    run("export", "--dictionary-only", "--out", str(tmp_path))
    markdown = (tmp_path / "data_dictionary.md").read_text()
    assert markdown == dictionary_markdown() + "\n"
    assert markdown == (ROOT / "docs" / "data-dictionary.md").read_text(), (
        "docs/data-dictionary.md is out of date: run "
        "manage.py export --dictionary-only --out docs/ and rename the file")
    assert not ExportRecord.objects.exists()


def test_import_reports_and_writes(tmp_path, data_manager):
    out, err = run("import", str(write(tmp_path / "in", FILES)), "--user", "data_manager",
                   "--quiet")
    assert "written" in out and "mrc.csv" in out and "4 created" in out
    assert Patient.objects.count() == 2
    assert ImportRecord.objects.get().source == "command"
    out, _ = run("import", str(tmp_path / "in"), "--user", "data_manager", "--quiet")
    assert "nothing to change" in out and "4 unchanged" in out


def test_import_with_bad_rows_fails_and_lists_them(tmp_path, data_manager):
    files = {**FILES, "mrc": MRC.replace("biceps,R,2", "biceps,R,two")}
    with pytest.raises(CommandError, match=r"1 bad row\(s\); nothing was written"):
        run("import", str(write(tmp_path / "in", files)), "--user", "data_manager", "--quiet")
    assert not Patient.objects.exists()
    err = io.StringIO()
    call_command("import", str(tmp_path / "in"), "--valid-only", "--quiet", stderr=err,
                 stdout=io.StringIO())
    assert "mrc.csv line 3, grade: 'two' is not a whole number." in err.getvalue()
    assert Patient.objects.count() == 2


def test_import_dry_run_and_unknown_files(tmp_path, data_manager):
    out, _ = run("import", str(write(tmp_path / "in", FILES)), "--dry-run", "--quiet")
    assert "dry run" in out and not Patient.objects.exists()
    (tmp_path / "other.csv").write_text("a\n")
    with pytest.raises(CommandError, match="other.csv: not an import file"):
        run("import", str(tmp_path / "other.csv"))
    with pytest.raises(CommandError, match="no such file"):
        run("import", str(tmp_path / "missing.csv"))


def test_import_as_a_researcher_is_refused(tmp_path, researcher):
    with pytest.raises(CommandError, match="data manager"):
        run("import", str(write(tmp_path / "in", FILES)), "--user", "researcher")


@pytest.mark.django_db(transaction=True)  # the other process's export record is flushed
def test_export_to_standard_output_pipes_into_a_reader():
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    done = subprocess.run(
        [sys.executable, "manage.py", "export", "mrc", "--out", "-"], cwd=ROOT,
        capture_output=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test",
             "DATABASE_URL": url},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"patient,visited_on,kind,muscle,side,grade,target\n"
    assert b"Export" in done.stderr  # the log goes to standard error, not into the data
