"""The Content-Security-Policy header, and templates that need no exception to it.

tests/e2e/test_csp.py loads the pages in Chromium and asserts it reports no violation.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import govflow

pytestmark = pytest.mark.django_db

ROOT = Path(govflow.__file__).parent
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "inline event handler"),
    (re.compile(r"""\sstyle\s*=\s*["'{]""", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/docs/", "/api/v1/one-things/", "/admin/login/",
                                  "/no-such-page/"])
def test_every_response_carries_the_strict_policy(demo_catalog, path):
    policy = directives(Client().get(path))

    assert policy["default-src"] == "default-src 'self'"
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert policy["object-src"] == "object-src 'none'"
    assert policy["base-uri"] == "base-uri 'self'"
    assert policy["form-action"] == "form-action 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_a_document_keeps_its_own_sandbox_policy(demo_catalog, citizen_alice):
    from .stories import submitted

    app = submitted(citizen_alice, "business-startup")
    document = app.documents.first()
    client = Client()
    client.force_login(citizen_alice)

    response = client.get(f"/applications/{app.pk}/documents/{document.pk}/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_no_template_or_python_generated_html_needs_unsafe_inline():
    found = []
    for path in [*ROOT.rglob("*.html"), *ROOT.rglob("*.py")]:
        if "bench" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":  # only the lines that write HTML
            text = "\n".join(line for line in text.splitlines() if re.search(r"<[a-z]", line))
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)!r}")
    assert not found, "\n".join(found)
