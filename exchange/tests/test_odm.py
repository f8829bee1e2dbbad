"""CDISC ODM 1.3.2 out: valid against the official schema (vendored in ``schemas/``), the
same values as the tidy export, pseudonymised and consent-filtered like every export,
streamed a batch of patients at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import etree

from exchange import services
from exchange.datasets import BY_NAME, DATASETS
from exchange.models import ExportRecord, Source
from exchange.odm import NAMESPACE, SUBJECT_KEY_COLUMN
from exchange.tests.helpers import every_kind_of_record, export_rows
from patients.demo.load import load_demo
from patients.models import Patient
from registry.models import Role
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, member

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).parent / "schemas" / "odm1-3-2" / "ODM1-3-2.xsd"
NS = {"odm": NAMESPACE}


@pytest.fixture(scope="module")
def odm_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.fixture
def registry(center, django_capture_on_commit_callbacks):
    """The demo registry (``make run``) and a patient with a record of every kind."""
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
        every_kind_of_record(center)
        a_query_raised_answered_and_closed(center)


def a_query_raised_answered_and_closed(center) -> None:
    """A data manager's query (§11) on MMN-ALL, answered by a clinician and closed: the
    demo's queries are the registry's own, still open, so they leave the columns of who
    raised, answered and closed one empty."""
    from queries import services as query_services

    patient = Patient.objects.get(code="MMN-ALL")
    manager = member(center=center, role=Role.DATA_MANAGER, username="odm-dm")
    doctor = member(center=center, role=Role.CLINICIAN, username="odm-doc")
    query = query_services.query_raise(patient=patient, message="Onset date?", by=manager)
    query = query_services.query_answer(query=query, version=query.version,
                                        answer="Checked: right.", by=doctor)
    query_services.query_close(query=query, version=query.version, by=manager,
                               reason="confirmed")


def assert_valid(document: bytes, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(document)
    assert schema.validate(root), "\n".join(
        f"{error.line}: {error.message}" for error in list(schema.error_log)[:10])
    return root


def odm_rows(root: etree._Element) -> dict[str, list[dict[str, str]]]:
    """Each dataset's rows read back from the clinical data, cells as the CSV writes them."""
    items = {}
    for definition in root.iterfind(".//odm:ItemDef", NS):
        dataset, column = definition.get("Name").split(".")
        items[definition.get("OID")] = (column, definition.get("DataType"))
    groups = {g.get("OID"): g.get("Name") for g in root.iterfind(".//odm:ItemGroupDef", NS)}
    rows: dict[str, list[dict[str, str]]] = {d.name: [] for d in DATASETS}
    for subject in root.iterfind(".//odm:SubjectData", NS):
        for group in subject.iterfind(".//odm:ItemGroupData", NS):
            row = {SUBJECT_KEY_COLUMN: subject.get("SubjectKey")}
            for item in group.iterfind("odm:ItemData", NS):
                column, data_type = items[item.get("ItemOID")]
                value = item.get("Value")
                row[column] = value.upper() if data_type == "boolean" else value
            rows[groups[group.get("ItemGroupOID")]].append(row)
    return rows


def test_the_demo_registry_is_valid_odm_and_holds_the_tidy_values(
        registry, superuser, tmp_path, odm_schema):
    out = tmp_path / "registry.xml"
    call_command("export", "--out", str(out), "--identifiers")
    root = assert_valid(out.read_bytes(), odm_schema)
    assert root.get("ODMVersion") == "1.3.2"
    subjects = [s.get("SubjectKey") for s in root.iterfind(".//odm:SubjectData", NS)]
    assert subjects == sorted(Patient.objects.values_list("code", flat=True)) and len(
        subjects) == 29  # 28 demo (CIDP cohort: +5) + MMN-ALL
    read_back = odm_rows(root)
    filled = set()
    for dataset in DATASETS:
        header = dataset.header(identifiers=True)
        tidy = [{k: v for k, v in row.items() if v != "" and k in header}
                for row in export_rows(superuser, dataset.name, identifiers=True)]
        if dataset.name == "outcomes":  # when it was computed differs between two exports
            tidy = [{k: v for k, v in row.items() if k != "computed_at"} for row in tidy]
            read_back[dataset.name] = [{k: v for k, v in row.items() if k != "computed_at"}
                                       for row in read_back[dataset.name]]
        assert read_back[dataset.name] == tidy, dataset.name
        filled |= {(dataset.name, column) for row in tidy for column in row}
    # Every column of every dataset has a value somewhere: the round trip covered it all.
    assert filled == {(d.name, c) for d in DATASETS for c in d.header(identifiers=True)
                      if (d.name, c) != ("outcomes", "computed_at")}
    record = ExportRecord.objects.get(format="odm")
    assert record.rows == sum(
        len(rows) for rows in read_back.values())


