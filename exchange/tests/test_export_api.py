"""The exports in the API (token or session), for R and Python scripts."""

import io

import pytest
from openpyxl import load_workbook

from exchange.datasets import DATASETS
from exchange.models import ExportRecord
from exchange.tests.helpers import read_csv, zip_members
from patients.models import Identity
from registry.tests.api.helpers import api

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_anonymous_gets_401():
    assert api().get("/api/v1/exports/").status_code == 401
    assert api().get("/api/v1/exports/patients/").status_code == 401


def test_the_dictionary_as_json(clinician):
    data = api(clinician).get("/api/v1/exports/").json()
    assert [d["name"] for d in data["datasets"]] == [d.name for d in DATASETS]
    mrc = next(d for d in data["datasets"] if d["name"] == "mrc")
    assert mrc["key"] == ["patient", "visited_on", "kind"] and mrc["parent"] == "visits"
    grade = next(c for c in mrc["columns"] if c["name"] == "grade")
    assert grade == {"name": "grade", "type": "integer", "unit": "", "codes": None,
                     "required": True, "computed": False, "identifier": False,
                     "description": "MRC grade (0–5)."}
    assert {"code": "R", "label": "Right"} in data["code_lists"]["sides"]


def test_a_researcher_pulls_a_dataset_as_csv(researcher, treated):
    response = api(researcher).get("/api/v1/exports/mrc/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(body(response))
    assert len(rows) == 15 and set(rows[0]) == {"patient", "visited_on", "kind", "muscle",
                                                "side", "grade", "target"}
    record = ExportRecord.objects.get()
    assert (record.source, record.username, record.rows) == ("api", "researcher", 15)


def test_token_authentication_as_an_r_script_would(researcher, treated):
    client = api()
    token = client.post("/api/v1/auth/token/", {"username": "researcher",
                                                "password": "correct-horse-battery"},
                        format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert read_csv(body(client.get("/api/v1/exports/patients/")))[0]["patient"] == "MMN-900"


def test_formats(data_manager, treated):
    client = api(data_manager)
    book = load_workbook(io.BytesIO(body(client.get("/api/v1/exports/series/",
                                                    {"format": "xlsx"}))))
    assert book.sheetnames == ["series", "dictionary", "codes"]
    members = zip_members(body(client.get("/api/v1/exports/all/")))
    assert "visits.csv" in members and "data_dictionary.csv" in members
    workbook = body(client.get("/api/v1/exports/all/", {"format": "xlsx"}))
    assert load_workbook(io.BytesIO(workbook), read_only=True).sheetnames[0] == "patients"
    assert list(ExportRecord.objects.order_by("id").values_list("format", flat=True)) == [
        "xlsx", "zip", "xlsx"]


def test_identifiers(data_manager, researcher, treated):
    Identity.objects.update_or_create(patient=treated, defaults={"hospital_number": "H-1"})
    rows = read_csv(body(api(data_manager).get("/api/v1/exports/patients/",
                                               {"identifiers": "true"})))
    assert rows[0]["hospital_number"] == "H-1"
    response = api(researcher).get("/api/v1/exports/patients/", {"identifiers": "true"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_clinicians_get_403(clinician, treated):
    response = api(clinician).get("/api/v1/exports/patients/")
    assert response.status_code == 403 and "role" in response.json()["detail"]


def test_bad_requests_are_answered_in_json(data_manager):
    client = api(data_manager)
    response = client.get("/api/v1/exports/patients/", {"diagnosis": "flu"})
    assert response.status_code == 400
    assert response.json() == {"diagnosis": ["Unknown diagnosis 'flu'."]}
    response = client.get("/api/v1/exports/patients/", {"format": "zip"})
    assert response.status_code == 404 and "zip" in response.json()["detail"]
    assert client.get("/api/v1/exports/gossip/").status_code == 404
    assert client.get("/api/v1/exports/patients/", {"format": "pdf"}).status_code == 404
    assert not ExportRecord.objects.exists()


def test_the_schema_documents_the_exports():
    paths = api().get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/exports/" in paths
    operation = paths["/api/v1/exports/{dataset}/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"dataset", "format", "center",
                                                           "diagnosis", "identifiers"}
    assert "text/csv" in operation["responses"]["200"]["content"]


@pytest.mark.parametrize("patients", [1, 8])
def test_an_api_export_is_a_fixed_number_of_queries(researcher, center, patients,
                                                    django_assert_num_queries):
    from registry.tests.api.helpers import AUTH_QUERIES
    from registry.tests.factories import PatientFactory

    for n in range(patients):
        PatientFactory(center=center, code=f"MMN-{n:03d}")
    client = api(researcher)
    # auth, the export's record; streaming: the cursor over the patient ids, the
    # stored outcomes' target muscles, the grades; the record completed and read back
    with django_assert_num_queries(AUTH_QUERIES + 6):
        body(client.get("/api/v1/exports/mrc/"))
