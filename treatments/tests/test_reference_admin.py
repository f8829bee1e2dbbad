"""The admin of reference data writes through the same services and roles as the API:
a threshold raised in the admin is followed by the stored outcome, Table 1 and the titres
endpoint (issue 12); rule sets are immutable; data managers write their centres' rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, SeriesFactory, TitreFactory
from treatments.models import (
    BlockCriteriaSet,
    DiagnosisRuleSet,
    Outcome,
    RuleSet,
    TitreThreshold,
)
from treatments.services import outcome_recompute, outcome_recompute_many

pytestmark = pytest.mark.django_db

GM1 = {"antigen": "gm1", "isotype": "IgM", "method": "elisa", "unit": "dilution"}


def url(model, view: str, *args) -> str:
    return reverse(f"admin:treatments_{model._meta.model_name}_{view}", args=args)


def general_gm1() -> TitreThreshold:
    return TitreThreshold.objects.get(center__isnull=True, current=True, **GM1)


@pytest.fixture
def mmn_with_gm1(center):
    """An MMN patient with an anti-GM1 IgM of 1/1600 before series 1 (significant at the
    seed threshold of 800)."""
    patient = PatientFactory(center=center, code="MMN-50")
    SeriesFactory(patient=patient, number=1, started_on=date(1994, 2, 1))
    TitreFactory(patient=patient, sampled_on=date(1994, 1, 1), value=Decimal("1600"))
    outcome_recompute(patient_id=patient.pk)
    return patient


def judgements(user, patient) -> tuple:
    """What every surface says about the patient's GM1 titre: the stored outcome (and its
    stale flag), Table 1's row, and the titres endpoint."""
    outcome = api(user).get(f"/api/v1/patients/{patient.pk}/outcome/").json()
    (row,) = [r for r in api(user).get("/api/v1/reports/table1/").json()["rows"]
              if r["case"] == patient.code]
    (titre,) = api(user).get("/api/v1/titres/", {"patient": patient.pk}).json()["results"]
    (before,) = outcome["titres_before_ivig"]
    return outcome["stale"], before["significant"], row["gm1_significant"], titre["significant"]


def test_a_threshold_raised_in_the_admin_is_followed_everywhere(
    client, superuser, mmn_with_gm1, django_capture_on_commit_callbacks
):
    assert judgements(superuser, mmn_with_gm1) == (False, True, True, True)
    row = general_gm1()
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(TitreThreshold, "change", row.pk), {
            "value": "3200", "source": "lab 2026", "read_version": row.version})
        assert response.status_code == 302, response.content.decode()[:2000]
        # Before the recompute runs: the titre already answers False, and the outcome
        # and Table 1 still hold the old judgement, so the outcome says it is stale.
        stale, *_, titre = judgements(superuser, mmn_with_gm1)
        assert (stale, titre) == (True, False)
    assert judgements(superuser, mmn_with_gm1) == (False, False, False, False)
    outcome = Outcome.objects.get(patient=mmn_with_gm1)
    assert outcome.thresholds_revision == general_gm1().revision > row.revision
    row.refresh_from_db()
    assert (row.current, row.value) == (False, Decimal("800"))  # kept for history


def test_a_stale_admin_threshold_save_is_refused(client, superuser, mmn_with_gm1):
    row = general_gm1()
    client.force_login(superuser)
    response = client.post(url(TitreThreshold, "change", row.pk), {
        "value": "3200", "source": "", "read_version": row.version + 1})
    assert response.status_code == 200 and "changed meanwhile" in response.content.decode()
    assert general_gm1().pk == row.pk
    assert not Outcome.objects.get(patient=mmn_with_gm1).stale


