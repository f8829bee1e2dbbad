"""Exports through the service: contents, pseudonymisation, scoping, consent, the record."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exchange import services
from exchange.datasets import BY_NAME, DATASETS
from exchange.models import ExportRecord, Source
from exchange.tests.helpers import export_rows
from patients.models import Consent, Identity
from registry.models import Membership, Role
from registry.tests.factories import PatientFactory, member
from treatments.models import Outcome, TitreThreshold
from treatments.services import tailoring_record

pytestmark = pytest.mark.django_db

IDENTIFIERS = ("name", "date_of_birth", "hospital_number")


@pytest.fixture
def identified(treated):
    Identity.objects.update_or_create(patient=treated, defaults={
        "name": "Jeanne Dupont", "date_of_birth": date(1960, 5, 4),
        "hospital_number": "H-123456"})
    return treated


@pytest.mark.parametrize("dataset", [d.name for d in DATASETS])
def test_every_dataset_has_the_columns_of_its_definition(data_manager, treated, dataset):
    if dataset == "tailoring":  # the history has no episode (§10): record one
        tailoring_record(patient=treated, data={"kind": "dose_reduction",
                                                "started_on": date(1994, 3, 1)})
    rows = export_rows(data_manager, dataset)
    # none in this history (its data raise no data-quality query either)
    if dataset not in ("target_muscles", "affected_nerves", "queries"):
        assert rows, f"{dataset} exported no row"
    header = list(rows[0]) if rows else None
    assert header in (None, BY_NAME[dataset].header())
    assert {row["patient"] for row in rows} <= {"MMN-900"}


def test_pseudonymised_by_default(data_manager, identified):
    for dataset in DATASETS:
        job = services.export_start(user=data_manager, source=Source.COMMAND,
                                    datasets=[dataset.name], format="csv")
        text = b"".join(services.export_csv(job)).decode()
        assert "Jeanne Dupont" not in text and "H-123456" not in text
        assert "1960-05-04" not in text
        assert not set(IDENTIFIERS) & set(text.splitlines()[0].split(","))


def test_identifiers_on_request_for_the_data_manager_of_the_centre(data_manager, identified):
    (row,) = export_rows(data_manager, "patients", identifiers=True)
    assert (row["name"], row["date_of_birth"], row["hospital_number"]) == (
        "Jeanne Dupont", "1960-05-04", "H-123456")
    assert ExportRecord.objects.get().identifiers is True


def test_researchers_never_get_identifiers(researcher, identified):
    with pytest.raises(PermissionDenied):
        export_rows(researcher, "patients", identifiers=True)
    (row,) = export_rows(researcher, "patients")
    assert row["patient"] == "MMN-900" and "name" not in row
    assert not ExportRecord.objects.filter(identifiers=True).exists()


def test_identifiers_only_for_centres_where_the_user_manages_data(
    data_manager, identified, other_center
):
    Membership.objects.create(user=data_manager, center=other_center, role=Role.RESEARCHER)
    other = PatientFactory(center=other_center, code="MMN-901")
    Identity.objects.create(patient=other, name="Paul Martin", hospital_number="S-1")
    rows = {row["patient"]: row for row in export_rows(data_manager, "patients",
                                                       identifiers=True)}
    assert rows["MMN-900"]["name"] == "Jeanne Dupont"
    assert rows["MMN-901"]["name"] == rows["MMN-901"]["hospital_number"] == ""


def test_clinicians_do_not_export(clinician, treated):
    with pytest.raises(PermissionDenied):
        export_rows(clinician, "patients")
    assert not ExportRecord.objects.exists()


def test_only_the_centres_where_the_user_exports(data_manager, treated, other_center):
    PatientFactory(center=other_center, code="MMN-901")
    assert [r["patient"] for r in export_rows(data_manager, "patients")] == ["MMN-900"]
    Membership.objects.create(user=data_manager, center=other_center, role=Role.CLINICIAN)
    assert [r["patient"] for r in export_rows(data_manager, "patients")] == ["MMN-900"]


def test_superuser_exports_every_centre(superuser, treated, other_patient):
    codes = [r["patient"] for r in export_rows(superuser, "patients")]
    assert codes == ["MMN-900", "MMN-901"]


def test_withdrawn_consent_leaves_the_patient_out_of_every_dataset(data_manager, treated):
    Consent.objects.update_or_create(patient=treated, defaults={
        "given_on": date(1993, 1, 1), "withdrawn_on": date(1995, 1, 1)})
    for dataset in DATASETS:
        assert export_rows(data_manager, dataset.name) == [], dataset.name


def test_filters_by_centre_and_diagnosis(data_manager, treated, center):
    PatientFactory(center=center, code="IGM-900", diagnosis="igm_mgus_pn")
    assert [r["patient"] for r in export_rows(data_manager, "patients",
                                              diagnosis="igm_mgus_pn")] == ["IGM-900"]
    assert len(export_rows(data_manager, "patients", center="north")) == 2


def test_bad_filters_are_refused_naming_the_field(data_manager, other_center):
    with pytest.raises(ValidationError) as refused:
        services.export_check(user=data_manager, datasets=["visits", "gossip"], format="pdf",
                              diagnosis="flu", center="south")
    assert set(refused.value.message_dict) == {"datasets", "format", "diagnosis", "center"}


def test_computed_columns_come_from_the_stored_outcome(data_manager, treated):
    result = Outcome.objects.get(patient=treated).result
    series = export_rows(data_manager, "series")
    assert [(int(s["series"]), s["grade"] or None, s["beneficial"]) for s in series] == [
        (s["number"], s["grade"], str(s["beneficial"]).upper()) for s in result["series"]]
    assert series[0]["total_grams"] == "140.0"
    scores = {v["visited_on"]: v["score"] for v in result["visits"]}
    for visit in export_rows(data_manager, "visits"):
        assert visit["score"] == ("" if scores[visit["visited_on"]] is None
                                  else str(scores[visit["visited_on"]]))
    targets = {(t["muscle"], t["side"]) for t in result["target_muscles"]}
    mrc = export_rows(data_manager, "mrc")
    assert {(m["muscle"], m["side"]) for m in mrc if m["target"] == "TRUE"} == targets
    (outcome,) = export_rows(data_manager, "outcomes")
    assert outcome["status"] == result["status"] and outcome["stale"] == "FALSE"
    assert outcome["n_star"] == str(result["n_star"] or "")
    threshold = TitreThreshold.objects.get(antigen="gm1", isotype="IgM", method="elisa",
                                           unit="dilution").value
    titres = export_rows(data_manager, "titres")
    assert {t["significant"] for t in titres} == {str(1600 >= threshold).upper()}
    segments = export_rows(data_manager, "nerve_segments")
    assert {s["block"] for s in segments} == {"partial_block"}


def test_values_are_written_for_r_and_pandas(data_manager, treated):
    (titre, *_) = export_rows(data_manager, "titres")
    assert titre["sampled_on"] == "1994-01-10" and Decimal(titre["value"]) == 1600
    (paraprotein,) = export_rows(data_manager, "paraproteins")
    assert paraprotein["serum_level_g_l"] == "4.70"
    (treatment,) = export_rows(data_manager, "prior_treatments")
    assert treatment["started_on"] == "" and treatment["kind"] == "steroids"
    events = export_rows(data_manager, "adverse_events")
    assert events == [{"patient": "MMN-900", "series": "1", "kind": "headache",
                       "severity": "mild", "led_to_stop": "FALSE", "notes": ""}]
    assert [lot["lot"] for lot in export_rows(data_manager, "lots")] == ["L1", "M1", "L2", "M2"]


def test_every_export_is_recorded(data_manager, treated):
    export_rows(data_manager, "visits", diagnosis="mmn")
    record = ExportRecord.objects.get()
    assert (record.user, record.username, record.source, record.datasets, record.format) == (
        data_manager, "data_manager", "command", ["visits"], "csv")
    assert record.filters == {"diagnosis": "mmn"}
    assert record.row_counts == {"visits": 3} and record.rows == 3
    assert record.completed and record.finished_at >= record.started_at


def test_an_interrupted_export_stays_on_record_as_incomplete(data_manager, treated):
    job = services.export_start(user=data_manager, source=Source.API, datasets=["mrc"],
                                format="csv")
    stream = services.export_csv(job)
    next(stream)  # the header, then the client goes away
    stream.close()
    record = ExportRecord.objects.get()
    assert record.finished_at is None and record.rows is None


def test_a_finished_record_is_completed_once(data_manager, treated):
    job = services.export_start(user=data_manager, source=Source.PAGE, datasets=["patients"],
                                format="csv")
    b"".join(services.export_csv(job))
    finished = ExportRecord.objects.get().finished_at
    job.row_counts["patients"] = 99
    services.export_finish(job)
    record = ExportRecord.objects.get()
    assert (record.finished_at, record.rows) == (finished, 1)


def test_two_users_exports_are_kept_apart(center, treated):
    first = member(center=center, role=Role.DATA_MANAGER, username="first")
    second = member(center=center, role=Role.RESEARCHER, username="second")
    export_rows(first, "patients")
    export_rows(second, "patients")
    assert sorted(ExportRecord.objects.values_list("username", flat=True)) == [
        "first", "second"]
