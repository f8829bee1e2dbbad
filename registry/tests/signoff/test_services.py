"""Sign-off services: one check for every write path, audited signing and unlocking, and
the computed judgements still following rule changes on signed records."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients import services as patient_services
from patients.models import Visit
from patients.selectors import patient_history
from registry.signatures import SIGNED, UNLOCKED, RecordLocked, SignOffRefused
from registry.tests.api.helpers import api
from registry.tests.factories import clinical_history
from registry.tests.signoff.conftest import PASSWORD
from treatments import services as treatment_services
from treatments.models import Outcome, RuleSet, Series

pytestmark = pytest.mark.django_db


def test_every_write_path_of_a_signed_visit_is_refused(signed_visit, clinician):
    with pytest.raises(RecordLocked, match="signed by clinician on"):
        patient_services.visit_update(visit=signed_visit, version=signed_visit.version,
                                      data={"examiner": "Dr B"}, by=clinician)
    with pytest.raises(RecordLocked):
        patient_services.visit_update(visit=signed_visit, version=signed_visit.version,
                                      data={}, mrc=[], by=clinician)
    with pytest.raises(RecordLocked):
        patient_services.visit_delete(visit=signed_visit, by=clinician)
    assert Visit.objects.get().mrc.count() == 1


def test_a_stale_instance_is_still_refused(visit, clinician):
    """The check reads the row again: an instance loaded before the signature is locked."""
    stale = Visit.objects.get(pk=visit.pk)
    patient_services.visit_sign(visit=visit, password=PASSWORD, by=clinician)
    with pytest.raises(RecordLocked):
        patient_services.visit_update(visit=stale, version=stale.version + 1,
                                      data={"examiner": "Dr B"}, by=clinician)


def test_every_write_path_of_a_signed_series_is_refused(signed_series, clinician):
    for kwargs in ({"data": {"weight_kg": 80}}, {"data": {}, "lot_numbers": ["X"]},
                   {"data": {}, "adverse_events": []}):
        with pytest.raises(RecordLocked):
            treatment_services.series_update(series=signed_series,
                                             version=signed_series.version, by=clinician,
                                             **kwargs)


def test_a_signed_series_does_not_stop_the_next_one(signed_series, clinician, patient):
    from datetime import date
    following = treatment_services.series_give(patient=patient, by=clinician, data={
        "started_on": date(1994, 2, 7), "days": 5, "dose_g_per_kg": "2.0",
        "weight_kg": "70", "product": "IVIg"})
    assert following.number == 2


def test_signing_and_unlocking_are_audited_with_who_when_and_why(
        visit, clinician, data_manager, patient):
    patient_services.visit_sign(visit=visit, password=PASSWORD, by=clinician)
    patient_services.visit_unlock(visit=visit, reason="Examiner misspelt", by=data_manager)
    unlocked, signed = visit.history.order_by("-history_id")[:2]
    assert (signed.history_user, signed.history_change_reason) == (clinician, SIGNED)
    assert signed.signed_by == clinician and signed.signed_at is not None
    assert (unlocked.history_user, unlocked.history_change_reason) == (data_manager, UNLOCKED)
    assert unlocked.signed_at is None and unlocked.unlock_reason == "Examiner misspelt"

    entries = [e for e in patient_history(patient.pk, with_identity=False)
               if e["model"] == "visit" and e["reason"]]
    assert [(e["user"], e["reason"]) for e in entries] == [
        ("data_manager", UNLOCKED), ("clinician", SIGNED)]
    assert entries[0]["changes"]["unlock_reason"] == ["", "Examiner misspelt"]
    assert entries[0]["changes"]["signed_by"] == ["clinician", None]
    assert entries[1]["changes"]["signed_by"] == [None, "clinician"]

    body = api(data_manager).get(f"/api/v1/patients/{patient.pk}/history/").json()
    reasons = [(e["user"], e["reason"]) for e in body["results"] if e["reason"]]
    assert reasons == [("data_manager", UNLOCKED), ("clinician", SIGNED)]


def test_a_wrong_password_or_role_signs_nothing(visit, clinician, data_manager):
    with pytest.raises(SignOffRefused):
        patient_services.visit_sign(visit=visit, password="wrong", by=clinician)
    with pytest.raises(SignOffRefused):
        patient_services.visit_sign(visit=visit, password=PASSWORD, by=data_manager)
    assert Visit.objects.get().signed_at is None
    assert visit.history.count() == 1  # created only


def test_a_signature_names_its_signer_and_its_moment(visit, clinician):
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(signed_by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(signed_at=timezone.now())


def test_recompute_still_follows_rule_changes_on_signed_records(
        patient, clinician, superuser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clinical_history(patient, 2)
    for visit in Visit.objects.filter(patient=patient):
        patient_services.visit_sign(visit=visit, password=PASSWORD, by=clinician)
    for series in Series.objects.filter(patient=patient):
        treatment_services.series_sign(series=series, password=PASSWORD, by=clinician)
    before = Outcome.objects.get(patient=patient)
    assert before.rules_version == "seed-2" and not before.stale
    versions = dict(Visit.objects.values_list("pk", "version"))
    seed = RuleSet.objects.get(version="seed-2")
    with django_capture_on_commit_callbacks(execute=True):
        treatment_services.rule_set_create(
            version="mmn-efns-2", parameters={**seed.parameters,
                                              "block_criteria": "efns-pns-2010"},
            defaults=["mmn"], by=superuser)
    after = Outcome.objects.get(patient=patient)
    assert not after.stale
    assert after.rules_version == "mmn-efns-2" and after.criteria == "efns-pns-2010"
    assert dict(Visit.objects.values_list("pk", "version")) == versions  # untouched
    assert all(v.signed for v in Visit.objects.all())
    assert all(s.signed for s in Series.objects.all())
