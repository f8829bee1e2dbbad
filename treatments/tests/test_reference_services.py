"""Reference-data services (clinical-rules.md, preamble): every change marks exactly the
outcomes it concerns stale, in the same transaction, before any recompute has run; the
recompute then records what it used."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from registry.services import VersionConflict
from registry.tests.factories import PatientFactory, TitreFactory
from registry.tests.factories import clinical_history as history
from treatments.models import (
    BlockCriteriaSet,
    DiagnosisRuleSet,
    Outcome,
    RuleSet,
    RuleSetImmutable,
    TitreThreshold,
)
from treatments.services import (
    block_criteria_update,
    outcome_recompute,
    outcome_recompute_many,
    rule_set_create,
    rule_set_make_default,
    titre_threshold_create,
    titre_threshold_update,
)

pytestmark = pytest.mark.django_db

GM1 = {"antigen": "gm1", "isotype": "IgM", "method": "elisa", "unit": "dilution"}


def general_gm1() -> TitreThreshold:
    return TitreThreshold.objects.get(center__isnull=True, current=True, **GM1)


def fresh(*patients) -> None:
    """Every given patient's outcome computed and fresh."""
    outcome_recompute_many(patient_ids=[p.pk for p in patients])
    assert not Outcome.objects.filter(patient__in=patients).stale().exists()


def stale_ids() -> set[int]:
    return set(Outcome.objects.stale().values_list("patient_id", flat=True))


@pytest.fixture
def cohort(center, other_center):
    """North: one patient with a GM1 ELISA titre, one with only a MAG titre; south: one
    with a GM1 ELISA titre; and a CIDP patient of north with a GM1 titre."""
    north_gm1 = PatientFactory(center=center, code="MMN-1")
    TitreFactory(patient=north_gm1, value=Decimal("1600"))
    north_mag = PatientFactory(center=center, code="MMN-2")
    TitreFactory(patient=north_mag, antigen="mag", unit="btu", value=Decimal("2000"))
    south_gm1 = PatientFactory(center=other_center, code="MMN-3")
    TitreFactory(patient=south_gm1, value=Decimal("1600"))
    cidp = PatientFactory(center=center, code="CIDP-1", diagnosis="cidp")
    TitreFactory(patient=cidp, value=Decimal("1600"))
    fresh(north_gm1, north_mag, south_gm1, cidp)
    return north_gm1, north_mag, south_gm1, cidp


def test_a_general_threshold_change_marks_every_patient_with_that_assay_stale(
    cohort, django_capture_on_commit_callbacks
):
    north_gm1, _north_mag, south_gm1, cidp = cohort
    with django_capture_on_commit_callbacks() as callbacks:  # nothing recomputed yet
        titre_threshold_update(threshold=general_gm1(), version=1, data={"value": "3200"})
        assert stale_ids() == {north_gm1.pk, south_gm1.pk, cidp.pk}
    assert len(callbacks) == 1  # the recompute is enqueued once it commits


def test_a_centre_threshold_marks_only_that_centres_patients_with_that_assay(
    cohort, center, django_capture_on_commit_callbacks
):
    north_gm1, _north_mag, _south, cidp = cohort
    with django_capture_on_commit_callbacks():
        own = titre_threshold_create(data={**GM1, "center": center, "value": "3200"})
        assert stale_ids() == {north_gm1.pk, cidp.pk}
    fresh(*cohort)
    with django_capture_on_commit_callbacks():
        titre_threshold_update(threshold=own, version=own.version, data={"value": "6400"})
        assert stale_ids() == {north_gm1.pk, cidp.pk}


def test_a_general_change_spares_a_centre_that_has_its_own_row(
    cohort, center, django_capture_on_commit_callbacks
):
    _north, _mag, south_gm1, _cidp = cohort
    titre_threshold_create(data={**GM1, "center": center, "value": "1600"})
    fresh(*cohort)
    with django_capture_on_commit_callbacks():
        titre_threshold_update(threshold=general_gm1(), version=1, data={"value": "3200"})
        assert stale_ids() == {south_gm1.pk}  # north judges by its own row


