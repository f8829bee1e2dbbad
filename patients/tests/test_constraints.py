"""Every range and uniqueness the spec names is refused with a clear message, nothing written —
by validation in the services, and by the database itself when validation is bypassed."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients import services
from patients.models import MrcGrade, Patient, Titre, Visit
from registry.tests.factories import MrcGradeFactory, PatientFactory, SeriesFactory, VisitFactory
from treatments.models import Series
from treatments.services import series_give

pytestmark = pytest.mark.django_db


def series_data(**overrides):
    return {"started_on": date(1994, 1, 10), "days": 5, "dose_g_per_kg": Decimal("2.0"),
            "weight_kg": Decimal("70"), "product": "IVIg", **overrides}


@pytest.mark.parametrize("grade", [-1, 6])
def test_mrc_grade_outside_0_to_5_is_refused_and_nothing_written(patient, grade):
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"},
            mrc=[{"muscle": "deltoid", "side": "R", "grade": 4},
                 {"muscle": "biceps", "side": "L", "grade": grade}],
        )
    assert "Item 1: grade" in str(error.value.message_dict["mrc"])
    assert not Visit.objects.exists()
    assert not MrcGrade.objects.exists()


@pytest.mark.parametrize(("second", "code", "params", "message"), [
    ({"muscle": "biceps", "side": "L", "grade": 7}, "item",
     {"index": 1, "field": "grade", "message": "Ensure this value is less than or equal to 5."},
     "Item 1: grade: Ensure this value is less than or equal to 5."),
    ({"muscle": "deltoid", "side": "R", "grade": 3}, "repeat",
     {"index": 1, "repeats": 0, "values": "deltoid, R"}, "Item 1: repeats item 0 (deltoid, R)."),
])
def test_a_refused_grid_names_the_element_in_the_errors_params(patient, second, code, params,
                                                                message):
    # The importer reads code and params (not the message) to name a CSV row and column.
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"},
            mrc=[{"muscle": "deltoid", "side": "R", "grade": 4}, second],
        )
    [item] = error.value.error_dict["mrc"]
    assert (item.code, item.params, item.messages) == (code, params, [message])


def test_mrc_grade_range_is_a_database_constraint(patient):
    grade = MrcGradeFactory(visit=VisitFactory(patient=patient))
    with pytest.raises(IntegrityError), transaction.atomic():
        MrcGrade.objects.filter(pk=grade.pk).update(grade=7)


def test_same_muscle_twice_in_one_visit_is_refused(patient):
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"},
            mrc=[{"muscle": "deltoid", "side": "R", "grade": 4},
                 {"muscle": "deltoid", "side": "R", "grade": 3}],
        )
    assert "repeats item 0" in str(error.value.message_dict["mrc"])
    assert not Visit.objects.exists()


def test_unknown_muscle_code_is_refused(patient):
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "baseline"},
            mrc=[{"muscle": "tongue", "side": "R", "grade": 4}],
        )
    assert "Item 0: muscle" in str(error.value.message_dict["mrc"])


@pytest.mark.parametrize("field", ["prineas_score", "functional_score"])
def test_disability_scores_outside_0_to_5_are_refused(patient, field):
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            patient=patient,
            data={"visited_on": date(1994, 1, 1), "kind": "baseline", field: 6},
        )
    assert field in error.value.message_dict
    assert not Visit.objects.exists()


def test_prineas_range_is_a_database_constraint(patient):
    visit = VisitFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(prineas_score=9)


@pytest.mark.parametrize("dose", ["0.05", "3.1"])
def test_dose_outside_0_1_to_3_g_per_kg_is_refused(patient, dose):
    with pytest.raises(ValidationError) as error:
        series_give(patient=patient, data=series_data(dose_g_per_kg=Decimal(dose)))
    assert "dose_g_per_kg" in error.value.message_dict
    assert not Series.objects.exists()


def test_dose_range_is_a_database_constraint(patient):
    series = SeriesFactory(patient=patient, number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Series.objects.filter(pk=series.pk).update(dose_g_per_kg=Decimal("4.0"))


@pytest.mark.parametrize("days", [0, 8])
def test_days_outside_1_to_7_are_refused(patient, days):
    with pytest.raises(ValidationError) as error:
        series_give(patient=patient, data=series_data(days=days))
    assert "days" in error.value.message_dict
    assert not Series.objects.exists()


def test_days_range_is_a_database_constraint(patient):
    series = SeriesFactory(patient=patient, number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Series.objects.filter(pk=series.pk).update(days=9)


def test_series_number_is_unique_per_patient_in_the_database(patient):
    SeriesFactory(patient=patient, number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Series.objects.bulk_create([Series(
            patient=patient, number=1, started_on=date(1994, 2, 1), days=5,
            dose_g_per_kg=Decimal("2.0"), weight_kg=Decimal("70"), product="IVIg")])


def test_patient_code_is_unique(center):
    PatientFactory(center=center, code="MMN-777")
    with pytest.raises(ValidationError) as error:
        services.patient_create(center=center, data={
            "code": "MMN-777", "sex": "M", "birth_year": 1960, "diagnosis": "mmn"})
    assert "code" in error.value.message_dict
    assert Patient.objects.filter(code="MMN-777").count() == 1


def test_unknown_diagnosis_is_refused_by_validation_and_database(center, patient):
    with pytest.raises(ValidationError) as error:
        services.patient_create(center=center, data={
            "code": "X-1", "sex": "M", "birth_year": 1960, "diagnosis": "flu"})
    assert "diagnosis" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(diagnosis="flu")


def test_negative_titre_is_refused(patient):
    with pytest.raises(ValidationError) as error:
        services.titre_record(patient=patient, data={
            "sampled_on": date(1994, 1, 1), "antigen": "gm1", "isotype": "IgM",
            "method": "elisa", "value": Decimal("-1"), "unit": "dilution"})
    assert "value" in error.value.message_dict
    assert not Titre.objects.exists()


def test_onset_before_birth_is_refused(center):
    with pytest.raises(ValidationError) as error:
        services.patient_create(center=center, data={
            "code": "X-2", "sex": "F", "birth_year": 1960, "onset_year": 1950,
            "diagnosis": "mmn"})
    assert "Onset year cannot be before the birth year." in str(error.value)
    assert not Patient.objects.filter(code="X-2").exists()


def test_post_series_visit_must_name_its_series(patient):
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            patient=patient, data={"visited_on": date(1994, 1, 1), "kind": "post_series"})
    assert "must name its series" in str(error.value)


def test_visit_cannot_link_another_patients_series(patient, other_patient):
    series = SeriesFactory(patient=other_patient, number=1)
    with pytest.raises(ValidationError) as error:
        services.visit_record(patient=patient, data={
            "visited_on": date(1994, 2, 1), "kind": "post_series", "series": series})
    assert "series" in error.value.message_dict


BASELINE = {"visited_on": date(1994, 1, 1), "kind": "baseline"}


def test_a_second_visit_of_the_same_kind_on_the_same_day_is_refused_beside_its_date(patient):
    first = services.visit_record(patient=patient, data=BASELINE,
                                  mrc=[{"muscle": "deltoid", "side": "R", "grade": 4}])
    with pytest.raises(ValidationError) as error:
        services.visit_record(patient=patient, data={**BASELINE, "examiner": "Dr B"},
                              mrc=[{"muscle": "deltoid", "side": "R", "grade": 2}])
    assert error.value.message_dict == {"visited_on": [
        "MMN-900 already has a visit of kind \u201cBaseline\u201d on 1994-01-01: edit that "
        "visit, or give another date or kind."]}
    assert list(Visit.objects.values_list("pk", flat=True)) == [first.pk]
    assert list(MrcGrade.objects.values_list("grade", flat=True)) == [4]


def test_another_kind_the_same_day_or_another_patient_is_accepted(patient, other_patient):
    services.visit_record(patient=patient, data=BASELINE)
    services.visit_record(patient=patient, data={**BASELINE, "kind": "follow_up"})
    services.visit_record(patient=other_patient, data=BASELINE)
    assert Visit.objects.count() == 3


def test_an_edit_onto_another_visits_date_and_kind_is_refused(patient):
    services.visit_record(patient=patient, data=BASELINE)
    later = services.visit_record(patient=patient, data={**BASELINE,
                                                         "visited_on": date(1994, 2, 1)})
    with pytest.raises(ValidationError) as error:
        services.visit_update(visit=later, version=later.version,
                              data={"visited_on": date(1994, 1, 1)})
    assert list(error.value.message_dict) == ["visited_on"]
    later.refresh_from_db()
    assert later.visited_on == date(1994, 2, 1) and later.version == 1
    # Saving a visit again on its own date and kind is no repeat.
    services.visit_update(visit=later, version=later.version, data={"examiner": "Dr C"})


def test_one_visit_per_patient_date_and_kind_is_a_database_constraint(patient):
    VisitFactory(patient=patient, **BASELINE)
    with pytest.raises(IntegrityError, match="visit_unique_patient_date_kind"), \
            transaction.atomic():
        Visit.objects.bulk_create([Visit(patient=patient, **BASELINE)])


# clinical-rules.md §9: every scale a database-checked range, refused by validation first.
MEASURE_OUT_OF_RANGE = [("incat_arm", 6), ("incat_leg", 6), ("irods_centile", 101),
                        ("irods_raw", 49), ("grip_right_kpa", Decimal("300.1")),
                        ("grip_left_kpa", -1), ("onls_arm", 6), ("onls_leg", 8)]


@pytest.mark.parametrize(("field", "value"), MEASURE_OUT_OF_RANGE)
def test_measure_outside_its_range_is_refused_naming_the_field(patient, field, value):
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            patient=patient,
            data={"visited_on": date(1994, 1, 1), "kind": "baseline", field: value},
        )
    assert field in error.value.message_dict
    assert not Visit.objects.exists()


@pytest.mark.parametrize(("field", "value"), [*MEASURE_OUT_OF_RANGE, ("onls_leg", -1)])
def test_measure_range_is_a_database_constraint(patient, field, value):
    visit = VisitFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(**{field: value})


def test_measures_at_their_limits_are_accepted(patient):
    visit = services.visit_record(
        patient=patient,
        data={"visited_on": date(1994, 1, 1), "kind": "baseline", "incat_arm": 5,
              "incat_leg": 0, "irods_centile": 100, "irods_raw": 48,
              "grip_right_kpa": Decimal("300.0"), "grip_left_kpa": Decimal("0.5"),
              "onls_arm": 5, "onls_leg": 7},
    )
    visit.refresh_from_db()
    assert (visit.onls_leg, visit.grip_right_kpa) == (7, Decimal("300.0"))


def test_primary_measure_is_a_database_checked_code(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(primary_measure="walking")
