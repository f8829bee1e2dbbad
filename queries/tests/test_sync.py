"""Each §11 rule raising its query after a real recompute and closing it when the data are
fixed (clinical-rules.md §11 "Queries"); confirmed queries stay closed; idempotent, bounded."""

from datetime import timedelta
from decimal import Decimal

import pytest

from patients import services
from patients.models import Titre, Visit
from queries.models import AUTO, CLOSED, CONFIRMED, OPEN, Query
from queries.services import query_close
from queries.tests.conftest import START, give, post_visit, recompute, unresolved
from registry.tests.factories import GRID_MUSCLES, PatientFactory, mrc_grid
from treatments.models import Series
from treatments.services import outcome_recompute_many, series_update, titre_threshold_create

pytestmark = pytest.mark.django_db


def post(patient, number: int) -> Visit:
    return Visit.objects.get(patient=patient, kind="post_series", series__number=number)


def series(patient, number: int) -> Series:
    return Series.objects.get(patient=patient, number=number)


def test_a_visit_lacking_a_target_grade_raises_a_query_closed_once_it_is_graded(treated):
    visit = post(treated, 2)
    services.visit_update(visit=visit, version=visit.version, data={}, mrc=mrc_grid(4)[:4])
    [query] = recompute(treated)
    assert (query.rule, query.record_model, query.record_id, query.status) == (
        "target_grade_missing", "patients.visit", visit.pk, OPEN)
    assert query.fingerprint == {"missing": [["finger_extensors", "R"]]}
    assert query.raised_by is None and "finger_extensors R" in query.message

    visit.refresh_from_db()
    services.visit_update(visit=visit, version=visit.version, data={}, mrc=mrc_grid(4))
    [closed] = recompute(treated)
    assert (closed.pk, closed.status, closed.close_reason, closed.closed_by) == (
        query.pk, CLOSED, AUTO, None)
    assert closed.closed_at is not None
    assert [h.status for h in closed.history.order_by("history_id")] == [OPEN, CLOSED]


def test_a_jump_of_three_grades_raises_one_query_per_muscle_side(treated):
    first = post(treated, 1)
    services.visit_update(visit=first, version=first.version, data={}, mrc=mrc_grid(5))
    queries = recompute(treated)  # 2 → 5 at the first post visit, for every muscle
    assert {(q.rule, q.record_id) for q in queries} == {("mrc_jump", first.pk)}
    assert sorted(q.fingerprint["muscle"] for q in queries) == sorted(GRID_MUSCLES)
    assert queries[0].fingerprint["previous_grade"] == 2 and queries[0].fingerprint["grade"] == 5


def test_a_confirmed_jump_stays_closed_while_its_values_stay_and_new_values_raise_anew(
        treated, data_manager):
    first = post(treated, 1)
    services.visit_update(visit=first, version=first.version, data={}, mrc=mrc_grid(5))
    queries = recompute(treated)
    deltoid = next(q for q in queries if q.fingerprint["muscle"] == "deltoid")
    query_close(query=deltoid, version=deltoid.version, by=data_manager, reason=CONFIRMED)
    again = recompute(treated)
    assert len(again) == len(queries)  # nothing raised again
    deltoid.refresh_from_db()
    assert (deltoid.status, deltoid.close_reason, deltoid.closed_by) == (
        CLOSED, CONFIRMED, data_manager)

    # other values (a baseline grade of 1: 1 → 5) are another query
    baseline = Visit.objects.get(patient=treated, kind="baseline")
    grid = [dict(row, grade=1) if row["muscle"] == "deltoid" else row for row in mrc_grid(2)]
    services.visit_update(visit=baseline, version=baseline.version, data={}, mrc=grid)
    recompute(treated)
    deltoids = Query.objects.filter(patient=treated, fingerprint__muscle="deltoid")
    assert sorted((q.status, q.close_reason, q.fingerprint["previous_grade"])
                  for q in deltoids) == [(CLOSED, CONFIRMED, 2), (OPEN, "", 1)]


def test_a_weight_change_of_more_than_ten_percent_raises_a_query_on_the_series(treated):
    second = series(treated, 2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("80")})
    [query] = recompute(treated)
    assert (query.rule, query.record_model, query.record_id) == (
        "weight_change", "treatments.series", second.pk)
    assert query.fingerprint == {"previous_series": 1, "previous_weight_kg": 70,
                                 "weight_kg": 80}
    second.refresh_from_db()
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("72")})
    [closed] = recompute(treated)
    assert (closed.status, closed.close_reason) == (CLOSED, AUTO)


def test_a_flagged_interval_raises_a_query_closed_when_the_date_is_corrected(treated):
    third = give(treated, 3, days_after=28)
    series_update(series=third, version=third.version,
                  data={"started_on": series(treated, 2).started_on + timedelta(days=50)})
    post_visit(treated, series(treated, 3), mrc_grid(4))
    [query] = recompute(treated)
    assert (query.rule, query.record_id, query.fingerprint) == ("interval", third.pk,
                                                                {"interval_days": 50})
    third.refresh_from_db()
    Visit.objects.filter(patient=treated, series=third).delete()
    series_update(series=third, version=third.version,
                  data={"started_on": series(treated, 2).started_on + timedelta(days=30)})
    [closed] = recompute(treated)
    assert (closed.pk, closed.status, closed.close_reason) == (query.pk, CLOSED, AUTO)


