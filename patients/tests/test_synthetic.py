"""The synthetic registry: data the services would accept, reproducible from its seed."""

import dataclasses
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from patients.models import (
    AffectedNerve,
    Consent,
    Identity,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PriorTreatment,
    Titre,
    Visit,
)
from patients.synthetic import generate_registry
from treatments.models import AdverseEvent, LotNumber, Outcome, Series
from treatments.rules import numbering_problems, series_intervals
from treatments.selectors import outcome_inputs
from treatments.services import outcome_recompute

pytestmark = pytest.mark.django_db

MODELS = (Patient, Identity, Consent, AffectedNerve, Series, LotNumber, AdverseEvent, Visit,
          MrcGrade, Titre, NerveStudy, NerveSegment, Paraprotein, PriorTreatment)


def without_ids(records) -> tuple:
    """The rules' inputs carry their records' ids (§11 data quality): not content."""
    return tuple(dataclasses.replace(r, id=None) if hasattr(r, "id") else r for r in records)


def snapshot(prefix: str) -> list[tuple]:
    """Clinical content of the patients with ``prefix``, without ids and timestamps."""
    rows = []
    for patient in Patient.objects.filter(code__startswith=f"{prefix}-").order_by("code"):
        inputs = outcome_inputs(patient_id=patient.pk).patient
        visits = tuple((v.visited_on, v.kind, v.series_number, tuple(sorted(v.mrc.items())))
                       for v in inputs.visits)
        rows.append((patient.code[len(prefix):], patient.sex, patient.birth_year,
                     patient.diagnosis, patient.onset_year, without_ids(inputs.series), visits,
                     without_ids(inputs.titres), without_ids(inputs.studies)))
    return rows


def test_every_row_passes_model_validation():
    counts = generate_registry(patients=12, seed=3)
    assert counts.rows["Patient"] == 12
    assert set(Patient.objects.values_list("diagnosis", flat=True)) == {
        "mmn", "igm_mgus_pn", "igg_mgus_pn", "cidp", "other"}
    for model in MODELS:
        assert model.objects.exists(), model.__name__
        for row in model.objects.all():
            row.full_clean()


def test_series_are_numbered_in_date_order_and_visits_sit_in_their_series():
    generate_registry(patients=10, seed=5)
    for patient in Patient.objects.all():
        inputs = outcome_inputs(patient_id=patient.pk).patient
        assert 1 <= len(inputs.series) <= 24
        assert not numbering_problems(inputs.series)
        assert all(row.interval_days is None or row.interval_days >= 21
                   for row in series_intervals(inputs.series, rules=outcome_inputs(
                       patient_id=patient.pk).rules))
        starts = {s.number: s.started_on for s in inputs.series}
        baseline = [v for v in inputs.visits if v.kind == "baseline"]
        assert len(baseline) == 1 and baseline[0].visited_on < starts[1]
        for visit in inputs.visits:
            assert 10 <= len(visit.mrc) <= 20
            number = visit.series_number
            if visit.kind == "post_series":
                end = starts.get(number + 1, visit.visited_on + timedelta(days=1))
                assert starts[number] < visit.visited_on < end
            elif visit.kind == "pre_series":
                assert starts[number - 1] < visit.visited_on <= starts[number]
    assert not Visit.objects.exclude(series__isnull=True).exclude(
        series__patient=F("patient")).exists()


def test_outcomes_are_left_stale_and_compute_from_a_baseline():
    generate_registry(patients=10, seed=7)
    assert Outcome.objects.stale().count() == 10
    for patient_id in Patient.objects.values_list("pk", flat=True):
        outcome = outcome_recompute(patient_id=patient_id)
        assert not outcome.stale
        assert outcome.status != "insufficient_data"
        assert outcome.result["baseline_score"] is not None


def test_the_same_seed_gives_the_same_registry():
    generate_registry(patients=6, seed=11, prefix="AAA")
    generate_registry(patients=6, seed=11, prefix="BBB")
    generate_registry(patients=6, seed=12, prefix="CCC")
    assert snapshot("AAA") == snapshot("BBB")
    assert snapshot("AAA") != snapshot("CCC")


def test_the_command_refuses_a_registry_that_already_has_synthetic_patients():
    call_command("generate_registry", patients=3, quiet=True)
    assert Patient.objects.count() == 3
    with pytest.raises(CommandError, match="already has SYN- patients"):
        call_command("generate_registry", patients=3, quiet=True)
