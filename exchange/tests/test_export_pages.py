"""The export pages: who may download what, in which format, and that it is recorded."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from exchange.datasets import DATASETS
from exchange.models import ExportRecord
from exchange.tests.helpers import read_csv, zip_members
from patients.models import Identity

pytestmark = pytest.mark.django_db

PAGE = reverse("exchange:exports")


def download(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_login_is_required(client, db):
    assert client.get(PAGE)["Location"].startswith("/accounts/login/")
    assert client.get("/exports/patients.csv")["Location"].startswith("/accounts/login/")


def test_clinicians_are_refused(client, clinician, treated):
    client.force_login(clinician)
    assert client.get(PAGE).status_code == 403
    assert client.get("/exports/patients.csv").status_code == 403
    assert not ExportRecord.objects.exists()


@pytest.mark.parametrize("role", ["data_manager", "researcher"])
def test_the_page_lists_every_dataset(client, role, request, treated):
    client.force_login(request.getfixturevalue(role))
    response = client.get(PAGE)
    assert response.status_code == 200
    for dataset in DATASETS:
        assert f"/exports/{dataset.name}.csv".encode() in response.content
    identifiers_offered = b'name="identifiers"' in response.content
    assert identifiers_offered is (role == "data_manager")


def test_a_dataset_as_csv(client, data_manager, treated):
    client.force_login(data_manager)
    response = client.get("/exports/visits.csv", {"diagnosis": "mmn"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="visits-')
    assert response["Cache-Control"] == "no-store"
    rows = read_csv(download(response))
    assert [row["kind"] for row in rows] == ["baseline", "post_series", "post_series"]
    record = ExportRecord.objects.get()
    assert (record.source, record.datasets, record.format, record.rows) == (
        "page", ["visits"], "csv", 3)
    assert record.filters == {"diagnosis": "mmn"}


def test_everything_as_a_zip_with_the_dictionary(client, researcher, treated):
    client.force_login(researcher)
    response = client.get("/exports/all.zip")
    assert response["Content-Type"] == "application/zip"
    members = zip_members(download(response))
    assert set(members) == {d.filename for d in DATASETS} | {"data_dictionary.csv",
                                                             "codes.csv"}
    assert len(read_csv(members["mrc.csv"])) == 15
    assert ExportRecord.objects.get().row_counts["mrc"] == 15


def test_everything_as_an_xlsx_workbook(client, data_manager, treated):
    client.force_login(data_manager)
    response = client.get("/exports/all.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(download(response)), read_only=True)
    assert book.sheetnames == [d.name for d in DATASETS] + ["dictionary", "codes"]
    rows = list(book["series"].values)
    assert rows[0][:3] == ("patient", "series", "started_on")
    assert len(rows) == 3 and rows[1][0] == "MMN-900"
    assert ExportRecord.objects.get().format == "xlsx"


def test_a_text_that_looks_like_a_formula_stays_text_in_excel(client, data_manager, treated):
    treated.notes = "=HYPERLINK(\"http://example.org\")"
    treated.save()
    client.force_login(data_manager)
    book = load_workbook(io.BytesIO(download(client.get("/exports/patients.xlsx"))))
    sheet = book["patients"]
    # Find the column by its header: merged features (e.g. primary_measure) add columns.
    headers = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index("notes") + 1)
    assert (cell.value, cell.data_type) == (treated.notes, "s")


def test_identifiers_for_the_data_manager_only_when_asked(client, data_manager, researcher,
                                                          treated):
    Identity.objects.update_or_create(patient=treated, defaults={"name": "Jeanne Dupont"})
    client.force_login(data_manager)
    assert b"Jeanne" not in download(client.get("/exports/patients.csv"))
    rows = read_csv(download(client.get("/exports/patients.csv", {"identifiers": "on"})))
    assert rows[0]["name"] == "Jeanne Dupont"
    client.force_login(researcher)
    assert client.get("/exports/patients.csv", {"identifiers": "on"}).status_code == 403


def test_bad_filters_are_a_400_naming_the_field(client, data_manager):
    client.force_login(data_manager)
    response = client.get("/exports/patients.csv", {"diagnosis": "flu"})
    assert response.status_code == 400
    assert b"diagnosis" in response.content
    response = client.get("/exports/patients.csv", {"center": "south"})
    assert response.status_code == 400 and b"center" in response.content
    assert not ExportRecord.objects.exists()


def test_unknown_exports_are_404(client, data_manager):
    client.force_login(data_manager)
    for path in ("/exports/gossip.csv", "/exports/all.csv", "/exports/patients.zip",
                 "/exports/patients.pdf"):
        assert client.get(path).status_code == 404, path


def test_the_dictionary_files(client, clinician):
    client.force_login(clinician)
    rows = read_csv(client.get("/exports/data_dictionary.csv").content)
    assert {(r["dataset"], r["column"]) for r in rows} == {
        (d.name, c.name) for d in DATASETS for c in d.columns}
    codes = read_csv(client.get("/exports/codes.csv").content)
    assert {"list": "diagnoses", "code": "mmn", "label": "Multifocal motor neuropathy"} in codes
    assert client.get("/exports/data_dictionary.md").content.startswith(b"# Data dictionary")


def test_the_page_query_count(client, data_manager, treated, django_assert_num_queries):
    client.force_login(data_manager)
    # session, user, the second factor's device (django-otp), memberships (roles and centre
    # ids: registry.scoping reads them once), their centres for the filter, recent exports
    with django_assert_num_queries(6):
        assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("patients", [1, 8])
def test_a_download_is_a_fixed_number_of_queries(client, data_manager, center, patients,
                                                 django_assert_num_queries):
    from registry.tests.factories import PatientFactory

    for n in range(patients):
        PatientFactory(center=center, code=f"MMN-{n:03d}")
    client.force_login(data_manager)
    # session, user, the second factor's device (django-otp), memberships (roles and centre
    # ids, read once), their centres (the filter form's choices), the export's record;
    # streaming: the cursor over the patient ids, the batch of patients; the record
    # completed and read back
    with django_assert_num_queries(10):
        rows = read_csv(download(client.get("/exports/patients.csv")))
    assert len(rows) == patients
