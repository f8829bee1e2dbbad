"""The import page: data managers upload files; the import runs as a task; the report shows."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exchange.models import ImportRecord
from exchange.tests.helpers import broker_down
from exchange.tests.test_imports import FILES, MRC
from patients.models import Patient, Visit

pytestmark = pytest.mark.django_db

PAGE = reverse("exchange:imports")


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def as_zip(files: dict[str, str]) -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"export/{name}.csv", text)
        archive.writestr("export/data_dictionary.csv", "dataset,column\n")
    return SimpleUploadedFile("export.zip", out.getvalue(), content_type="application/zip")


@pytest.fixture
def manager(client, data_manager):
    client.force_login(data_manager)
    return client


@pytest.mark.parametrize("role", ["clinician", "researcher"])
def test_only_data_managers_import(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"files": [upload("patients.csv", FILES["patients"])],
                              "mode": "all_or_nothing"}).status_code == 403
    assert not ImportRecord.objects.exists()


def test_a_zip_is_imported_and_the_report_shown(manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(PAGE, {"files": [as_zip(FILES)], "mode": "all_or_nothing"})
    record = ImportRecord.objects.get()
    assert response["Location"] == reverse("exchange:import_detail", args=[record.pk])
    assert (record.status, record.committed, record.source) == ("done", True, "page")
    assert record.upload is None  # the files (identifiers, maybe) are not kept
    assert Patient.objects.count() == 2
    page = manager.get(response["Location"])
    assert b"Written" in page.content and b"<code>mrc.csv</code>" in page.content
    assert b"4 created" in page.content
    assert b'http-equiv="refresh"' not in page.content


def test_bad_rows_are_listed_and_nothing_is_written(manager,
                                                    django_capture_on_commit_callbacks):
    bad = MRC.replace("deltoid,R,3", "deltoid,X,3")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(PAGE, {
            "files": [upload(f"{name}.csv", text) for name, text in FILES.items()
                      if name != "mrc"] + [upload("mrc.csv", bad)],
            "mode": "all_or_nothing"})
    page = manager.get(response["Location"])
    assert b"nothing was written" in page.content
    assert b"&#x27;X&#x27; is not a code of sides" in page.content
    assert not Patient.objects.exists()
    record = ImportRecord.objects.get()
    assert record.errors[0] == {"file": "mrc.csv", "line": 2, "column": "side",
                                "message": "'X' is not a code of sides: use one of R, L."}


def test_files_that_are_not_import_files_are_a_form_error(manager):
    response = manager.post(PAGE, {"files": [upload("notes.csv", "a,b\n")],
                                   "mode": "all_or_nothing"})
    assert response.status_code == 200
    assert "notes.csv: not an import file" in response.context["form"].errors["files"][0]
    response = manager.post(PAGE, {"files": [SimpleUploadedFile("visits.csv", b"\xff\xfe")],
                                   "mode": "all_or_nothing"})
    assert "not UTF-8" in response.context["form"].errors["files"][0]
    response = manager.post(PAGE, {"mode": "all_or_nothing"})
    assert "files" in response.context["form"].errors
    assert not ImportRecord.objects.exists()


def test_a_running_import_shows_its_progress_and_refreshes(manager, data_manager):
    record = ImportRecord.objects.create(user=data_manager, username="data_manager",
                                         source="page", mode="valid_only", status="running",
                                         progress_done=3, progress_total=12)
    page = manager.get(reverse("exchange:import_detail", args=[record.pk]))
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert b'<progress max="12" value="3">' in page.content


def test_another_users_import_is_not_shown(client, manager, data_manager, center):
    from registry.tests.factories import member

    record = ImportRecord.objects.create(user=data_manager, username="data_manager",
                                         source="page", mode="dry_run")
    other = member(center=center, role="data_manager", username="other_manager")
    client.force_login(other)
    assert client.get(reverse("exchange:import_detail", args=[record.pk])).status_code == 404


def test_the_broker_being_down_fails_the_import_with_a_message(
    manager, django_capture_on_commit_callbacks
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = manager.post(PAGE, {"files": [as_zip(FILES)], "mode": "dry_run"})
    record = ImportRecord.objects.get()
    assert record.status == "failed" and "unreachable" in record.failure
    assert record.upload is None
    assert b"task queue is unreachable" in manager.get(response["Location"]).content
    assert not Visit.objects.exists()


def test_an_import_whose_account_is_gone_does_not_run(data_manager):
    from exchange import services
    from exchange.imports import ALL_OR_NOTHING

    record = services.import_start(user=data_manager, source="page", mode=ALL_OR_NOTHING,
                                   files=FILES)
    data_manager.delete()
    record = services.import_execute(import_id=record.pk)
    assert record.status == "failed" and "no longer exists" in record.failure
    assert not Patient.objects.exists()
