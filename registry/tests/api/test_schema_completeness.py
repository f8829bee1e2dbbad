"""The OpenAPI schema is complete enough for a generated client (issue 12 item 7, issue 20
item 8): JSON bodies only, every enumerated answer value an ``enum``, ``version`` required
in PUT and PATCH bodies, list items without the fields lists never return."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

import catalogues as cat
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, clinical_history
from treatments.rules.types import (
    BlockEvolutionState,
    BlockState,
    DisabilityResult,
    Grade,
    Status,
)
from treatments.services import outcome_recompute

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # registry.tests.factories.UserFactory


@pytest.fixture
def schema() -> dict:
    response = api().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def enum_of(schema: dict, node: dict) -> list | None:
    """The values an (OpenAPI 3.0) property may take, ``None`` for null, or None if free."""
    node = resolve(schema, node)
    if "enum" in node:
        return list(node["enum"])
    alternatives = node.get("oneOf", []) + node.get("allOf", [])
    values = [enum_of(schema, alternative) for alternative in alternatives]
    if not values or any(value is None for value in values):
        return None
    return [v for value in values for v in value] + ([None] if node.get("nullable") else [])


def prop(schema: dict, component: str, *path: str) -> dict:
    node = schema["components"]["schemas"][component]
    for name in path:
        node = resolve(schema, node)
        if node.get("type") == "array":
            node = resolve(schema, node["items"])
        node = node["properties"][name]
    return node


def values(enum: type[StrEnum]) -> set[str]:
    return {member.value for member in enum}


def codes(choices: cat.Choices) -> set[str]:
    return {code for code, _ in choices}


# Issue 20 item 8: JSON in -------------------------------------------------------------

def test_every_request_body_is_json_only(schema):
    bodies = {f"{method.upper()} {path}": list(operation["requestBody"]["content"])
              for path, item in schema["paths"].items()
              for method, operation in item.items() if "requestBody" in operation}
    assert "POST /api/v1/auth/token/" in bodies
    assert {where: types for where, types in bodies.items()
            if types != ["application/json"]} == {}


def test_the_token_endpoint_takes_json_only(clinician):
    client = api()
    form = client.post("/api/v1/auth/token/", {"username": "clinician", "password": PASSWORD})
    assert form.status_code == 415 and "token" not in form.json()
    urlencoded = client.post("/api/v1/auth/token/", f"username=clinician&password={PASSWORD}",
                             content_type="application/x-www-form-urlencoded")
    assert urlencoded.status_code == 415
    answer = client.post("/api/v1/auth/token/", {"username": "clinician", "password": PASSWORD},
                         format="json")
    assert answer.status_code == 200 and answer.json()["token"]


# Issue 12 item 7: enums ---------------------------------------------------------------

OUTCOME_ENUMS: list[tuple[tuple[str, ...], set[str]]] = [
    (("Outcome", "status"), values(Status)),
    (("Outcome", "initial_response"), values(Grade)),
    (("Outcome", "final", "grade"), values(Grade)),
    (("Outcome", "series", "grade"), values(Grade)),
    (("Outcome", "visits", "grade"), values(Grade)),
    (("Outcome", "visits", "kind"), codes(cat.VISIT_KINDS)),
    (("Outcome", "disability", "result"), values(DisabilityResult)),
    (("Outcome", "disability", "measure"), {"prineas"}),
    (("Outcome", "conduction_blocks", "segments", "first"), values(BlockState)),
    (("Outcome", "conduction_blocks", "segments", "latest"), values(BlockState)),
    (("Outcome", "conduction_blocks", "segments", "state"), values(BlockEvolutionState)),
    (("Outcome", "conduction_blocks", "segments", "nerve"), codes(cat.NERVES)),
    (("Outcome", "target_muscles", "muscle"), codes(cat.MUSCLES)),
    (("Outcome", "target_muscles", "side"), codes(cat.SIDES)),
    (("Outcome", "titres_significant", "antigen"), codes(cat.ANTIGENS)),
    (("Outcome", "titres_before_ivig", "unit"), codes(cat.TITRE_UNITS)),
    (("NerveSegment", "block"), values(BlockState)),
    (("Table1Row", "first_response"), values(Grade)),
    (("Table1Row", "final_grade"), values(Grade)),
    (("Table1Row", "sex"), codes(cat.SEXES)),
    (("Table2Row", "result"), values(DisabilityResult)),
    # clinical-rules.md §9
    (("Outcome", "primary_measure"), codes(cat.MEASURES)),
    (("Outcome", "measures", "measure"), codes(cat.MEASURES)),
    (("Outcome", "measures", "result"), {"improved", "stable", "deteriorated"}),
    (("Patient", "primary_measure"), codes(cat.MEASURES)),
    (("MeasuresReportRow", "measure"), codes(cat.MEASURES)),
    (("MeasuresReportRow", "diagnosis"), codes(cat.DIAGNOSES)),
]


@pytest.mark.parametrize(("path", "expected"), OUTCOME_ENUMS,
                         ids=[".".join(path) for path, _ in OUTCOME_ENUMS])
def test_enumerated_answer_values_are_enums(schema, path, expected):
    enum = enum_of(schema, prop(schema, *path))
    assert enum is not None, f"{'.'.join(path)} is a free string in the schema"
    assert set(enum) - {None} == expected


def test_enum_components_are_named_for_their_choice_set(schema):
    components = schema["components"]["schemas"]
    assert components["OutcomeStatusEnum"]["enum"] == [member.value for member in Status]
    assert components["ResponseGradeEnum"]["enum"] == [member.value for member in Grade]
    assert components["BlockStateEnum"]["enum"] == [member.value for member in BlockState]
    assert components["StatusEnum"]["enum"] == ["given", "stopped"]  # a series' status


def check_enums(schema: dict, node: dict, value: Any, where: str) -> int:
    """Every enumerated value of an answer is one its schema lists; returns how many."""
    node = resolve(schema, node)
    enum = enum_of(schema, node)
    if enum is not None:
        assert value in enum, f"{where}: {value!r} not in {enum}"
        return 1
    checked = 0
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            checked += check_enums(schema, node["items"], item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for alternative in node.get("allOf", []) + node.get("oneOf", []):
            if "$ref" in alternative:
                node = resolve(schema, alternative)
        for name, sub in value.items():
            if name in node.get("properties", {}):
                checked += check_enums(schema, node["properties"][name], sub, f"{where}.{name}")
    return checked


def test_a_computed_outcome_answers_only_documented_enum_values(schema, clinician, center):
    patient = PatientFactory(center=center)
    clinical_history(patient, 3)
    outcome_recompute(patient_id=patient.pk)
    body = api(clinician).get(f"/api/v1/patients/{patient.pk}/outcome/").json()
    assert body["status"] in values(Status) and body["series"]
    component = {"$ref": "#/components/schemas/Outcome"}
    assert check_enums(schema, component, body, "outcome") >= 10


# Issue 12 item 7: version required in PUT and PATCH bodies ----------------------------

def test_version_is_required_in_every_put_and_patch_body(schema):
    components = schema["components"]["schemas"]
    seen = 0
    for path, item in schema["paths"].items():
        for method in ("put", "patch"):
            if "requestBody" not in item.get(method, {}):
                continue
            body = item[method]["requestBody"]["content"]["application/json"]["schema"]
            name = body["$ref"].rsplit("/", 1)[-1]
            assert "version" in components[name].get("required", []), f"{method} {path}"
            seen += 1
    assert seen >= 16  # centres and seven clinical resources, PUT and PATCH
    patched = [name for name in components if name.startswith("Patched")]
    assert patched and all("version" in components[n]["required"] for n in patched)


def test_post_bodies_do_not_require_version(schema):
    components = schema["components"]["schemas"]
    body = schema["paths"]["/api/v1/visits/"]["post"]["requestBody"]["content"]
    name = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "version" not in components[name].get("required", [])
    assert "version" in components[name]["properties"]  # still accepted


# Issue 12 item 7: list items ----------------------------------------------------------

def test_the_patient_list_item_does_not_document_identity(schema):
    answer = schema["paths"]["/api/v1/patients/"]["get"]["responses"]["200"]
    page = resolve(schema, answer["content"]["application/json"]["schema"])
    item = resolve(schema, page["properties"]["results"]["items"])
    assert "identity" not in item["properties"]
    assert "code" in item["properties"] and "version" in item["properties"]
    detail = schema["paths"]["/api/v1/patients/{id}/"]["get"]["responses"]["200"]
    patient = resolve(schema, detail["content"]["application/json"]["schema"])
    assert "identity" in patient["properties"]  # single-patient answers may carry it


def test_the_patient_list_answers_exactly_its_documented_item(schema, clinician, center):
    from patients.models import Identity

    patient = PatientFactory(center=center)
    Identity.objects.create(patient=patient, name="Ada Example", hospital_number="H-1")
    client = api(clinician)
    row = client.get("/api/v1/patients/").json()["results"][0]
    item = resolve(schema, {"$ref": "#/components/schemas/PatientListItem"})
    assert set(row) == set(item["properties"])
    assert "identity" in client.get(f"/api/v1/patients/{patient.pk}/").json()


def test_the_list_serializer_never_shows_identity(clinician, patient, rf):
    """Even with a context that would allow it: the list item has no identity, in the
    direct representation and in DRF's generic one alike."""
    from patients.api.serializers import PatientListItemSerializer
    from patients.models import Identity, Patient

    Identity.objects.create(patient=patient, name="Ada Example", hospital_number="H-1")
    http = rf.get("/api/v1/patients/")
    http.user = clinician
    serializer = PatientListItemSerializer(context={"request": http, "with_identity": True})
    instance = Patient.objects.select_related("consent", "identity").get(pk=patient.pk)
    direct = serializer.to_representation(instance)
    assert direct == serializer.generic_representation(instance)
    assert "identity" not in direct and direct["code"] == patient.code


