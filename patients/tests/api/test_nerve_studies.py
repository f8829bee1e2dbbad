from datetime import date
from decimal import Decimal

import pytest

from patients.models import NerveSegment, NerveStudy
from registry.tests.api.helpers import AUTH_QUERIES, api

URL = "/api/v1/nerve-studies/"
BLOCKED = {"nerve": "ulnar", "side": "R", "distal_site": "wrist", "proximal_site": "elbow",
           "distal_amplitude_mv": 8.0, "proximal_amplitude_mv": 2.0, "distal_area_mvms": 20.0,
           "proximal_area_mvms": 5.0, "distal_duration_ms": 6.0, "proximal_duration_ms": 6.5,
           "velocity_m_s": 50.0}
NEW = {"studied_on": "1994-01-05", "segments": [BLOCKED], "notes": ""}

pytestmark = pytest.mark.django_db


def make(patient) -> NerveStudy:
    study = NerveStudy.objects.create(patient=patient, studied_on=date(1994, 1, 5))
    NerveSegment.objects.create(study=study, nerve="ulnar", side="R",
                                distal_amplitude_mv=Decimal("8"))
    return study


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_create_with_segments_and_block(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk}, format="json")
    assert response.status_code == 201, response.json()
    segment = response.json()["segments"][0]
    assert segment["distal_amplitude_mv"] == 8.0
    assert segment["block"] in {"definite_block", "probable_block", "partial_block"}


def test_incomplete_segment_is_not_assessable(clinician, patient):
    study = make(patient)
    segment = api(clinician).get(f"{URL}{study.pk}/").json()["segments"][0]
    assert segment["block"] == "not_assessable"


def test_negative_value_names_its_index(clinician, patient):
    segments = [BLOCKED, {**BLOCKED, "velocity_m_s": -3}]
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, "segments": segments},
                                   format="json")
    assert response.status_code == 400
    assert "velocity_m_s" in response.json()["segments"]["1"]
    assert not NerveStudy.objects.exists()


def test_update_delete_and_version(clinician, patient):
    study = make(patient)
    client = api(clinician)
    response = client.put(f"{URL}{study.pk}/", {**NEW, "patient": patient.pk, "version": 1},
                          format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["segments"][0]["proximal_site"] == "elbow"
    assert client.put(f"{URL}{study.pk}/", {**NEW, "patient": patient.pk, "version": 1},
                      format="json").status_code == 409
    assert client.delete(f"{URL}{study.pk}/").status_code == 204
    assert not NerveSegment.objects.exists()


def test_other_centre_is_404(clinician, other_patient):
    study = make(other_patient)
    assert api(clinician).get(f"{URL}{study.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count(clinician, patient, rows, django_assert_num_queries):
    for _ in range(rows):
        make(patient)
    client = api(clinician)
    # auth, count, studies with patients, segments, block criteria sets, the diagnoses'
    # rule sets (which set each judges by), reference limits
    with django_assert_num_queries(AUTH_QUERIES + 6):
        assert len(client.get(URL).json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_detail_query_count(clinician, patient, rows, django_assert_num_queries):
    study = make(patient)
    for number in range(1, rows):
        NerveSegment.objects.create(study=study, nerve="median", side="R",
                                    distal_site=f"site {number}", **{
                                        k: Decimal(str(v)) for k, v in BLOCKED.items()
                                        if k.endswith(("_mv", "_mvms", "_ms", "_m_s"))})
    client = api(clinician)
    # auth, study with patient, segments, block criteria sets, the diagnoses' rule sets,
    # reference limits
    with django_assert_num_queries(AUTH_QUERIES + 5):
        assert len(client.get(f"{URL}{study.pk}/").json()["segments"]) == rows
