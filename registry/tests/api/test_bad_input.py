"""Whatever a client sends, the answer is a 4xx with a message, never a 500, and nothing is
written."""

from datetime import date

import pytest

from patients.models import Paraprotein, Patient, Titre, Visit
from registry.tests.api.helpers import api
from registry.tests.factories import SeriesFactory, VisitFactory
from treatments.models import Series

pytestmark = pytest.mark.django_db

TITRE = {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM", "method": "elisa",
         "value": 3200, "unit": "dilution"}
VISIT = {"visited_on": "1994-01-01", "kind": "baseline", "mrc": []}
SERIES = {"started_on": "1994-01-10", "days": 5, "dose_g_per_kg": 2.0, "weight_kg": 70,
          "product": "IVIg"}


def messages(response) -> dict:
    assert 400 <= response.status_code < 500, response.content
    body = response.json()
    assert body and all(body.values())  # every key carries a message
    return body


# Bodies: not JSON, not an object, not the right shape.

def test_malformed_json(clinician):
    response = api(clinician).post("/api/v1/titres/", "{not json",
                                   content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in messages(response)["detail"]


@pytest.mark.parametrize("url", ["/api/v1/visits/", "/api/v1/auth/token/"])
def test_json_nested_too_deeply(clinician, url):
    body = '{"mrc": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api(clinician).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in messages(response)["detail"]


def test_a_lone_surrogate_is_refused_and_echoed_escaped(clinician, patient):
    surrogate = '"\\ud800"'  # JSON text: a lone surrogate, valid JSON, not valid Unicode
    body = (f'{{"patient": {patient.pk}, "visited_on": "1994-01-01", "kind": "baseline", '
            f'"notes": {surrogate}, "mrc": [{{"muscle": {surrogate}, "side": "R", "grade": 1}}]}}')
    response = api(clinician).post("/api/v1/visits/", body, content_type="application/json")
    assert response.status_code == 400
    assert b'"\\ud800\\" is not a valid choice.' in response.content
    assert "Surrogate characters" in messages(response)["notes"][0]
    assert not Visit.objects.exists()


@pytest.mark.parametrize(("body", "content_type"), [
    ("patient=1&sampled_on=1994-01-01", "application/x-www-form-urlencoded"),
    ("<titre/>", "application/xml"),
    ("3200", "text/plain"),
])
def test_bodies_other_than_json_are_415(clinician, patient, body, content_type):
    response = api(clinician).post("/api/v1/titres/", body, content_type=content_type)
    assert response.status_code == 415
    assert content_type in messages(response)["detail"]
    assert not Titre.objects.exists()


@pytest.mark.parametrize("payload", [[], "text", 5, None, True, [{"patient": 1}]])
@pytest.mark.parametrize("url", ["/api/v1/visits/", "/api/v1/patients/", "/api/v1/series/"])
def test_a_body_that_is_not_an_object(clinician, url, payload):
    response = api(clinician).post(url, payload, format="json")
    assert response.status_code == 400
    messages(response)


def test_a_patch_body_that_is_not_an_object(clinician, patient):
    response = api(clinician).patch(f"/api/v1/patients/{patient.pk}/", [1, 2], format="json")
    assert response.status_code == 400
    patient.refresh_from_db()
    assert patient.version == 1


@pytest.mark.parametrize("payload", [
    {"patient": "abc"}, {"patient": [1]}, {"patient": None}, {"patient": {"id": 1}},
    {"patient": 1.5}, {"patient": True},
])
def test_wrong_shapes_of_an_id(clinician, payload):
    response = api(clinician).post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 400
    assert "patient" in messages(response)


@pytest.mark.parametrize(("url", "field", "value", "payload"), [
    ("/api/v1/visits/", "mrc", {"muscle": "deltoid"}, VISIT),
    ("/api/v1/visits/", "mrc", "deltoid R 4", VISIT),
    ("/api/v1/nerve-studies/", "segments", {"nerve": "ulnar"}, {"studied_on": "1994-01-01"}),
    ("/api/v1/series/", "lot_numbers", {"lot": "A1"}, SERIES),
    ("/api/v1/series/", "lot_numbers", "A1", SERIES),
    ("/api/v1/series/", "adverse_events", 3, SERIES),
])
def test_nested_list_must_be_a_list(clinician, patient, url, field, value, payload):
    response = api(clinician).post(url, {**payload, "patient": patient.pk, field: value},
                                   format="json")
    assert response.status_code == 400
    assert field in messages(response)


@pytest.mark.parametrize(("field", "value"), [
    ("affected_nerves", {"side": "R", "nerve": "ulnar"}),
    ("target_muscles", "deltoid"),
    ("consent", ["2024-01-01"]),
    ("identity", "Ann Example"),
])
def test_nested_parts_of_a_patient_of_the_wrong_shape(clinician, center, field, value):
    response = api(clinician).post("/api/v1/patients/", {
        "code": "MMN-300", "center": center.pk, "sex": "F", "birth_year": 1960,
        "diagnosis": "mmn", field: value}, format="json")
    assert response.status_code == 400
    assert field in messages(response)
    assert not Patient.objects.filter(code="MMN-300").exists()


@pytest.mark.parametrize("element", [5, "deltoid", None, ["deltoid", "R", 4]])
def test_a_nested_element_that_is_not_an_object_names_its_index(clinician, patient, element):
    grid = [{"muscle": "deltoid", "side": "R", "grade": 4}, element]
    response = api(clinician).post("/api/v1/visits/", {**VISIT, "patient": patient.pk,
                                                       "mrc": grid}, format="json")
    assert response.status_code == 400
    errors = messages(response)["mrc"]
    assert "1" in errors or any("1" in str(message) for message in errors)
    assert not Visit.objects.exists()


# Values: wrong types, unknown choices, out of range.

@pytest.mark.parametrize(("field", "value"), [
    ("antigen", "gx9"), ("antigen", ""), ("isotype", "IgZ"), ("method", 3),
    ("unit", None), ("value", -1), ("value", "lots"), ("value", 1e30), ("value", [3200]),
    ("sampled_on", "yesterday"), ("sampled_on", "01/02/1994"), ("sampled_on", "1994-02-30"),
    ("sampled_on", "0240-12-28"), ("sampled_on", "2101-01-01"), ("sampled_on", 19940101),
])
def test_bad_titre_values_name_the_field(clinician, patient, field, value):
    response = api(clinician).post("/api/v1/titres/", {**TITRE, "patient": patient.pk,
                                                       field: value}, format="json")
    assert response.status_code == 400
    assert field in messages(response)
    assert not Titre.objects.exists()


def test_nan_is_refused(clinician, patient):
    response = api(clinician).post(
        "/api/v1/titres/",
        f'{{"patient": {patient.pk}, "sampled_on": "1994-01-01", "antigen": "gm1",'
        ' "isotype": "IgM", "method": "elisa", "value": NaN, "unit": "dilution"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Titre.objects.exists()


def test_huge_numbers(clinician, patient):
    response = api(clinician).post("/api/v1/patients/", {
        "code": "X-1", "center": 10**30, "sex": "M", "birth_year": 10**30,
        "diagnosis": "mmn"}, format="json")
    assert {"center", "birth_year"} <= set(messages(response))
    grid = [{"muscle": "deltoid", "side": "R", "grade": 10**30}]
    response = api(clinician).post("/api/v1/visits/", {**VISIT, "patient": patient.pk,
                                                       "mrc": grid}, format="json")
    assert "mrc" in messages(response)


@pytest.mark.parametrize(("field", "value"), [
    ("days", 0), ("days", 8), ("days", "five"), ("dose_g_per_kg", 3.5),
    ("dose_g_per_kg", 1.2345), ("weight_kg", -70), ("status", "paused"),
    ("product", ""), ("product", "x" * 201), ("lot_numbers", [""]), ("lot_numbers", [7, None]),
])
def test_bad_series_values_name_the_field(clinician, patient, field, value):
    response = api(clinician).post("/api/v1/series/", {**SERIES, "patient": patient.pk,
                                                       field: value}, format="json")
    assert field in messages(response)
    assert not Series.objects.exists()


def test_bad_adverse_event_values_name_their_index(clinician, patient):
    events = [{"kind": "rash", "severity": "mild"},
              {"kind": "rash", "severity": "mild", "led_to_stop": "maybe"}]
    response = api(clinician).post("/api/v1/series/", {
        **SERIES, "patient": patient.pk, "adverse_events": events}, format="json")
    assert "led_to_stop" in messages(response)["adverse_events"]["1"]
    assert not Series.objects.exists()


@pytest.mark.parametrize(("field", "value"), [
    ("light_chain", ""), ("light_chain", "gamma"), ("serum_level_g_l", 201),
    ("measured_on", "1899-12-31"),
])
def test_an_optional_choice_is_a_code_or_null(clinician, patient, field, value):
    response = api(clinician).post("/api/v1/paraproteins/", {
        "patient": patient.pk, "measured_on": "1995-01-01", "isotype": "IgM", field: value,
    }, format="json")
    assert field in messages(response)
    assert not Paraprotein.objects.exists()


def test_null_characters_are_refused(clinician, patient):
    response = api(clinician).post("/api/v1/visits/", {**VISIT, "patient": patient.pk,
                                                       "notes": "a\x00b"}, format="json")
    assert "notes" in messages(response)


def test_version_of_wrong_type(clinician, patient):
    response = api(clinician).patch(f"/api/v1/patients/{patient.pk}/", {"version": "x"},
                                    format="json")
    assert "version" in messages(response)


# Query strings: pages, page sizes, filters, ordering, parameters nobody asked for.

@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": "999"}, {"page": "0"},
                                    {"page": "-1"}, {"page": "9" * 5000}])
