"""A Python client generated from the schema (openapi-python-client) imports every module
and talks to a live server: token, patient list, outcome with its enums parsed
(issue 20 item 8: the token module could not be imported)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
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
