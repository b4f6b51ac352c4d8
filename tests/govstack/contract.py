"""Every response of the mounted GovStack API against the GovStack OpenAPI documents (copied
verbatim from the GovStack Registration Building Block, ``spec/``)."""
from __future__ import annotations

import json
from pathlib import Path

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

SPEC_DIR = Path(__file__).resolve().parent / "spec"
DOCUMENTS = {
    "registration": json.loads((SPEC_DIR / "govstack-registration-bb-api.json").read_text(encoding="utf-8")),
    "statistics": json.loads((SPEC_DIR / "govstack-registration-bb-statistics-api.json").read_text(encoding="utf-8")),
}
SYSTEM_ERROR = "#/components/schemas/systemError"


def _resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def validate(document: dict, schema: dict, body) -> None:
    """``body`` against ``schema`` (OpenAPI 3.0 semantics), its ``$ref``s resolved in ``document``;
    formats checked (uuid, date, date-time)."""
    root = {**schema, "components": document["components"]}
    OAS30Validator(root, format_checker=FormatChecker()).validate(body)


def check(name: str, method: str, template: str, response) -> None:
    """The response is one the operation documents (or a 4xx ``systemError``) and matches its schema."""
    document = DOCUMENTS[name]
    status = response.status_code
    assert status < 500, (method, template, status, response.content)
    operation = document["paths"][template][method]
    documented = operation["responses"].get(str(status))
    body = response.json() if response.content else None
    if documented is None:
        assert 400 <= status < 500 or status == 200, (method, template, status, "not documented")
        assert status != 200, (method, template, "200 is not documented")
        registration = DOCUMENTS["registration"]
        validate(registration, {"$ref": SYSTEM_ERROR}, body)
        return
    documented = _resolve(document, documented)
    content = documented.get("content")
    if not content:
        if status >= 400 and body is not None:  # an undescribed error body: ours is a systemError
            validate(DOCUMENTS["registration"], {"$ref": SYSTEM_ERROR}, body)
        return
    schema = next(iter(content.values()))["schema"]
    validate(document, schema, body)
