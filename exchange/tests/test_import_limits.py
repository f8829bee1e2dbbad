"""Imports refuse damaged or hostile files with a message, and no file exhausts memory.

The damaged archives are a real export's ZIP with some of its bytes changed, as a disk,
a mail gateway or a truncated download would leave it.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from exchange import files, services
from exchange.datasets import BY_NAME, DATASETS
from exchange.imports import ALL_OR_NOTHING, import_files
from exchange.models import ImportRecord, Source
from exchange.parsing import parse_file
from exchange.tests.helpers import csv_file
from exchange.tests.test_imports import FILES
from patients.models import Patient, Visit

pytestmark = pytest.mark.django_db

PAGE = reverse("exchange:imports")
ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def manager(client, data_manager):
    client.force_login(data_manager)
    return client


@pytest.fixture
def export_zip(treated, data_manager) -> bytes:
    """The ZIP the exports page gives for a patient with every kind of record."""
    job = services.export_start(user=data_manager, source=Source.COMMAND,
                                datasets=[d.name for d in DATASETS], format="zip")
    return b"".join(services.export_zip(job))


# Editing a ZIP's bytes ---------------------------------------------------------------------

def central_entry(data: bytes, name: str) -> int:
    """Where the central-directory entry of member ``name`` starts."""
    start = 0
    while (at := data.find(b"PK\x01\x02", start)) >= 0:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length] == name.encode():
            return at
        start = at + 4
    raise LookupError(name)


def patch(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def member_data_start(data: bytes, name: str) -> int:
    local = int.from_bytes(data[central_entry(data, name) + 42:][:4], "little")
    name_length = int.from_bytes(data[local + 26:local + 28], "little")
    extra_length = int.from_bytes(data[local + 28:local + 30], "little")
    return local + 30 + name_length + extra_length


def bad_crc(data: bytes) -> bytes:
    at = central_entry(data, "patients.csv") + 16
    crc = int.from_bytes(data[at:at + 4], "little")
    return patch(data, at, (crc ^ 0xFFFFFFFF).to_bytes(4, "little"))


def corrupt_deflate(data: bytes) -> bytes:
    at = member_data_start(data, "mrc.csv")
    return patch(data, at + 2, b"\xff" * 48)


def truncated_member(data: bytes) -> bytes:
    at = central_entry(data, "mrc.csv") + 20
    size = int.from_bytes(data[at:at + 4], "little")
    return patch(data, at, (size // 3).to_bytes(4, "little"))


def encrypted_member(data: bytes) -> bytes:
    at = central_entry(data, "visits.csv") + 8
    flags = int.from_bytes(data[at:at + 2], "little")
    return patch(data, at, (flags | 0x1).to_bytes(2, "little"))


def lying_size(data: bytes) -> bytes:
    """Claims mrc.csv is 10 bytes long uncompressed."""
    return patch(data, central_entry(data, "mrc.csv") + 24, (10).to_bytes(4, "little"))


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


DAMAGED = {
    "bad CRC": (bad_crc, "export.zip: patients.csv: the ZIP is damaged (a file's checksum "
                         "does not match its data)"),
    "corrupt deflate stream": (corrupt_deflate, "export.zip: mrc.csv: the ZIP is damaged"),
    "truncated member": (truncated_member, "export.zip: mrc.csv: the ZIP is damaged"),
    "encrypted member": (encrypted_member, "export.zip: visits.csv: encrypted "
                                           "(password-protected)"),
    "member longer than its header says": (lying_size, "export.zip: mrc.csv: the ZIP is "
                                                       "damaged"),
    "truncated archive": (lambda data: data[:len(data) // 2],
                          "export.zip: not a readable ZIP file."),
    "not a ZIP at all": (lambda data: b"PK\x03\x04" + b"\x00" * 200,
                         "export.zip: not a readable ZIP file."),
}
OTHER = {
    "non-UTF-8 member": (lambda data: zipped({"patients.csv": "patient,nom\nMMN-1,Gérard\n"
                                              .encode("latin-1")}),
                         "patients.csv: not UTF-8 text"),
    "a ZIP inside the ZIP": (lambda data: zipped({"inner/export.zip": data}),
                             "export.zip: inner/export.zip: a ZIP inside the ZIP"),
    "an unsafe path": (lambda data: zipped({"../patients.csv": b"patient\n"}),
                       "export.zip: ../patients.csv: an unsafe path"),
}
CASES = {**DAMAGED, **OTHER}


def test_the_export_zip_itself_is_read(export_zip):
    packed = files.collect([("export.zip", io.BytesIO(export_zip))])
    assert set(packed.names) == {d.name for d in DATASETS if d.importable}


@pytest.mark.parametrize("case", CASES)
def test_every_archive_error_is_a_message(export_zip, case):
    damage, message = CASES[case]
    with pytest.raises(ValidationError) as refused:
        files.collect([("export.zip", io.BytesIO(damage(export_zip)))])
    assert any(text.startswith(message) for text in refused.value.messages), \
        refused.value.messages


@pytest.mark.parametrize("case", ["bad CRC", "corrupt deflate stream", "truncated member",
                                  "encrypted member", "non-UTF-8 member"])
def test_the_page_shows_a_damaged_zip_as_a_form_error(manager, export_zip, case):
    damage, message = CASES[case]
    response = manager.post(PAGE, {
        "files": [SimpleUploadedFile("export.zip", damage(export_zip))],
        "mode": "all_or_nothing"})
    assert response.status_code == 200
    errors = response.context["form"].errors["files"]
    assert any(text.startswith(message) for text in errors), errors
    assert not ImportRecord.objects.exists()


def test_the_command_gives_one_line_and_fails(tmp_path, export_zip):
    for case in ("bad CRC", "corrupt deflate stream", "truncated archive"):
        damage, message = CASES[case]
        path = tmp_path / "export.zip"
        path.write_bytes(damage(export_zip))
        with pytest.raises(CommandError, match="^" + message[:30]):
            call_command("import", str(path), "--quiet", stdout=io.StringIO(),
                         stderr=io.StringIO())
    assert not ImportRecord.objects.exists()


def test_the_command_exits_non_zero_without_a_traceback(tmp_path, export_zip):
    path = tmp_path / "export.zip"
    path.write_bytes(corrupt_deflate(export_zip))
    done = subprocess.run([sys.executable, "manage.py", "import", str(path), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if " INFO " not in line]  # logs
    assert errors == [
        f"CommandError: {path.name}: mrc.csv: the ZIP is damaged (its compressed data is "
        "corrupt); make it again, or upload the CSV files themselves."], done.stderr


# Sizes ---------------------------------------------------------------------------------------

def test_a_zip_bomb_is_refused_by_its_declared_size(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10 * 1024 * 1024
    bomb = zipped({"mrc.csv": b"patient,visited_on\n" + b"0" * (50 * 1024 * 1024)})
    assert len(bomb) < 100_000  # 50 MB in 50 kB
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError, match="larger than 10 MB uncompressed"):
            files.collect([("bomb.zip", io.BytesIO(bomb))])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, peak  # refused before it was inflated


def test_a_member_that_lies_about_its_size_is_counted_as_it_is_read(settings):
    """Several members each under the limit by their headers: the count as read stops them."""
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    text = csv_file(["patient"], *[[f"MMN-{n:06d}"] for n in range(60_000)]).encode()
    assert len(text) > 600_000
    with pytest.raises(ValidationError, match="larger than 1 MB uncompressed"):
        files.collect([("patients.csv", io.BytesIO(text)), ("visits.csv", io.BytesIO(text))])


def test_too_many_members_are_refused(settings):
    settings.IMPORT_MAX_ZIP_MEMBERS = 5
    many = zipped({f"notes-{n}.md": b"x" for n in range(6)})
    with pytest.raises(ValidationError, match="holds 6 files, more than the 5"):
        files.collect([("many.zip", io.BytesIO(many))])


def test_an_oversize_upload_is_refused_before_it_is_read(manager, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    # A body that is no multipart at all: reading it would fail; refused, it is never read.
    response = manager.generic("POST", PAGE, b"not multipart at all",
                               content_type="multipart/form-data; boundary=xyz",
                               CONTENT_LENGTH="60000000")
    assert response.status_code == 413
    errors = response.context["form"].errors["files"]
    assert errors[0].startswith("The upload (57 MB) is larger than the limit of 10,000 bytes")
    assert not ImportRecord.objects.exists()


def test_an_oversize_upload_from_the_page_says_why(data_manager, settings):
    """With the CSRF check on, as in a browser: the token is read, the file never is."""
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(data_manager)
    browser.get(PAGE)
    token = browser.cookies["csrftoken"].value
    big = csv_file(["patient", "center", "sex", "birth_year", "diagnosis"],
                   *[[f"MMN-{n:04d}", "north", "F", "1950", "mmn"] for n in range(1000)])
    response = browser.post(PAGE, {"csrfmiddlewaretoken": token, "mode": "all_or_nothing",
                                   "files": [SimpleUploadedFile("patients.csv",
                                                                big.encode())]})
    assert response.status_code == 413
    assert "is larger than the limit" in response.context["form"].errors["files"][0]
    assert not ImportRecord.objects.exists() and not Patient.objects.exists()


def test_the_command_refuses_files_over_the_limit(tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    (tmp_path / "patients.csv").write_text(FILES["patients"])
    with pytest.raises(CommandError, match="is larger than the limit of 100 bytes"):
        call_command("import", str(tmp_path / "patients.csv"), "--quiet")
    assert not ImportRecord.objects.exists()


def test_a_large_csv_is_packed_as_a_stream(tmp_path):
    """A 20 MB file goes through the checks without ever being held whole in memory."""
    path = tmp_path / "mrc.csv"
    with path.open("w") as out:
        out.write("patient,visited_on,kind,muscle,side,grade\n")
        row = 0
        while out.tell() < 20 * 1024 * 1024:
            out.writelines(f"MMN-{row + n:07d},1994-01-03,baseline,deltoid,R,3\n"
                           for n in range(10_000))
            row += 10_000
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            packed = files.collect([("mrc.csv", stream)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert packed.names == ("mrc.csv"[:-4],)
    assert peak < size / 10, (peak, size)
    with zipfile.ZipFile(io.BytesIO(packed.data)) as archive:
        assert archive.getinfo("mrc.csv").file_size == size


# Lines, problems, NUL ------------------------------------------------------------------------

def test_a_line_longer_than_the_limit_is_one_problem():
    header = ",".join(f"c{n}" for n in range(1_000_005))  # the 7.9 MB one-line header
    parsed = parse_file(BY_NAME["visits"], io.StringIO(header + "\n"))
    assert [str(p) for p in parsed.problems] == [
        "visits.csv line 1: Line 1 is longer than 100,000 characters: not a CSV file of "
        "visits (or a cell far too long); the rest of the file was not read."]
    text = "patient,visited_on,kind,notes\n" + f'MMN-1,1994-01-03,baseline,"{"x" * 60_000}\n'
    text += "x" * 60_000 + '"\n'  # one cell of 120,000 characters over two lines
    parsed = parse_file(BY_NAME["visits"], text)
    assert [(p.line, p.message) for p in parsed.problems] == [
        (3, "A cell is longer than 100,000 characters; the rest of the file was not read.")]


def test_problems_are_capped_with_their_count(manager, django_capture_on_commit_callbacks,
                                              tmp_path, data_manager):
    header = ",".join(["patient", "visited_on", "kind"] + [f"extra{n}" for n in range(3_000)])
    report = import_files(user=data_manager, files={"visits": header + "\n"})
    assert report.problem_count == 3_000 and len(report.problems) == 1_000
    assert report.problems[0].column == "extra0" and not report.committed

    visits = csv_file(["patient", "visited_on", "kind"],
                      *[["MMN-100", f"1994-01-{n:02d}x", "baseline"] for n in range(1, 1_501)])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(PAGE, {"files": [SimpleUploadedFile(
            "visits.csv", visits.encode())], "mode": "all_or_nothing"})
    record = ImportRecord.objects.get()
    assert (record.error_count, len(record.errors), record.more_errors) == (1_500, 1_000, 500)
    assert [p["line"] for p in record.errors] == list(range(2, 1_002))  # the first ones
    page = manager.get(response["Location"]).content.decode()
    assert "… and 500 more (1500 in all; the first 1000 are listed)." in page
    assert "1500 bad rows: nothing was written" in page

    (tmp_path / "visits.csv").write_text(visits)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1500 bad row"):
        call_command("import", str(tmp_path / "visits.csv"), "--quiet", stdout=io.StringIO(),
                     stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 1_001 and lines[-1] == "… and 500 more (1500 in all)."


def test_a_nul_byte_is_named_by_line_and_column(manager, django_capture_on_commit_callbacks,
                                                data_manager):
    files_ = {**FILES, "visits": FILES["visits"].replace("Dr A,3", "Dr \x00A,3")}
    report = import_files(user=data_manager, files=files_, mode=ALL_OR_NOTHING)
    assert [str(p) for p in report.problems if p.file == "visits.csv"] == [
        "visits.csv line 3, examiner: Contains a NUL character (\\x00), which cannot be "
        "stored: remove it (it often comes from a file saved as UTF-16 rather than UTF-8)."]
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(PAGE, {"files": [SimpleUploadedFile(f"{name}.csv", text.encode())
                                      for name, text in files_.items()],
                            "mode": "valid_only"})
    record = ImportRecord.objects.get()
    assert record.status == "done", record.failure
    assert {(p["file"], p["line"], p["column"]) for p in record.errors} >= {
        ("visits.csv", 3, "examiner")}
    assert Visit.objects.count() == 2  # the other visits, written; that one not


def test_the_rows_an_import_holds_share_their_repeated_values():
    """The worker holds every parsed row until the import is written: repeated codes,
    dates and keys are one object each, which keeps those rows small."""
    rows = [[f"MMN-{n // 60:05d}", f"1994-01-{n % 28 + 1:02d}", "baseline", "deltoid", "R", "3"]
            for n in range(60_000)]
    text = csv_file(["patient", "visited_on", "kind", "muscle", "side", "grade"], *rows)
    tracemalloc.start()
    try:
        parsed = parse_file(BY_NAME["mrc"], io.StringIO(text))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    first, second = parsed.lines[0].values, parsed.lines[1].values
    assert first["patient"] is second["patient"] and first["kind"] is second["kind"]
    assert parsed.lines[0].values["visited_on"] is parsed.lines[28].values["visited_on"]
    assert held < 10 * len(text), (held, len(text))  # about 14 × without the sharing