def test_bad_page_is_404(clinician, patient, params):
    response = api(clinician).get("/api/v1/patients/", params)
    assert response.status_code == 404
    assert messages(response)["detail"] == "Invalid page."


@pytest.mark.parametrize("size", ["abc", "0", "-1", "1.5", "1e3", "²"])
def test_page_size_that_is_not_a_positive_integer_is_a_400(clinician, patient, size):
    response = api(clinician).get("/api/v1/patients/", {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in messages(response)


def test_huge_page_size_is_capped_at_500(clinician, center):
    Patient.objects.bulk_create(
        Patient(code=f"B-{n:04d}", center=center, sex="F", birth_year=1960, diagnosis="mmn")
        for n in range(501)
    )
    for size in ("100000", "9" * 5000):
        body = api(clinician).get("/api/v1/patients/", {"page_size": size}).json()
        assert (body["count"], len(body["results"])) == (501, 500)
        assert "page=2" in body["next"]


def test_empty_query_values_mean_left_out(clinician, patient):
    body = api(clinician).get("/api/v1/patients/", {
        "page": "", "page_size": "", "ordering": "", "center": "", "diagnosis": "",
    }).json()
    assert body["count"] == 1


def test_unknown_ordering_field_is_a_400(clinician, patient):
    response = api(clinician).get("/api/v1/visits/", {"ordering": "nope"})
    assert response.status_code == 400
    assert "nope" in messages(response)["ordering"][0]
    assert api(clinician).get("/api/v1/visits/", {"ordering": "-visited_on,id"}
                              ).status_code == 200


@pytest.mark.parametrize("url", [
    "/api/v1/visits/", "/api/v1/patients/", "/api/v1/lots/L1/patients/",
    "/api/v1/reports/table1/",
])
def test_misspelt_query_parameter_is_a_400(clinician, patient, url):
    response = api(clinician).get(url, {"patinet": patient.pk})
    assert response.status_code == 400
    assert "Unknown query parameter" in messages(response)["patinet"][0]


def test_query_parameters_on_a_single_record_are_a_400(clinician, patient):
    client = api(clinician)
    assert client.get(f"/api/v1/patients/{patient.pk}/", {"page": 1}).status_code == 400
    response = client.patch(f"/api/v1/patients/{patient.pk}/?notes=x",
                            {"notes": "y", "version": 1}, format="json")
    assert "notes" in messages(response)
    patient.refresh_from_db()
    assert patient.notes == ""


@pytest.mark.parametrize("params", [
    {"center": "9" * 25}, {"center": "9" * 5000}, {"center": "²"}, {"center": "nowhere"},
    {"center": "\x00"}, {"patient": "9" * 25}, {"patient": "1.5"}, {"patient": "1e3"},
    {"visited_after": "1994-02-30"}, {"visited_after": "02/01/1994"}, {"kind": "coffee"},
    {"diagnosis": "flu"}, {"series": "x"}, {"ordering": "-"}, {"ordering": ","},
])
def test_odd_filters_never_500(clinician, patient, params):
    for url in ("/api/v1/visits/", "/api/v1/patients/", "/api/v1/reports/table1/"):
        response = api(clinician).get(url, params)
        assert response.status_code in (200, 400), (url, params)
        if response.status_code == 400:
            messages(response)


@pytest.mark.parametrize("params", [
    {"center": "²"}, {"center": "9" * 5000}, {"center": "\x00"}, {"diagnosis": "flu"},
])
def test_report_filters_are_checked(clinician, patient, params):
    response = api(clinician).get("/api/v1/reports/table2/", params)
    assert set(params) <= set(messages(response))


def test_report_error_in_csv_is_readable(clinician):
    response = api(clinician).get("/api/v1/reports/table1/", {"diagnosis": "flu",
                                                             "format": "csv"})
    assert response.status_code == 400
    assert response.content.decode() == 'diagnosis,"""flu"" is not a valid choice."\r\n'


def test_unknown_format_is_a_404(clinician):
    response = api(clinician).get("/api/v1/reports/table1/", {"format": "xlsx"})
    assert response.status_code == 404


def test_options_of_a_report_in_csv(clinician):
    response = api(clinician).options("/api/v1/reports/table1/?format=csv")
    assert response.status_code == 200
    assert response.content.startswith(b"name,")


# Paths: unknown ids, ids that are not numbers, lot numbers no lot can have.

@pytest.mark.parametrize("path", [
    "/api/v1/visits/99999999/", "/api/v1/visits/abc/", "/api/v1/visits/" + "9" * 25 + "/",
    "/api/v1/visits/-1/", "/api/v1/patients/99999999/outcome/", "/api/v1/patients/0.5/history/",
    "/api/v1/patients/abc/outcome/", "/api/v1/nothing-here/",
])
def test_unknown_ids_are_a_json_404(clinician, path):
    response = api(clinician).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert messages(response)["detail"]


def test_a_path_without_its_final_slash_is_redirected(clinician, patient):
    response = api(clinician).get(f"/api/v1/patients/{patient.pk}")
    assert (response.status_code, response["Location"]) == (
        301, f"/api/v1/patients/{patient.pk}/")


def test_an_id_filter_takes_whole_numbers(clinician, patient):
    for value in ("1.5", "1e3", "x"):
        response = api(clinician).get("/api/v1/visits/", {"patient": value})
        assert "patient" in messages(response)


def test_unknown_path_refuses_writes_with_a_404_too(clinician):
    response = api(clinician).delete("/api/v1/paraproteins/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("lot", ["%00", "x" * 65])
def test_impossible_lot_numbers(clinician, lot):
    response = api(clinician).get(f"/api/v1/lots/{lot}/patients/")
    assert "lot" in messages(response)


def test_series_of_another_patient_or_unknown(clinician, patient, center):
    other = SeriesFactory(patient__center=center, number=1)
    visit = VisitFactory(patient=patient, visited_on=date(1994, 1, 1))
    for series in (other.pk, 99999999, "x"):
        response = api(clinician).patch(f"/api/v1/visits/{visit.pk}/", {
            "kind": "post_series", "series": series, "version": 1}, format="json")
        assert "series" in messages(response)
    visit.refresh_from_db()
    assert (visit.kind, visit.version) == ("baseline", 1)
