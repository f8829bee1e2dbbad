"""Recompute: idempotent, bounded queries, never overwrites a newer computation; the sweep."""

from datetime import date

import pytest

from patients import services
from registry.factories import clinical_history as history
from registry.factories import mrc_grid
from treatments.models import Outcome
from treatments.selectors import outcome_inputs
from treatments.services import outcome_recompute
from treatments.tasks import outcome_sweep_stale

pytestmark = pytest.mark.django_db

def mrc(grade):
    return mrc_grid(grade)


def test_recompute_stores_the_outcome_and_is_idempotent(patient):
    history(patient, 2)
    first = outcome_recompute(patient_id=patient.pk)
    assert not first.stale
    assert first.result["initial_response"] == "mild"
    result, computed_at = first.result, first.computed_at
    second = outcome_recompute(patient_id=patient.pk)
    assert second.result == result
    assert second.computed_at >= computed_at


def test_an_older_computation_never_overwrites_a_newer_one(patient, monkeypatch):
    """Task A reads the data, task B reads newer data and stores first; A must not win."""
    from treatments import selectors

    history(patient, 1)
    real_inputs = selectors.outcome_inputs
    calls = []

    def slow_inputs(*, patient_id):
        inputs = real_inputs(patient_id=patient_id)
        if not calls:  # task A, mid-computation: a new visit arrives and task B runs
            calls.append("A")
            services.visit_record(patient=patient, data={
                "visited_on": date(1994, 3, 1), "kind": "follow_up"}, mrc=mrc(5))
            outcome_recompute(patient_id=patient_id)
        return inputs

    monkeypatch.setattr(selectors, "outcome_inputs", slow_inputs)
    outcome_recompute(patient_id=patient.pk)  # task A finishes last
    outcome = Outcome.objects.get(patient=patient)
    assert not outcome.stale
    assert [v["kind"] for v in outcome.result["visits"]][-1] == "follow_up"  # B's result


def test_recompute_of_a_missing_patient_returns_quietly(db):
    assert outcome_recompute(patient_id=999999) is None


@pytest.mark.parametrize("series_count", [1, 24])
def test_recompute_inputs_need_the_same_queries_for_short_and_long_histories(
    patient, series_count, django_assert_num_queries
):
    history(patient, series_count)
    # patient, target muscles, series, adverse events, visits (+ series), mrc grades,
    # titres, nerve studies, segments, nerve references, rule set, thresholds,
    # block criteria
    with django_assert_num_queries(13):
        outcome_inputs(patient_id=patient.pk)


def test_the_sweep_recomputes_every_stale_outcome(patient, other_patient):
    history(patient, 1)
    history(other_patient, 1)
    assert Outcome.objects.stale().count() == 2
    assert outcome_sweep_stale() == 2
    assert not Outcome.objects.stale().exists()
    assert outcome_sweep_stale() == 0
