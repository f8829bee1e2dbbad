"""Recompute: idempotent, bounded queries, never overwrites a newer computation; the sweep."""

from datetime import date

import pytest

from patients import services
from registry.tests.factories import PatientFactory, mrc_grid
from registry.tests.factories import clinical_history as history
from treatments.models import Outcome
from treatments.selectors import outcome_inputs
from treatments.services import outcome_recompute, outcome_recompute_many
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


def test_the_outcome_recompute_gives_back_is_the_stored_row(patient, django_assert_num_queries):
    history(patient, 3)
    # the inputs in one round trip, the conditional UPDATE … RETURNING, the hook's check
    with django_assert_num_queries(3):
        given = outcome_recompute(patient_id=patient.pk)
    stored = Outcome.objects.get(patient=patient)
    fields = [f.attname for f in Outcome._meta.concrete_fields]
    assert {name: getattr(given, name) for name in fields} == {
        name: getattr(stored, name) for name in fields}
    assert given.summary == Outcome.summary_of(stored.result)
    assert not given._state.adding


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
    # one round trip of 13 statements (selectors.fetch_together): outcome version,
    # patient, rule sets, thresholds, block criteria, nerve references, target muscles,
    # series (+ stopping adverse event), visits (+ series number), mrc grades, titres,
    # nerve studies, segments
    with django_assert_num_queries(1) as context:
        outcome_inputs(patient_id=patient.pk)
    assert context.captured_queries[0]["sql"].count("SELECT") >= 13


@pytest.mark.parametrize("patients", [1, 4])
def test_a_batch_recompute_needs_the_same_queries_for_one_or_many_patients(
    center, patients, django_assert_num_queries
):
    ids = []
    for n in range(patients):
        patient = PatientFactory(center=center)
        history(patient, 3 + n)
        ids.append(patient.pk)
    # outcome versions and inputs in one round trip (as outcome_inputs), one UPDATE …
    # FROM (VALUES …), the after-recompute hook: the data-quality queries of the batch
    # (none to change)
    with django_assert_num_queries(3):
        assert outcome_recompute_many(patient_ids=ids) == patients
    assert not Outcome.objects.stale().exists()


def test_a_batch_recompute_stores_what_one_by_one_recomputes_store(center):
    patients = [PatientFactory(center=center) for _ in range(3)]
    for n, patient in enumerate(patients):
        history(patient, 2 + 2 * n)
    outcome_recompute_many(patient_ids=[p.pk for p in patients])
    batched = {o.patient_id: o.result for o in Outcome.objects.all()}
    for patient in patients:
        Outcome.objects.filter(patient=patient).update(computed_data_version=0)
        outcome_recompute(patient_id=patient.pk)
    assert {o.patient_id: o.result for o in Outcome.objects.all()} == batched
    assert batched[patients[2].pk]["n_star"] is not None


def test_a_batch_recompute_never_overwrites_a_newer_computation(patient, monkeypatch):
    from treatments import selectors

    history(patient, 1)
    real_inputs = selectors.outcome_batch_inputs
    calls = []

    def slow_inputs(*, patient_ids):
        inputs = real_inputs(patient_ids=patient_ids)
        if not calls:  # meanwhile a new visit arrives and its own recompute stores first
            calls.append("batch")
            services.visit_record(patient=patient, data={
                "visited_on": date(1994, 3, 1), "kind": "follow_up"}, mrc=mrc(5))
            outcome_recompute(patient_id=patient.pk)
        return inputs

    monkeypatch.setattr(selectors, "outcome_batch_inputs", slow_inputs)
    assert outcome_recompute_many(patient_ids=[patient.pk]) == 0
    outcome = Outcome.objects.get(patient=patient)
    assert not outcome.stale
    assert outcome.result["visits"][-1]["kind"] == "follow_up"


def test_a_patient_whose_rules_fail_stays_stale_and_the_batch_goes_on(
    patient, other_patient, monkeypatch, caplog
):
    import treatments.rules

    history(patient, 1)
    history(other_patient, 1)
    real = treatments.rules.compute_outcome

    def failing(data, **kwargs):
        if len(data.visits) == 2 and data.visits[0].id == first_visit:
            raise ValueError("broken rule")
        return real(data, **kwargs)

    first_visit = patient.visits.order_by("visited_on", "id").first().pk
    monkeypatch.setattr(treatments.rules, "compute_outcome", failing)
    assert outcome_recompute_many(patient_ids=[patient.pk, other_patient.pk]) == 1
    assert Outcome.objects.get(patient=patient).stale
    assert not Outcome.objects.get(patient=other_patient).stale
    assert f"Recompute of patient {patient.pk} failed" in caplog.text