def test_a_threshold_change_is_a_new_row_with_the_next_global_revision(center):
    old = general_gm1()
    highest = max(TitreThreshold.objects.values_list("revision", flat=True))
    new = titre_threshold_update(threshold=old, version=old.version, data={"value": "3200"})
    old.refresh_from_db()
    assert (new.pk != old.pk, new.revision, new.version, new.value) == (
        True, highest + 1, 2, Decimal("3200"))
    assert not old.current and old.value == Decimal("800")  # kept, as it was
    theirs = titre_threshold_create(data={**GM1, "center": center, "value": "100"})
    assert theirs.revision == highest + 2  # one number over all rows


def test_a_stale_or_replaced_threshold_is_refused(db):
    old = general_gm1()
    with pytest.raises(VersionConflict):
        titre_threshold_update(threshold=old, version=7, data={"value": "3200"})
    titre_threshold_update(threshold=old, version=1, data={"value": "3200"})
    with pytest.raises(VersionConflict):  # the replaced row is no longer writable
        titre_threshold_update(threshold=old, version=1, data={"value": "6400"})
    assert general_gm1().value == Decimal("3200")


def test_a_threshold_keeps_its_assay_and_a_second_current_row_is_refused(center):
    with pytest.raises(ValidationError) as error:
        titre_threshold_update(threshold=general_gm1(), version=1, data={"antigen": "gd1a"})
    assert "antigen" in error.value.message_dict
    with pytest.raises(ValidationError):
        titre_threshold_create(data={**GM1, "center": None, "value": "100"})
    assert TitreThreshold.objects.filter(current=True, center__isnull=True, **GM1).count() == 1


def test_the_recompute_applies_the_centres_own_threshold_and_records_the_revision(
    cohort, center
):
    north_gm1, _mag, south_gm1, _cidp = cohort
    own = titre_threshold_create(data={**GM1, "center": center, "value": "3200"})
    fresh(*cohort)
    north = Outcome.objects.get(patient=north_gm1)
    south = Outcome.objects.get(patient=south_gm1)
    assert north.result["titres_significant"] == []  # 1600 < north's 3200
    assert [t["value"] for t in south.result["titres_significant"]] == [1600]  # general 800
    assert north.thresholds_revision == own.revision == south.thresholds_revision
    assert north.result["thresholds_revision"] == own.revision
    assert (north.criteria, north.result["criteria"]) == ("seed-1", "seed-1")


def test_making_a_version_the_default_marks_that_diagnosis_patients_stale(
    cohort, django_capture_on_commit_callbacks
):
    *mmn, cidp = cohort
    with django_capture_on_commit_callbacks():
        seed2 = rule_set_create(version="seed-3", parameters={"min_step": 2})
        assert stale_ids() == set()  # a new version alone concerns nobody
        rule_set_make_default(rule_set=seed2, diagnosis="cidp")
        assert stale_ids() == {cidp.pk}
    fresh(*cohort)
    assert Outcome.objects.get(patient=cidp).rules_version == "seed-3"
    assert set(Outcome.objects.filter(patient__in=mmn).values_list("rules_version",
                                                                   flat=True)) == {"seed-2"}


def test_a_rule_set_is_immutable(db):
    seed = RuleSet.objects.get(version="seed-1")
    seed.parameters = {"min_step": 3}
    with pytest.raises(RuleSetImmutable):
        seed.save()
    assert RuleSet.objects.get(version="seed-1").parameters.get("min_step") == 1
    with pytest.raises(ValidationError) as error:  # a taken version is no new version
        rule_set_create(version="seed-1", parameters={"min_step": 3})
    assert "version" in error.value.message_dict


def test_a_rule_set_naming_an_unknown_criteria_set_is_refused(db):
    with pytest.raises(ValidationError) as error:
        rule_set_create(version="seed-3", parameters={"block_criteria": "nope"})
    assert "parameters" in error.value.message_dict
    assert not RuleSet.objects.filter(version="seed-3").exists()


