"""A Python client generated from the schema (openapi-python-client) imports every module
and talks to a live server: token, patient list, outcome with its enums parsed
(issue 20 item 8: the token module could not be imported)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, clinical_history
from treatments.services import outcome_recompute

PASSWORD = "correct-horse-battery"  # registry.tests.factories.UserFactory
PACKAGE = "ivig_registry_client"


@pytest.fixture
def generated_client(tmp_path, db):
    schema = tmp_path / "schema.json"
    schema.write_bytes(api().get("/api/v1/schema/", {"format": "json"}).content)
    bin_dir = Path(sys.executable).parent  # the generator and its ruff post-hook
    done = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(schema),
         "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_every_generated_module_imports(generated_client):
    modules = [module.name for module in pkgutil.walk_packages(
        generated_client.__path__, f"{PACKAGE}.")]
    for name in modules:
        importlib.import_module(name)
    assert f"{PACKAGE}.api.auth.auth_token_create" in modules
    assert len(modules) > 100


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_signs_in_lists_and_reads_an_outcome(
        generated_client, live_server, clinician, center):
    patient = PatientFactory(center=center)
    clinical_history(patient, 3)
    outcome_recompute(patient_id=patient.pk)
    token_api = importlib.import_module(f"{PACKAGE}.api.auth.auth_token_create")
    patients_list = importlib.import_module(f"{PACKAGE}.api.patients.patients_list")
    outcome_api = importlib.import_module(
        f"{PACKAGE}.api.patients.patients_outcome_retrieve")
    models = importlib.import_module(f"{PACKAGE}.models")

    anonymous = generated_client.Client(base_url=live_server.url)
    answer = token_api.sync_detailed(client=anonymous, body=models.AuthTokenRequest(
        username="clinician", password=PASSWORD))
    assert answer.status_code == 200, answer.content
    token = answer.parsed.token
    wrong = token_api.sync(client=anonymous, body=models.AuthTokenRequest(
        username="clinician", password="wrong"))
    assert isinstance(wrong, models.ValidationError)

    client = generated_client.AuthenticatedClient(base_url=live_server.url, token=token,
                                                  prefix="Token")
    page = patients_list.sync(client=client)
    assert isinstance(page, models.PaginatedPatientListItemList), page
    assert [row.code for row in page.results] == [patient.code]
    outcome = outcome_api.sync(client=client, id=patient.pk)
    assert isinstance(outcome, models.Outcome), outcome
    assert outcome.patient == patient.pk and not outcome.stale
    assert isinstance(outcome.status, models.OutcomeStatusEnum)
    assert all(isinstance(series.grade, models.ResponseGradeEnum | type(None))
               for series in outcome.series)


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_enters_a_history_and_reads_its_outcome(
        generated_client, live_server, clinician, center):
    """The client as generated, unedited: a patient, two series with their lots, visits
    with their MRC grids, a PATCH with the version it read; then the outcome and the
    patient's FHIR Bundle."""
    models = _module("models")
    call = {name: _module(f"api.{name.split('_')[0]}.{name}") for name in (
        "patients_create", "series_create", "visits_create", "visits_partial_update",
        "patients_outcome_retrieve")}
    fhir = _module("api.fhir.fhir_patient_everything")
    token = _module("api.auth.auth_token_create").sync(
        client=generated_client.Client(base_url=live_server.url),
        body=models.AuthTokenRequest(username="clinician", password=PASSWORD)).token
    client = generated_client.AuthenticatedClient(base_url=live_server.url, token=token,
                                                  prefix="Token")

    def created(name: str, body):
        answer = call[name].sync_detailed(client=client, body=body)
        assert answer.status_code == 201, answer.content
        return answer.parsed

    patient = created("patients_create", models.PatientRequest(
        code="MMN-777", center=center.pk, sex=models.SexEnum.F, birth_year=1961,
        diagnosis=models.DiagnosisEnum.MMN, onset_year=1990))
    muscles = [models.MuscleEnum.DELTOID, models.MuscleEnum.BICEPS, models.MuscleEnum.TRICEPS,
               models.MuscleEnum.WRIST_EXTENSORS, models.MuscleEnum.FINGER_EXTENSORS]

    def grid(grade: int) -> list:
        return [models.MrcGradeRequest(muscle=muscle, side=models.SideEnum.R, grade=grade)
                for muscle in muscles]

    created("visits_create", models.VisitRequest(
        patient=patient.id, visited_on=date(1994, 1, 3), kind=models.VisitKindEnum.BASELINE,
        mrc=grid(2), prineas_score=4))
    for number, grade in ((1, 4), (2, 5)):
        started = date(1994, 1, 10) + timedelta(days=28 * (number - 1))
        series = created("series_create", models.SeriesRequest(
            patient=patient.id, started_on=started, days=5, weight_kg=70.0, product="IVIg",
            dose_g_per_kg=2.0, lot_numbers=[f"A{number}", f"B{number}"]))
        assert isinstance(series.status, models.StatusEnum)
        visit = created("visits_create", models.VisitRequest(
            patient=patient.id, visited_on=started + timedelta(days=14),
            kind=models.VisitKindEnum.POST_SERIES, series=series.id, mrc=grid(grade)))
    changed = call["visits_partial_update"].sync_detailed(
        id=visit.id, client=client,
        body=models.PatchedVisitRequest(version=visit.version, prineas_score=2))
    assert changed.status_code == 200, changed.content
    assert changed.parsed.version == visit.version + 1

    outcome = call["patients_outcome_retrieve"].sync(client=client, id=patient.id)
    assert isinstance(outcome, models.Outcome), outcome
    assert not outcome.stale
    assert outcome.status == models.OutcomeStatusEnum.IMPROVING, outcome.status
    assert outcome.baseline_score == 10
    assert [s.grade for s in outcome.series] == [models.ResponseGradeEnum.DRAMATIC] * 2
    assert outcome.disability.measure == models.DisabilityMeasureEnum.PRINEAS
    assert outcome.disability.result == models.DisabilityResultEnum.IMPROVED

    bundle = fhir.sync_detailed(id=patient.id, client=client)
    assert bundle.status_code == 200
    lots = [entry["resource"]["batch"]["lotNumber"] for entry in
            json.loads(bundle.content)["entry"] if "batch" in entry["resource"]]
    assert lots == ["A1", "B1", "A2", "B2"]