def test_a_data_manager_writes_only_their_centres_thresholds_in_the_admin(
    client, data_manager, center, other_center, mmn_with_gm1
):
    client.force_login(data_manager)
    row = general_gm1()
    assert client.post(url(TitreThreshold, "change", row.pk), {
        "value": "3200", "source": "", "read_version": row.version}).status_code == 403
    general = client.post(url(TitreThreshold, "add"), {**GM1, "method": "tlc", "center": "",
                                                         "value": "10", "source": ""})
    assert general.status_code == 200 and "only a superuser" in general.content.decode()
    theirs = client.post(url(TitreThreshold, "add"), {**GM1, "center": other_center.pk,
                                                       "value": "10", "source": ""})
    assert theirs.status_code == 200  # not a choice: the form refuses it
    assert not TitreThreshold.objects.filter(center__isnull=False).exists()
    mine = client.post(url(TitreThreshold, "add"), {**GM1, "center": center.pk,
                                                     "value": "3200", "source": ""})
    assert mine.status_code == 302
    own = TitreThreshold.objects.get(center=center)
    assert own.revision == max(TitreThreshold.objects.values_list("revision", flat=True))
    assert Outcome.objects.get(patient=mmn_with_gm1).stale


def test_a_rule_set_cannot_be_edited_in_the_admin(client, superuser):
    seed = RuleSet.objects.get(version="seed-1")
    client.force_login(superuser)
    page = client.get(url(RuleSet, "change", seed.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(url(RuleSet, "change", seed.pk), {
        "version": "seed-1", "description": "", "parameters": '{"min_step": 3}'})
    assert response.status_code == 403
    assert RuleSet.objects.get(pk=seed.pk).parameters["min_step"] == 1


def test_a_new_version_made_default_in_the_admin_marks_that_diagnosis_stale(
    client, superuser, data_manager, center, mmn_with_gm1, django_capture_on_commit_callbacks
):
    body = {"version": "seed-3", "description": "", "parameters": '{"min_step": 2}',
            "make_default_for": ["cidp"]}
    client.force_login(data_manager)
    assert client.post(url(RuleSet, "add"), body).status_code == 403
    cidp = PatientFactory(center=center, diagnosis="cidp")
    outcome_recompute_many(patient_ids=[cidp.pk])
    client.force_login(superuser)
    with django_capture_on_commit_callbacks():
        assert client.post(url(RuleSet, "add"), body).status_code == 302
        assert set(Outcome.objects.stale().values_list("patient_id", flat=True)) == {cidp.pk}
    assert DiagnosisRuleSet.objects.get(diagnosis="cidp").rule_set.version == "seed-3"
    mmn = DiagnosisRuleSet.objects.get(diagnosis="mmn")
    seed2 = RuleSet.objects.get(version="seed-3")
    with django_capture_on_commit_callbacks():
        response = client.post(url(DiagnosisRuleSet, "change", mmn.pk), {"rule_set": seed2.pk})
        assert response.status_code == 302
        assert mmn_with_gm1.pk in set(Outcome.objects.stale().values_list("patient_id",
                                                                          flat=True))


def test_a_criteria_set_changed_in_the_admin_is_its_next_revision(client, superuser,
                                                                 data_manager):
    seed = BlockCriteriaSet.objects.get(code="seed-1")
    parameters = '{"kind": "simple", "amplitude_drop_gt": 0.6, "area_drop_gt": 0.5,' \
                 ' "duration_change_abs_lt": 0.15}'
    client.force_login(data_manager)
    assert client.post(url(BlockCriteriaSet, "change", seed.pk), {
        "description": "", "parameters": parameters, "read_revision": 1}).status_code == 403
    client.force_login(superuser)
    stale = client.post(url(BlockCriteriaSet, "change", seed.pk), {
        "description": "", "parameters": parameters, "read_revision": 0})
    assert stale.status_code == 200 and "meanwhile" in stale.content.decode()
    response = client.post(url(BlockCriteriaSet, "change", seed.pk), {
        "description": "", "parameters": parameters, "read_revision": 1})
    assert response.status_code == 302
    seed.refresh_from_db()
    assert (seed.revision, seed.parameters["amplitude_drop_gt"]) == (2, 0.6)
