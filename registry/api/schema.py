"""OpenAPI post-processing: the error answers every operation can give (api.md "Errors").

drf-spectacular documents what the views declare; the error answers follow from what an
operation is (it takes a body, has an id in its path, is paginated, needs a login), so they
are added here, once, rather than repeated on every view.
"""

from __future__ import annotations

from typing import Any

ERROR = "Error"
INVALID = "ValidationError"

COMPONENTS: dict[str, dict[str, Any]] = {
    ERROR: {
        "type": "object",
        "description": "What went wrong, in words.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    INVALID: {
        "type": "object",
        "description": (
            "Bad input: each offending field (or ``non_field_errors``) with its messages; "
            "a nested list's errors are keyed by the element's index, e.g. "
            '``{"mrc": {"1": {"grade": ["…"]}}}``. A body that is not JSON is '
            '``{"detail": "…"}``.'
        ),
        "additionalProperties": {
            "anyOf": [
                {"type": "array", "items": {}},
                {"type": "object"},
                {"type": "string"},
            ],
        },
    },
}

WRITES = {"post", "put", "patch", "delete"}


def _answer(description: str, component: str, media_types: list[str]) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{component}"}
    return {
        "description": description,
        "content": {media_type: {"schema": schema} for media_type in media_types},
    }


def _error_answers(path: str, method: str, operation: dict[str, Any]) -> dict[str, tuple]:
    parameters = operation.get("parameters", [])
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    needs_login = any(requirement for requirement in operation.get("security", []))
    answers: dict[str, tuple] = {}
    if operation.get("requestBody") or query:
        answers["400"] = (
            "Bad input: the fields (or query parameters) at fault with their messages.",
            INVALID,
        )
    if needs_login:
        answers["401"] = ("No credentials, or they are not valid.", ERROR)
        if method in WRITES:
            answers["403"] = ("No clinician or data-manager role in the record's centre.", ERROR)
    if "{" in path or "page" in query:
        answers["404"] = (
            "Not found or not in your centres (or, for a list, a page past the last one).",
            ERROR,
        )
    if "format" in query:
        answers.setdefault("404", ("An unknown ``format``.", ERROR))
    if method in {"put", "patch"}:
        answers["409"] = ("``version`` stale: reload, then apply the change.", ERROR)
    if operation.get("requestBody"):
        answers["415"] = ("The body is not ``application/json``.", ERROR)
    return answers


def document_errors(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the error answers of every operation,
    and that an empty optional query parameter means the parameter is left out."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
            responses = operation["responses"]
            for response in responses.values():
                if "text/csv" in response.get("content", {}):
                    response["content"]["text/csv"] = {
                        "schema": {"type": "string", "description": "CSV lines."}}
            # An error is written in the media type the request negotiated (a CSV report's
            # 401 is CSV), so it is documented in every media type the operation answers in.
            media_types = sorted({
                "application/json",  # every view can answer an error in JSON
                *(media_type
                  for response in responses.values()
                  for media_type in response.get("content", {})),
            })
            for code, answer in responses.items():
                if code.startswith("4") and "content" not in answer:
                    # The view described this error in words only: its body is JSON.
                    component = INVALID if code == "400" else ERROR
                    answer["content"] = _answer("", component, ["application/json"])["content"]
            for code, (description, component) in _error_answers(path, method, operation).items():
                if code in responses and code != "401":
                    continue  # documented by the view itself
                responses.setdefault(code, _answer(description, component, media_types))
                if "text/csv" in media_types:
                    responses[code]["content"]["text/csv"] = {"schema": {"type": "string"}}
    return result


def require_versions(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: ``version`` is required in every PUT and PATCH
    body (api.md, 2026-12-01; a write without it is a 400 naming it).

    PATCH bodies (``Patched…Request``) serve PATCH alone and get ``version`` required in
    place. A PUT body shares its component with POST, where ``version`` is not asked for,
    so PUT gets its own copy, ``…UpdateRequest``, with ``version`` required.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        for method in ("put", "patch"):
            content = item.get(method, {}).get("requestBody", {}).get("content", {})
            for media in content.values():
                reference = media.get("schema", {}).get("$ref", "")
                name = reference.rsplit("/", 1)[-1]
                component = schemas.get(name)
                if component is None or "version" not in component.get("properties", {}):
                    continue
                if method == "put" and not name.startswith("Patched"):
                    update = f"{name.removesuffix('Request')}UpdateRequest"
                    if update not in schemas:
                        schemas[update] = {**component, "required": list(
                            component.get("required", []))}
                    component = schemas[update]
                    media["schema"] = {"$ref": f"#/components/schemas/{update}"}
                required = component.setdefault("required", [])
                if "version" not in required:
                    required.append("version")
                    required.sort()
    return result


IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key (per user) with the same body within 24 hours "
        "returns the first answer (same status and body, header ``Idempotent-Replayed: "
        "true``) and writes nothing; with another body it is a 422. Only successful "
        "answers are kept: after an error nothing was written and the key may be reused. "
        "Any 1 to 255 printable ASCII characters; a UUID per request is a good key."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def document_idempotency_key(result: dict[str, Any], generator, request, public
                             ) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every signed-in POST takes ``Idempotency-Key``
    (``registry.api.writes``); the token request is not a write a retry could repeat."""
    for item in result.get("paths", {}).values():
        operation = item.get("post")
        if not isinstance(operation, dict) or not operation.get("security"):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == IDEMPOTENCY_PARAMETER["name"] for p in parameters):
            parameters.append(dict(IDEMPOTENCY_PARAMETER))
        operation.setdefault("responses", {}).setdefault("422", _answer(
            "The ``Idempotency-Key`` was used for another request in the last 24 hours.",
            ERROR, ["application/json"]))
    return result