def test_the_default_of_an_unknown_diagnosis_is_refused(db):
    with pytest.raises(ValidationError) as error:
        rule_set_make_default(rule_set=RuleSet.objects.get(version="seed-1"), diagnosis="x")
    assert "diagnosis" in error.value.message_dict


def test_a_criteria_change_marks_the_patients_whose_outcome_used_it(
    center, django_capture_on_commit_callbacks
):
    studied = PatientFactory(center=center, code="MMN-10")
    history(studied, 1)  # with a nerve study
    unstudied = PatientFactory(center=center, code="MMN-11")
    TitreFactory(patient=unstudied)
    efns_patient = PatientFactory(center=center, code="CIDP-10", diagnosis="cidp")
    history(efns_patient, 1)
    efns = rule_set_create(version="efns-1", parameters={"block_criteria": "efns-pns-2010"},
                           defaults=["cidp"])
    assert efns.as_rules().block_criteria == "efns-pns-2010"
    fresh(studied, unstudied, efns_patient)
    assert Outcome.objects.get(patient=efns_patient).criteria == "efns-pns-2010"
    seed = BlockCriteriaSet.objects.get(code="seed-1")
    with django_capture_on_commit_callbacks():
        changed = block_criteria_update(
            criteria_set=seed, revision=seed.revision,
            data={"parameters": {**seed.parameters, "amplitude_drop_gt": 0.9}})
        assert stale_ids() == {studied.pk}
    assert changed.revision == 2
    fresh(studied)
    blocks = Outcome.objects.get(patient=studied).result["conduction_blocks"]
    assert blocks["latest_study"] == 0  # a 67 % drop is no block above 90 %


def test_a_criteria_update_with_a_stale_revision_changes_nothing(db):
    seed = BlockCriteriaSet.objects.get(code="seed-1")
    with pytest.raises(VersionConflict):
        block_criteria_update(criteria_set=seed, revision=seed.revision + 1,
                              data={"parameters": {**seed.parameters, "area_drop_gt": 0.1}})
    seed.refresh_from_db()
    assert (seed.revision, seed.parameters["area_drop_gt"]) == (1, 0.5)


def test_every_diagnosis_has_a_default_rule_set(db):
    # seed-2 (clinical-rules.md §9, migration treatments/0010) replaced seed-1 everywhere.
    assert set(DiagnosisRuleSet.objects.values_list("diagnosis", "rule_set__version")) == {
        (d, "seed-2") for d in ("mmn", "igm_mgus_pn", "igg_mgus_pn", "cidp", "other")}


def test_seed_2_keeps_seed_1_thresholds_and_adds_the_measures(db):
    seed_1 = RuleSet.objects.get(version="seed-1").as_rules()
    seed_2 = RuleSet.objects.get(version="seed-2").as_rules()
    assert (seed_2.min_step, seed_2.dramatic_mean_gain, seed_2.plateau_window) == (
        seed_1.min_step, seed_1.dramatic_mean_gain, seed_1.plateau_window)
    assert seed_1.primary_measure_for("cidp") == "mrc_targets"
    assert [seed_2.primary_measure_for(d) for d in ("mmn", "cidp", "igm_mgus_pn", "other")] \
        == ["mrc_targets", "adjusted_incat", "prineas", "incat"]
    assert (seed_2.mcid("irods"), seed_2.mcid("grip"), seed_2.mcid("mrc_sum")) == (4, 8, 2)
    assert seed_2.sum_score_muscles[0] == "deltoid"  # a tuple again, read from JSON


def test_an_outcome_never_computed_is_marked_too(center):
    patient = PatientFactory(center=center)
    TitreFactory(patient=patient, sampled_on=date(1990, 1, 1))
    Outcome.objects.filter(patient=patient).delete()
    titre_threshold_update(threshold=general_gm1(), version=1, data={"value": "3200"})
    assert Outcome.objects.get(patient=patient).stale
    assert outcome_recompute(patient_id=patient.pk).stale is False
