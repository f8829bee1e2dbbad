"""Codes, lots, examiners … that R or pandas would read as missing (``NA``, ``N/A``,
``NULL``, ``None``, ``NaN`` …) are refused on every surface, naming the field, so that no
export loses them (issue 20, item 6)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from exchange.imports import import_files
from exchange.tests.helpers import csv_file
from patients import services
from patients.models import Patient, Visit
from registry.tests.api.helpers import api
from registry.validators import MISSING_MARKERS, reads_as_missing
from treatments.models import Series
from treatments.services import series_give

pytestmark = pytest.mark.django_db

SERIES = {"started_on": date(1994, 1, 10), "days": 5, "dose_g_per_kg": Decimal("2.0"),
          "weight_kg": Decimal("70"), "product": "IVIg"}


def test_the_markers_are_those_r_and_pandas_read_as_missing():
    # R's read.csv: na.strings = "NA"; pandas.read_csv's default na_values (less the
    # empty cell, which is the documented missing value).
    pandas_defaults = {"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                       "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                       "nan", "null"}
    assert all(reads_as_missing(value) for value in pandas_defaults)
    assert {value.upper() for value in pandas_defaults} == MISSING_MARKERS
    assert not any(reads_as_missing(value) for value in ("N-A", "NAB", "Dr Na", "ANNA", ""))
    try:
        from pandas._libs.parsers import STR_NA_VALUES
    except ImportError:  # pandas is a development requirement; the list above stands alone
        return
    assert set(STR_NA_VALUES) - {""} == pandas_defaults


@pytest.mark.parametrize("code", ["NA", "NULL", "NAN", "NONE"])
def test_a_patient_code_read_as_missing_is_refused_by_the_service(center, code):
    with pytest.raises(ValidationError) as error:
        services.patient_create(center=center, data={
            "code": code, "sex": "M", "birth_year": 1960, "diagnosis": "mmn"})
    assert list(error.value.message_dict) == ["code"]
    assert "read as a missing value by R and pandas" in error.value.message_dict["code"][0]
    assert not Patient.objects.filter(code=code).exists()


@pytest.mark.parametrize("examiner", ["NA", "N/A", "null", " None ", "nan"])
def test_an_examiner_read_as_missing_is_a_400_naming_examiner(clinician, patient, examiner):
    response = api(clinician).post("/api/v1/visits/", {
        "patient": patient.pk, "visited_on": "1994-01-01", "kind": "baseline",
        "examiner": examiner}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["examiner"]
    assert not Visit.objects.exists()


def test_a_lot_read_as_missing_is_a_400_naming_the_lots(clinician, patient):
    response = api(clinician).post("/api/v1/series/", {
        "patient": patient.pk, "started_on": "1994-01-10", "days": 5, "dose_g_per_kg": 2.0,
        "weight_kg": 70, "product": "IVIg", "status": "given", "lot_numbers": ["A1", "NA"]},
        format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["lot_numbers"]
    assert not Series.objects.exists()


def test_a_lot_or_product_read_as_missing_is_refused_by_the_service(patient):
    with pytest.raises(ValidationError) as error:
        series_give(patient=patient, data=SERIES, lot_numbers=["A1", "N/A"])
    assert "Item 1: lot:" in error.value.message_dict["lot_numbers"][0]
    with pytest.raises(ValidationError) as error:
        series_give(patient=patient, data={**SERIES, "product": "NULL"})
    assert list(error.value.message_dict) == ["product"]
    assert not Series.objects.exists()


def test_a_patient_code_read_as_missing_is_a_400_naming_code(clinician, center):
    response = api(clinician).post("/api/v1/patients/", {
        "code": "NA", "center": center.pk, "sex": "F", "birth_year": 1961,
        "diagnosis": "mmn"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()
    assert not Patient.objects.exists()


def test_the_visit_page_puts_the_error_beside_the_examiner(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(reverse("patients:visit_new", args=[patient.pk]), {
        "visited_on": "1994-01-01", "kind": "baseline", "series": "", "examiner": "NA",
        "functional_score": "", "prineas_score": "", "notes": ""})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["examiner"]
    assert not Visit.objects.exists()


def test_the_admin_puts_the_error_beside_the_examiner(client, superuser, patient):
    client.force_login(superuser)
    response = client.post(reverse("admin:patients_visit_add"), {
        "patient": patient.pk, "visited_on": "1994-01-01", "kind": "baseline",
        "examiner": "N/A", "notes": "", "mrc-TOTAL_FORMS": "0", "mrc-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["examiner"]
    assert not Visit.objects.exists()


def test_an_import_names_the_line_and_column(data_manager, patient):
    series = csv_file(["patient", "series", "started_on", "days", "dose_g_per_kg", "weight_kg",
                       "product", "status"],
                      ["MMN-900", "1", "1994-01-10", "5", "2.0", "70", "IVIg", "given"])
    lots = csv_file(["patient", "series", "lot"], ["MMN-900", "1", "A1"],
                    ["MMN-900", "1", "NA"])
    report = import_files(user=data_manager, files={"series": series, "lots": lots})
    assert [(p.file, p.line, p.column) for p in report.problems if p.column] == [
        ("lots.csv", 3, "lot")]
    assert "read as a missing value" in next(p.message for p in report.problems if p.column)
    assert not report.committed and not Series.objects.exists()
