"""Whatever a client sends, the answer is a 4xx with a message, never a 500."""

import pytest

from registry.tests.api.helpers import api

pytestmark = pytest.mark.django_db


def test_malformed_json(clinician):
    response = api(clinician).post("/api/v1/titres/", "{not json",
                                   content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": "999"}])
def test_bad_page_is_404(clinician, patient, params):
    response = api(clinician).get("/api/v1/patients/", params)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_huge_page_size_is_capped(clinician, patient):
    response = api(clinician).get("/api/v1/patients/", {"page_size": "100000"})
    assert response.status_code == 200


def test_bad_ordering_is_ignored(clinician, patient):
    assert api(clinician).get("/api/v1/visits/", {"ordering": "nope"}).status_code == 200


@pytest.mark.parametrize("payload", [
    [], "text", {"patient": "abc"}, {"patient": [1]}, {"patient": None},
])
def test_wrong_shapes(clinician, payload):
    response = api(clinician).post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 400


def test_nested_list_must_be_a_list(clinician, patient):
    response = api(clinician).post("/api/v1/visits/", {
        "patient": patient.pk, "visited_on": "1994-01-01", "kind": "baseline",
        "mrc": {"muscle": "deltoid"}}, format="json")
    assert response.status_code == 400
    assert "mrc" in response.json()


def test_version_of_wrong_type(clinician, patient):
    response = api(clinician).patch(f"/api/v1/patients/{patient.pk}/", {"version": "x"},
                                    format="json")
    assert response.status_code == 400
    assert "version" in response.json()


def test_unknown_ids(clinician):
    assert api(clinician).get("/api/v1/visits/99999999/").status_code == 404
    assert api(clinician).get("/api/v1/visits/abc/").status_code == 404
    assert api(clinician).get("/api/v1/patients/99999999/outcome/").status_code == 404


def test_huge_numbers(clinician, patient):
    response = api(clinician).post("/api/v1/titres/", {
        "patient": patient.pk, "sampled_on": "1994-01-01", "antigen": "gm1",
        "isotype": "IgM", "method": "elisa", "value": 1e30, "unit": "dilution"}, format="json")
    assert response.status_code == 400
    response = api(clinician).post("/api/v1/patients/", {
        "code": "X-1", "center": 10**30, "sex": "M", "birth_year": 10**30,
        "diagnosis": "mmn"}, format="json")
    assert response.status_code == 400


def test_out_of_range_ids(clinician):
    huge = "9" * 25
    assert api(clinician).get(f"/api/v1/visits/{huge}/").status_code == 404
    assert api(clinician).get("/api/v1/visits/", {"patient": huge}).status_code in (200, 400)


@pytest.mark.parametrize("params", [
    {"center": "9" * 25}, {"patient": "9" * 25}, {"center": "nowhere"}, {"ordering": "-"},
    {"visited_after": "1994-02-30"}, {"page_size": "-1"},
])
def test_odd_filters_never_500(clinician, patient, params):
    assert api(clinician).get("/api/v1/visits/", params).status_code in (200, 400)
    assert api(clinician).get("/api/v1/patients/", params).status_code in (200, 400)


def test_nan_is_refused(clinician, patient):
    response = api(clinician).post(
        "/api/v1/titres/",
        f'{{"patient": {patient.pk}, "sampled_on": "1994-01-01", "antigen": "gm1",'
        ' "isotype": "IgM", "method": "elisa", "value": NaN, "unit": "dilution"}',
        content_type="application/json",
    )
    assert response.status_code == 400
