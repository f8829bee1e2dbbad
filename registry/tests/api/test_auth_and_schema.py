import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from registry.tests.api.helpers import api

pytestmark = pytest.mark.django_db


def test_token_then_token_authentication(clinician, patient):
    response = api().post("/api/v1/auth/token/",
                          {"username": "clinician", "password": "correct-horse-battery"},
                          format="json")
    assert response.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/patients/").json()["count"] == 1


def test_a_browser_session_does_not_block_the_token_request(clinician):
    """A signed-in browser (session cookie, no CSRF token) can still ask for a token."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(clinician)
    response = client.post("/api/v1/auth/token/",
                           {"username": "clinician", "password": "correct-horse-battery"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["token"]


def test_wrong_password_is_a_400(clinician):
    response = api().post("/api/v1/auth/token/",
                          {"username": "clinician", "password": "nope"}, format="json")
    assert response.status_code == 400


def test_session_authentication(clinician, client):
    client.force_login(clinician)
    assert client.get("/api/v1/centers/").status_code == 200


def test_unauthenticated_answer_is_401_with_challenge():
    response = api().get("/api/v1/centers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_schema_and_docs_need_no_login():
    assert api().get("/api/v1/schema/").status_code == 200
    response = api().get("/api/v1/schema/", {"format": "yaml"})
    assert response.status_code == 200
    assert b"openapi:" in response.content
    docs = api().get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar" in docs.content  # served locally, no CDN


def test_schema_names_the_contract_paths():
    paths = api().get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/patients/", "/api/v1/titres/", "/api/v1/paraproteins/",
                 "/api/v1/prior-treatments/", "/api/v1/series/", "/api/v1/visits/",
                 "/api/v1/nerve-studies/", "/api/v1/centers/",
                 "/api/v1/patients/{id}/outcome/", "/api/v1/patients/{id}/history/",
                 "/api/v1/lots/{lot}/patients/", "/api/v1/reports/table1/",
                 "/api/v1/reports/table2/", "/api/v1/auth/token/"):
        assert path in paths
    assert "delete" not in paths["/api/v1/series/{id}/"]


# The schema itself (api.md "GET /api/v1/schema/ (OpenAPI 3, also as YAML)").

def served_schema(format_: str = "json") -> dict:
    response = api().get("/api/v1/schema/", {"format": format_})
    assert response.status_code == 200
    return yaml.safe_load(response.content) if format_ == "yaml" else response.json()


def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    validate_schema(yaml.safe_load(target.read_text()))


def test_yaml_and_json_are_one_valid_openapi_3_document():
    as_yaml, as_json = served_schema("yaml"), served_schema("json")
    assert as_yaml == as_json
    assert as_json["openapi"].startswith("3.")
    validate_schema(as_json)
    default = api().get("/api/v1/schema/")
    assert default["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(default.content) == as_json


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_documents_its_errors():
    schema = served_schema()
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}"
        if path != "/api/v1/auth/token/":
            assert "401" in codes, where
        if method in ("post", "put", "patch", "delete") and path != "/api/v1/auth/token/":
            assert "403" in codes, where
        if "{" in path:
            assert "404" in codes, where
        if method in ("put", "patch"):
            assert "409" in codes, where
        if "requestBody" in operation:
            assert {"400", "415"} <= codes, where
            assert list(operation["requestBody"]["content"]) == ["application/json"], where
        if any(p["name"] == "page" for p in operation.get("parameters", [])):
            assert {"400", "404"} <= codes, where
        for code, answer in operation["responses"].items():
            if code.startswith("4"):
                assert answer["content"]["application/json"]["schema"]["$ref"], where


def test_every_list_takes_patient_ordering_and_pages():
    """api.md: every list filters by ?patient= where it has a patient and supports
    ?ordering=; pages of 50 up to 500."""
    with_patient = {"titres", "paraproteins", "prior-treatments", "series", "visits",
                    "nerve-studies", "lots/{lot}/patients", "access-log", "queries",
                    "tailoring"}
    schema = served_schema()
    for path, _method, operation in operations(schema):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "page" not in names:
            continue
        assert {"ordering", "page_size"} <= names, path
        resource = path.removeprefix("/api/v1/").rstrip("/")
        if resource in with_patient:
            assert "patient" in names, path
    paginated = [path for path, _method, op in operations(schema)
                 if any(p["name"] == "page" for p in op.get("parameters", []))]
    # 8 resource lists, history, lot recipients, the reference data (rule sets, titre
    # thresholds, block criteria), the data-quality queries, the access log, tailoring
    # (8 + 1 + 1 + 3 + 1 + 1 + 1; queries and tailoring came with their merges)
    assert len(paginated) == 16


# api.md "Resources": the names clients rely on, read-only ones marked so.
API_MD_FIELDS = {
    "Center": ("id", "name", "code"),
    "Patient": ("id", "code", "center", "sex", "birth_year", "diagnosis", "onset_year",
                "neuropathy_pattern", "affected_nerves", "target_muscles", "consent",
                "consent_state", "identity", "notes", "version", "created_at", "updated_at"),
    "AffectedNerve": ("side", "nerve"),
    "TargetMuscle": ("muscle", "side"),
    "Consent": ("given_on", "version", "withdrawn_on"),
    "Identity": ("name", "date_of_birth", "hospital_number"),
    "Titre": ("id", "patient", "sampled_on", "antigen", "isotype", "method", "value", "unit",
              "significant", "version"),
    "Paraprotein": ("id", "patient", "measured_on", "isotype", "light_chain",
                    "serum_level_g_l", "version"),
    "PriorTreatment": ("id", "patient", "kind", "started_on", "ended_on", "notes", "version"),
    "Series": ("id", "patient", "number", "started_on", "days", "dose_g_per_kg", "weight_kg",
               "total_grams", "product", "lot_numbers", "status", "stop_reason",
               "adverse_events", "interval_days", "route", "regimen", "expected_interval_days",
               "height_cm", "dose_basis", "grams_given", "dosing_weight_kg",
               "prescribed_grams", "dose_intensity_g_per_kg_4w", "signed_by", "signed_at",
               "version"),
    "AdverseEvent": ("kind", "severity", "led_to_stop", "notes"),
    "Visit": ("id", "patient", "visited_on", "kind", "series", "examiner", "mrc",
              "functional_score", "prineas_score", "notes", "score", "signed_by", "signed_at",
              "version"),
    "MrcGrade": ("muscle", "side", "grade"),
    "NerveStudy": ("id", "patient", "studied_on", "segments", "version"),
    "NerveSegment": ("nerve", "side", "distal_site", "proximal_site", "distal_amplitude_mv",
                     "proximal_amplitude_mv", "distal_area_mvms", "proximal_area_mvms",
                     "distal_duration_ms", "proximal_duration_ms", "velocity_m_s", "block"),
    "HistoryEntry": ("at", "user", "action", "model", "object_id", "changes"),
    "Outcome": ("patient", "rules_version", "computed_at", "stale", "status",
                "baseline_score", "target_muscles", "initial_response", "beneficial_series",
                "n_star", "plateau_after_series", "wear_off_intervals", "infusion_dependent",
                "final", "disability", "conduction_blocks", "titres_significant", "series",
                "flags", "next_series_due", "overdue"),
    "OutcomeFinal": ("grade", "persistent", "label"),
    "OutcomeDisability": ("measure", "before", "after", "change", "result"),
    "OutcomeBlocks": ("first_study", "latest_study", "segments"),
    "OutcomeBlockSegment": ("nerve", "side", "state"),
    "OutcomeTitre": ("antigen", "isotype", "value", "unit"),
    "OutcomeSeries": ("number", "pre_score", "post_score", "grade", "beneficial"),
}
# api.md "Additions of 2026-12-01" (clinical-rules.md §9)
API_MD_FIELDS["Patient"] = (*API_MD_FIELDS["Patient"], "primary_measure")
API_MD_FIELDS["Visit"] = (*API_MD_FIELDS["Visit"], "incat_arm", "incat_leg", "irods_centile",
                          "irods_raw", "grip_right_kpa", "grip_left_kpa", "onls_arm",
                          "onls_leg", "scores", "primary_score")
API_MD_FIELDS["Outcome"] = (*API_MD_FIELDS["Outcome"], "primary_measure", "measures")
API_MD_READ_ONLY = {
    "Patient": {"id", "consent_state", "created_at", "updated_at"},
    "Titre": {"id", "significant"},
    "Series": {"id", "total_grams", "interval_days", "dosing_weight_kg", "prescribed_grams",
               "dose_intensity_g_per_kg_4w", "signed_by", "signed_at"},
    "Visit": {"id", "score", "scores", "primary_score", "signed_by", "signed_at"},  # §9, §11
    "NerveSegment": {"block"},
}


def test_consent_state_is_an_enum_in_the_schema():
    schemas = served_schema()["components"]["schemas"]
    field = schemas["Patient"]["properties"]["consent_state"]
    if "$ref" in field or "allOf" in field:  # drf-spectacular names enums as components
        ref = field.get("$ref") or field["allOf"][0]["$ref"]
        field = schemas[ref.rsplit("/", 1)[1]]
    assert field["enum"] == ["given", "withdrawn", "not_recorded"]


def test_schema_names_every_api_md_field():
    components = served_schema()["components"]["schemas"]
    for name, fields in API_MD_FIELDS.items():
        assert set(fields) <= set(components[name]["properties"]), name
    for name, fields in API_MD_READ_ONLY.items():
        properties = components[name]["properties"]
        assert {f for f in properties if properties[f].get("readOnly")} == fields, name
        assert not fields & set(components[f"{name}Request"]["properties"]), name
    assert set(components["Series"]["properties"]) - API_MD_READ_ONLY["Series"] \
        == set(components["SeriesRequest"]["properties"])
    assert components["PaginatedPatientListItemList"]["required"] == ["count", "results"]
    assert set(components["PaginatedPatientListItemList"]["properties"]) == {
        "count", "next", "previous", "results"}


def test_choice_codes_are_the_catalogue_codes():
    components = served_schema()["components"]["schemas"]
    assert components["DiagnosisEnum"]["enum"] == [
        "mmn", "igm_mgus_pn", "igg_mgus_pn", "cidp", "other"]
    assert components["NeuropathyPatternEnum"]["enum"] == ["demyelinating", "axonal", "mixed"]
    assert components["SideEnum"]["enum"] == ["R", "L"]
    assert components["SexEnum"]["enum"] == ["M", "F"]
    assert components["IsotypeEnum"]["enum"] == ["IgM", "IgG", "IgA"]
    assert components["MethodEnum"]["enum"] == ["elisa", "tlc", "western_blot"]
    assert components["UnitEnum"]["enum"] == ["dilution", "btu", "au"]
    assert components["LightChainEnum"]["enum"] == ["kappa", "lambda"]
    assert components["StatusEnum"]["enum"] == ["given", "stopped"]
    assert components["PriorTreatmentKindEnum"]["enum"] == [
        "steroids", "plasma_exchange", "immunosuppressant", "chlorambucil",
        "cyclophosphamide", "immunoglobulin", "other"]