def test_the_metadata_describes_every_dataset_column_and_code_list(registry, superuser,
                                                                   odm_schema):
    job = services.export_start(user=superuser, source=Source.COMMAND,
                                datasets=[d.name for d in DATASETS], format="odm")
    root = assert_valid(b"".join(services.export_odm(job)), odm_schema)
    (version,) = root.iterfind(".//odm:MetaDataVersion", NS)
    names = {d.get("Name") for d in version.iterfind("odm:ItemDef", NS)}
    assert names == {f"{d.name}.{c}" for d in DATASETS for c in d.header()
                     if c != SUBJECT_KEY_COLUMN}
    kinds = version.find("odm:CodeList[@Name='visit_kinds']", NS)
    assert [i.get("CodedValue") for i in kinds] == [
        "baseline", "pre_series", "post_series", "follow_up", "final"]
    item = version.find("odm:ItemDef[@Name='visits.kind']", NS)
    assert item.find("odm:CodeListRef", NS).get("CodeListOID") == "CL.VISIT_KINDS"
    dose = version.find("odm:ItemDef[@Name='series.dose_g_per_kg']", NS)
    assert dose.get("DataType") == "float"
    assert BY_NAME["series"].column("dose_g_per_kg").unit == "g/kg"
    assert dose.find("odm:MeasurementUnitRef", NS) is not None


def test_a_researchers_odm_is_pseudonymised_and_consented_only(center, odm_schema,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        every_kind_of_record(center)
    PatientFactory(center=center, code="MMN-NOCONSENT", consent=None)
    researcher = member(center=center, role=Role.RESEARCHER, username="res")
    answer = api(researcher).get("/api/v1/exports/all/", {"format": "odm"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/xml")
    assert answer["Content-Disposition"].endswith('.xml"')
    document = b"".join(answer.streaming_content)
    root = assert_valid(document, odm_schema)
    assert [s.get("SubjectKey") for s in root.iterfind(".//odm:SubjectData", NS)] == [
        "MMN-ALL"]
    for identifier in (b"Ann Example", b"H-0001", b"1950-03-04", b"NAME"):
        assert identifier not in document
    assert api(researcher).get("/api/v1/exports/all/",
                               {"format": "odm", "identifiers": "true"}).status_code == 403
    assert api(researcher).get("/api/v1/exports/visits/",
                               {"format": "odm"}).status_code == 404


def test_the_odm_streams_a_batch_of_patients_at_a_time(center, superuser, settings):
    settings.EXPORT_BATCH_SIZE = 1
    for n in range(3):
        PatientFactory(center=center, code=f"MMN-{n}")
    job = services.export_start(user=superuser, source=Source.COMMAND,
                                datasets=[d.name for d in DATASETS], format="odm")
    chunks = services.export_odm(job)
    head = next(chunks)
    assert head.startswith(b"<?xml") and b"SubjectData" not in head
    rest = list(chunks)
    assert [chunk.count(b"<SubjectData ") for chunk in rest] == [0, 0, 1, 1, 1, 0]


def test_the_exports_page_offers_odm(center, odm_schema):
    manager = member(center=center, role=Role.DATA_MANAGER, username="dm")
    PatientFactory(center=center)
    client = api(manager)
    client.force_login(manager)
    page = client.get("/exports/")
    assert b'href="/exports/all.odm"' in page.content
    answer = client.get("/exports/all.odm")
    assert answer.status_code == 200
    assert_valid(b"".join(answer.streaming_content), odm_schema)