# Issue 17: every choice field of every serializer is an enum --------------------------

SERIALIZER_MODULES = (
    "registry.api.centers", "patients.api.serializers", "treatments.api.serializers",
    "treatments.api.reference", "treatments.api.outcome", "treatments.api.views",
)


def serializer_classes() -> list[type]:
    import importlib
    import inspect

    from rest_framework import serializers

    found = []
    for name in SERIALIZER_MODULES:
        module = importlib.import_module(name)
        found += [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, serializers.BaseSerializer) and cls.__module__ == name]
    return found


def component_names(cls: type, components: dict) -> list[str]:
    """The schema components drf-spectacular made of a serializer: its answer, its
    request body, the PATCH and PUT bodies."""
    base = cls.__name__.removesuffix("Serializer")
    return [name for name in (base, f"{base}Request", f"Patched{base}Request",
                              f"{base}UpdateRequest") if name in components]


def test_every_choice_field_is_an_enum(schema):
    from rest_framework import serializers

    components = schema["components"]["schemas"]
    checked, unmatched = [], []
    for cls in serializer_classes():
        try:
            fields = cls().fields
        except Exception:  # noqa: BLE001 — a serializer that needs its view's context
            continue
        choices = {name: field for name, field in fields.items()
                   if isinstance(field, serializers.ChoiceField)}
        nested = {name: field.child for name, field in fields.items()
                  if isinstance(field, serializers.ListField)
                  and isinstance(field.child, serializers.ChoiceField)}
        if not (choices or nested):
            continue
        names = component_names(cls, components)
        if not names and cls.__name__.endswith("Query"):  # a query: its parameters
            for name, field in choices.items():
                parameters = [parameter for item in schema["paths"].values()
                              for operation in item.values() if isinstance(operation, dict)
                              for parameter in operation.get("parameters", [])
                              if parameter["in"] == "query" and parameter["name"] == name]
                assert parameters, f"{cls.__name__}.{name}"
                for parameter in parameters:
                    assert set(enum_of(schema, parameter["schema"]) or []) - {None, ""} == {
                        str(c) for c in field.choices} - {""}, f"?{name}"
                checked.append(f"?{name}")
            continue
        if not names:
            unmatched.append(cls.__name__)
        for component in names:
            properties = components[component].get("properties", {})
            for name, field in {**choices, **nested}.items():
                if name not in properties:
                    continue  # read-only in a request body, write-only in an answer
                node = properties[name]
                if name in nested:
                    node = resolve(schema, node)["items"]
                enum = enum_of(schema, node)
                assert enum is not None, f"{component}.{name} is not an enum"
                assert set(enum) - {None, ""} == {str(c) for c in field.choices} - {""}, (
                    f"{component}.{name}")
                checked.append(f"{component}.{name}")
    assert not unmatched, unmatched
    assert {"Patient.sex", "PatientRequest.diagnosis", "PatchedVisitRequest.kind",
            "Series.status", "MrcGrade.muscle", "TitreRequest.antigen"} <= set(checked)
    assert len(checked) >= 40