def test_the_sweep_recomputes_every_stale_outcome(patient, other_patient):
    history(patient, 1)
    history(other_patient, 1)
    assert Outcome.objects.stale().count() == 2
    assert outcome_sweep_stale() == 2
    assert not Outcome.objects.stale().exists()
    assert outcome_sweep_stale() == 0


def test_every_store_keeps_the_summary_reports_read(center):
    """The single and the batched store both copy ``Outcome.SUMMARY_KEYS`` of the result
    into ``summary``, which holds every key Table 1 and Table 2 read."""
    from treatments.reports import TABLE1_OUTCOME, TABLE2_OUTCOME

    assert set(TABLE1_OUTCOME) | set(TABLE2_OUTCOME) <= set(Outcome.SUMMARY_KEYS)
    one, many = PatientFactory(center=center), PatientFactory(center=center)
    history(one, 2)
    history(many, 3)
    outcome_recompute(patient_id=one.pk)
    outcome_recompute_many(patient_ids=[many.pk])
    for outcome in Outcome.objects.filter(patient__in=[one, many]):
        assert set(outcome.summary) == set(Outcome.SUMMARY_KEYS)
        assert outcome.summary == {key: outcome.result[key] for key in Outcome.SUMMARY_KEYS}
        assert outcome.summary["n_star"] is not None


def test_the_migrations_fill_the_summary_of_outcomes_stored_before_them(patient):
    import importlib

    from django.apps import apps
    from django.db import connection

    fill = importlib.import_module("treatments.migrations.0005_outcome_summary").fill_summaries
    blocks = importlib.import_module("treatments.migrations.0009_outcome_summary_blocks").add_blocks
    history(patient, 2)
    outcome = outcome_recompute(patient_id=patient.pk)
    never_computed = PatientFactory(center=patient.center)
    Outcome.objects.update(summary={})
    with connection.schema_editor() as editor:
        fill(apps, editor)
        blocks(apps, editor)
    outcome.refresh_from_db()
    # The measures (§9) and the schedule's keys (§10) come with the recompute that 0010 and
    # 0011 ask for (0011 marks every outcome stale), not from a copy: a result stored before
    # them holds neither.
    recomputed = ("measures", "next_series_due", "overdue", "overdue_from")
    assert outcome.summary == {key: value for key, value in
                               Outcome.summary_of(outcome.result).items()
                               if key not in recomputed}
    assert outcome.summary["initial_response"] == "mild"
    assert Outcome.objects.get(patient=never_computed).summary == {}


def _synchronous_commit() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def _statements(context) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_outcome_store_commits_without_waiting_for_the_disk(
    center, django_assert_num_queries
):
    from django.db import connection

    # The suite runs on PostgreSQL (scripts/test.sh), as ``_synchronous_commit`` does.
    patient = PatientFactory(center=center)
    history(patient, 3)
    other = PatientFactory(center=center)
    history(other, 2)
    # the inputs; BEGIN, SET LOCAL, the UPDATE, COMMIT; the hook's check
    with django_assert_num_queries(6) as context:
        outcome = outcome_recompute(patient_id=patient.pk)
    assert not outcome.stale
    statements = _statements(context)
    assert statements[1:3] == ["BEGIN", "SET LOCAL synchronous_commit TO OFF"]
    assert statements[3].startswith("UPDATE") and statements[4] == "COMMIT"
    with django_assert_num_queries(6) as context:
        assert outcome_recompute_many(patient_ids=[patient.pk, other.pk]) == 2
    assert _statements(context)[1:3] == ["BEGIN", "SET LOCAL synchronous_commit TO OFF"]
    # a transaction of its own: committed, and the setting gone with it
    assert not connection.in_atomic_block
    assert _synchronous_commit() == "on"
    assert not Outcome.objects.stale().exists()


def test_inside_a_callers_transaction_the_store_is_the_callers(patient, django_assert_num_queries):
    history(patient, 2)
    with django_assert_num_queries(3) as context:  # no SET LOCAL: the commit is the caller's
        outcome_recompute(patient_id=patient.pk)
    assert not any("synchronous_commit" in sql for sql in _statements(context))
    assert _synchronous_commit() == "on"
