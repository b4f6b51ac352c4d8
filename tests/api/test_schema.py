"""The OpenAPI document: valid, and it lists every path of the contract."""
from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = [
    "/api/v1/auth/token/", "/api/v1/auth/register/",
    "/api/v1/one-things/", "/api/v1/one-things/{code}/", "/api/v1/divisions/",
    "/api/v1/applications/", "/api/v1/applications/{id}/", "/api/v1/applications/{id}/documents/",
    "/api/v1/applications/{id}/documents/{doc_pk}/file", "/api/v1/applications/{id}/submit/",
    "/api/v1/applications/{id}/resubmit/", "/api/v1/applications/{id}/withdraw/",
    "/api/v1/applications/{id}/evaluation/",
    "/api/v1/tasks/", "/api/v1/tasks/{id}/", "/api/v1/tasks/{id}/claim/", "/api/v1/tasks/{id}/release/",
    "/api/v1/tasks/{id}/assign/", "/api/v1/tasks/{id}/complete/",
    "/api/v1/deliveries/", "/api/v1/deliveries/{id}/", "/api/v1/deliveries/{id}/advance/",
    "/api/v1/stats/", "/api/v1/cases/{id}/decision/",
]


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_a_valid_openapi_document(schema):
    validate(schema)


def test_the_schema_lists_every_contract_path(schema):
    normalised = {path.replace("{pk}", "{id}").replace("{code}", "{code}") for path in schema["paths"]}
    missing = [p for p in CONTRACT_PATHS if p not in normalised]
    assert not missing, f"missing from the schema: {missing}; have {sorted(schema['paths'])}"


def test_the_upload_is_documented_as_multipart(schema):
    operation = schema["paths"]["/api/v1/applications/{id}/documents/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]


def test_the_interactive_docs_are_served(client):
    assert client.get("/api/v1/docs/").status_code == 200


def test_the_interactive_docs_load_nothing_from_another_host_and_nothing_inline(client):
    """Government intranets have no internet access: every file of the docs page is the project's own."""
    page = client.get("/api/v1/docs/").content.decode()

    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references and not [r for r in references if not r.startswith("/")], references
    assert "//" not in "".join(references)
    assert "<style" not in page and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    for reference in references:  # the files are there: the UI, its stylesheets, the init script
        assert client.get(reference).status_code == 200, reference
    script = client.get(next(r for r in references if "script=" in r))
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content and b"/api/v1/schema/" in script.content