def nullable(schema: dict, node: dict) -> bool:
    if node.get("nullable"):
        return True
    node_resolved = resolve(schema, node)
    return bool(node_resolved.get("nullable")) or any(
        nullable(schema, alternative)
        for alternative in node.get("oneOf", []) + node.get("allOf", []))


def nulls_are_nullable(schema: dict, node: dict, value: Any, where: str) -> int:
    """Every null of an answer is ``nullable`` in its schema; returns how many nulls."""
    if value is None:
        assert nullable(schema, node), f"{where} is null but not nullable"
        return 1
    node = resolve(schema, node)
    for alternative in node.get("allOf", []) + node.get("oneOf", []):
        if "$ref" in alternative:
            node = resolve(schema, alternative)
    found = 0
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            found += nulls_are_nullable(schema, node["items"], item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for name, sub in value.items():
            assert name in node.get("properties", {}), f"{where}.{name} is not documented"
            found += nulls_are_nullable(schema, node["properties"][name], sub,
                                        f"{where}.{name}")
    return found


def test_every_null_answered_is_nullable_in_the_schema(schema, clinician, center):
    from registry.tests.api.test_conventions import records

    patient = PatientFactory(center=center)
    client = api(clinician)
    nulls = 0
    for resource, record in records(patient).items():
        path = f"/api/v1/{resource}/{{id}}/"
        answer = schema["paths"][path]["get"]["responses"]["200"]
        node = answer["content"]["application/json"]["schema"]
        body = client.get(f"/api/v1/{resource}/{record.pk}/").json()
        nulls += nulls_are_nullable(schema, node, body, resource)
        page = schema["paths"][f"/api/v1/{resource}/"]["get"]["responses"]["200"]
        listed = client.get(f"/api/v1/{resource}/",
                            {} if resource == "patients" else {"patient": patient.pk}).json()
        assert listed["results"], resource
        nulls += nulls_are_nullable(schema, page["content"]["application/json"]["schema"],
                                    listed, f"{resource} list")
    treated = PatientFactory(center=center)
    clinical_history(treated, 3)
    outcome_recompute(patient_id=treated.pk)
    fresh = PatientFactory(center=center)  # never computed: every field null or empty
    for who in (treated, fresh):
        body = client.get(f"/api/v1/patients/{who.pk}/outcome/").json()
        nulls += nulls_are_nullable(schema, {"$ref": "#/components/schemas/Outcome"}, body,
                                    "outcome")
    assert nulls >= 20