def test_a_loading_series_without_a_post_score_raises_a_query_once_the_next_is_given(patient):
    services.visit_record(patient=patient, data={
        "visited_on": START - timedelta(days=7), "kind": "baseline"},
        mrc=mrc_grid(2))
    first = give(patient, 1, regimen="loading")
    assert recompute(patient) == []  # no next series yet
    give(patient, 2, regimen="loading")
    [query] = [q for q in recompute(patient) if q.rule == "post_score_missing"]
    assert (query.record_id, query.fingerprint) == (first.pk, {"next_series": 2})
    post_visit(patient, first, mrc_grid(3))
    recompute(patient)  # the write only marks the outcome stale; the recompute closes it
    assert unresolved(patient, "post_score_missing") == []


def test_a_titre_without_a_threshold_raises_a_query_closed_when_one_is_added(
        treated, data_manager, django_capture_on_commit_callbacks):
    titre = services.titre_record(patient=treated, data={
        "sampled_on": START, "antigen": "mag", "isotype": "IgM",
        "method": "western_blot", "value": Decimal("1000"), "unit": "btu"})
    [query] = recompute(treated)
    assert (query.rule, query.record_model, query.record_id) == (
        "titre_threshold_missing", "patients.titre", titre.pk)
    assert query.fingerprint == {"antigen": "mag", "isotype": "IgM",
                                 "method": "western_blot", "unit": "btu"}
    with django_capture_on_commit_callbacks(execute=True):  # the recompute follows the write
        titre_threshold_create(data={"center": treated.center, "antigen": "mag",
                                     "isotype": "IgM", "method": "western_blot",
                                     "unit": "btu", "value": Decimal("1000")},
                               by=data_manager)
    query.refresh_from_db()
    assert (query.status, query.close_reason) == (CLOSED, AUTO)
    assert Titre.objects.filter(pk=titre.pk).exists()


def test_recomputing_twice_changes_no_query(treated):
    second = series(treated, 2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    first = recompute(treated)
    history = Query.history.count()
    again = recompute(treated)
    assert [(q.pk, q.status, q.version) for q in again] == [
        (q.pk, q.status, q.version) for q in first]
    assert Query.history.count() == history


def test_an_answered_query_is_closed_automatically_too(treated, clinician):
    from queries.services import query_answer

    second = series(treated, 2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    [query] = recompute(treated)
    query_answer(query=query, version=query.version, answer="Weighed again: 72 kg.",
                 by=clinician)
    second.refresh_from_db()
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("72")})
    [closed] = recompute(treated)
    assert (closed.status, closed.close_reason, closed.answer) == (
        CLOSED, AUTO, "Weighed again: 72 kg.")


def test_manual_queries_are_never_closed_by_a_recompute(treated, data_manager):
    from queries.services import query_raise

    manual = query_raise(patient=treated, message="Consent form missing?", by=data_manager)
    assert recompute(treated) == [manual]
    manual.refresh_from_db()
    assert manual.status == OPEN


def _weighty(center, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        patient = PatientFactory(center=center)
        services.visit_record(patient=patient, data={
            "visited_on": START - timedelta(days=7), "kind": "baseline"},
            mrc=mrc_grid(2))
        give(patient, 1)
        give(patient, 2, weight="90")
        ids.append(patient.pk)
    return ids


@pytest.mark.parametrize("count", [1, 3])
def test_a_batch_recompute_raises_every_patients_queries_in_the_same_queries(
        center, count, django_assert_num_queries):
    ids = _weighty(center, count)
    # outcome versions and the inputs in one round trip, the UPDATE … FROM (VALUES …);
    # the sync: the queries kept, SAVEPOINT, the outcomes locked, the queries kept again,
    # INSERT queries, INSERT their history, RELEASE SAVEPOINT
    with django_assert_num_queries(2 + 7):
        assert outcome_recompute_many(patient_ids=ids) == count
    assert Query.objects.filter(patient_id__in=ids, rule="weight_change").count() == count
    with django_assert_num_queries(2 + 1):  # again: the queries kept, nothing to change
        outcome_recompute_many(patient_ids=ids)
    assert Query.objects.filter(patient_id__in=ids).count() == count


def test_a_sync_of_an_older_computation_is_dropped(treated):
    """Two recomputes race: the one that read older data stores nothing, so it syncs
    nothing (only stored computations reach the hook), and a hook called for a computation
    the stored outcome has overtaken changes nothing."""
    from queries.services import queries_sync_recomputed
    from treatments.hooks import Recomputed
    from treatments.models import Outcome
    from treatments.rules import compute_outcome
    from treatments.selectors import outcome_inputs

    inputs = outcome_inputs(patient_id=treated.pk)
    outcome = compute_outcome(inputs.patient, rules=inputs.rules, thresholds=inputs.thresholds,
                              block_criteria=inputs.block_criteria)
    second = series(treated, 2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    [query] = recompute(treated)
    old_version = Outcome.objects.get(patient=treated).computed_data_version - 1
    queries_sync_recomputed([Recomputed(treated.pk, old_version, inputs.patient, outcome,
                                        inputs.thresholds)])
    query.refresh_from_db()
    assert query.status == OPEN
