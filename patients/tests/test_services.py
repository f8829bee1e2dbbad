"""Services are the only writers: they validate, version and mark the outcome stale together."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from patients import services
from patients.models import Identity, Patient, Visit
from registry.services import VersionConflict
from treatments.models import Outcome

pytestmark = pytest.mark.django_db


def test_patient_create_stores_nested_lists_identity_and_a_stale_outcome(center, clinician):
    patient = services.patient_create(
        center=center, by=clinician,
        data={"code": "MMN-100", "sex": "F", "birth_year": 1970, "diagnosis": "mmn"},
        affected_nerves=[{"side": "R", "nerve": "median"}, {"side": "L", "nerve": "ulnar"}],
        identity={"name": "Jane Doe", "hospital_number": "H1"},
        consent={"given_on": date(2020, 1, 1), "version": "1.0"},
    )
    assert [(n.side, n.nerve) for n in patient.affected_nerves.all()] == [
        ("R", "median"), ("L", "ulnar")]
    assert Identity.objects.get(patient=patient).name == "Jane Doe"
    assert patient.history.first().history_user == clinician


def test_a_bad_nested_element_rejects_the_whole_patient(center):
    with pytest.raises(ValidationError) as error:
        services.patient_create(
            center=center, data={"code": "MMN-101", "sex": "F", "birth_year": 1970,
                                 "diagnosis": "mmn"},
            affected_nerves=[{"side": "R", "nerve": "median"}, {"side": "X", "nerve": "ulnar"}],
        )
    assert error.value.message_dict["affected_nerves"][0].startswith("Item 1: side")
    assert not Patient.objects.filter(code="MMN-101").exists()


def test_every_change_marks_the_outcome_stale_in_the_same_transaction(patient):
    outcome = Outcome.objects.get(patient=patient)
    before = outcome.data_version
    services.titre_record(patient=patient, data={
        "sampled_on": date(1994, 1, 1), "antigen": "gm1", "isotype": "IgM", "method": "elisa",
        "value": 3200, "unit": "dilution"})
    outcome.refresh_from_db()
    assert outcome.data_version == before + 1
    assert outcome.stale


def test_update_with_the_version_read_bumps_it(patient):
    visit = services.visit_record(
        patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"},
        mrc=[{"muscle": "deltoid", "side": "R", "grade": 3}])
    updated = services.visit_update(
        visit=visit, version=1, data={"examiner": "Dr B"},
        mrc=[{"muscle": "deltoid", "side": "R", "grade": 4}])
    assert updated.version == 2
    assert [g.grade for g in updated.mrc.all()] == [4]


def test_stale_version_is_refused_and_nothing_changes(patient):
    visit = services.visit_record(
        patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"})
    services.visit_update(visit=visit, version=1, data={"examiner": "first"})
    with pytest.raises(VersionConflict):
        services.visit_update(visit=visit, version=1, data={"examiner": "second"})
    assert Visit.objects.get(pk=visit.pk).examiner == "first"


def test_missing_version_is_refused(patient):
    with pytest.raises(VersionConflict):
        services.patient_update(patient=patient, version=None, data={"notes": "x"})


def test_deleting_a_visit_keeps_an_audit_entry(patient, clinician):
    visit = services.visit_record(
        patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"},
        mrc=[{"muscle": "deltoid", "side": "R", "grade": 3}])
    visit_id = visit.pk
    services.visit_delete(visit=visit, by=clinician)
    assert not Visit.objects.filter(pk=visit_id).exists()
    deleted = Visit.history.filter(id=visit_id, history_type="-").get()
    assert deleted.history_user == clinician
