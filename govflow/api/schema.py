"""OpenAPI post-processing: what every operation may answer, written once.

``RefuseNulQueryMiddleware`` answers ``400 {"detail"}`` to a query string holding a NUL character
before any view runs, so every operation can answer ``400``; this hook documents that where an
operation does not already document a ``400`` of its own.
"""
from __future__ import annotations

from typing import Any

NUL_QUERY_400 = {
    "description": "The query string holds a NUL character: `{\"detail\": \"...\"}`.",
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}}},
}
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def document_nul_query_refusal(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in METHODS:
                operation.setdefault("responses", {}).setdefault("400", NUL_QUERY_400)
    return result
