"""Arbitrary unicode and arbitrary JSON nesting into every write endpoint: never a 5xx (issue #13).

Runs on PostgreSQL only (marker ``postgres``): that is where a NUL or a lone surrogate used to
reach the database and become a 500. The write operations are listed from the OpenAPI schema
(every POST/PUT/PATCH/DELETE of ``/api/v1/schema/``), so a new endpoint is fuzzed without
touching this file. Each example sends, as a citizen, a clerk (holding a task) and anonymously:

- a body that is any JSON value whose strings are arbitrary unicode, NUL, lone surrogates,
  control characters and bidi overrides included (``json.dumps`` sends them as ``\\u0000`` and
  ``\\ud800`` escapes, which the server decodes back), nested to any depth;
- or the operation's own fields (from the schema), and answer codes of the demo catalog, filled
  with such values, so the hostile text gets past "this field is required" into the services;
- or raw text: ``[`` × thousands, truncated JSON, invalid UTF-8;

to real objects (a draft, a completed application, a queued and a held task, a case whose
department has a webhook secret: callbacks are *signed*, so their bodies are parsed). The
multipart upload gets hostile material codes and file names. Each request runs in a savepoint
rolled back afterwards, so every example meets the same world. Bounded and derandomized.
"""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from knox.models import AuthToken

from govflow.api.callbacks import signature_header
from govflow.applications.services import deciding
from govflow.catalog.models import Department

from ..fuzz import POSTGRES_ONLY, SETTINGS
from ..stories import NEWBORN_ANSWERS, PDF_BYTES, approve, case_of, draft, submitted

pytestmark = POSTGRES_ONLY

SECRET = "amr-webhook-secret-0123456789"


# -- inputs ---------------------------------------------------------------------------------------------

NASTY = ["\x00", "\ud800", "\udfff", "\udbff\udc00", "\u202e", "\u2066", "\x1b[2J", "\x7f", "\x85", "\r", "\n",
         "\t", "\ufeff", "\uffff", "𝕏", "名", "'; DROP TABLE x; --", "%00", "\\u0000"]
#: Any unicode code point, surrogates and controls included, with the nastiest ones often.
CHARACTERS = st.one_of(st.characters(codec=None, categories=None), st.sampled_from([c for c in NASTY if len(c) == 1]))
TEXT = st.one_of(st.text(CHARACTERS, max_size=30), st.sampled_from(NASTY),
                 st.lists(st.sampled_from(NASTY), min_size=1, max_size=4).map("".join))
SCALARS = st.one_of(TEXT, st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)


def _nest(value, depth: int, as_object: bool):
    for _ in range(depth):
        value = {"a": value} if as_object else [value]
    return value


#: Deep but parseable nesting (around the 64-level limit and far past it).
DEEP = st.builds(_nest, JSON, st.integers(min_value=1, max_value=900), st.booleans())
VALUES = st.one_of(JSON, DEEP, TEXT)

ANSWER_CODES = sorted(NEWBORN_ANSWERS)


def _raw_bodies() -> st.SearchStrategy[bytes]:
    brackets = st.builds(lambda n, c: (c * n).encode(), st.integers(min_value=1, max_value=60_000),
                         st.sampled_from(["[", "{\"a\":", "[{\"a\":"]))
    return st.one_of(brackets, st.binary(max_size=40),
                     st.builds(lambda v, cut: json.dumps(v).encode()[:cut], JSON, st.integers(0, 40)))


def body_for(fields: list[str]) -> st.SearchStrategy[bytes]:
    """Bytes of a request body for an operation whose request has these fields."""
    shaped = st.fixed_dictionaries({}, optional={name: VALUES for name in fields})
    answers = st.fixed_dictionaries(
        {"one_thing": st.sampled_from(["newborn", "business-startup"]) | TEXT,
         "data": st.dictionaries(st.sampled_from(ANSWER_CODES) | TEXT, VALUES, max_size=4)})
    decision = st.fixed_dictionaries(
        {"event_id": TEXT, "decision": st.sampled_from(["approve", "reject", "request_correction"]) | TEXT},
        optional={"comment": VALUES, "outputs": st.dictionaries(st.just("uscc") | TEXT, VALUES, max_size=2),
                  "corrections": st.fixed_dictionaries({}, optional={"fields": VALUES, "materials": VALUES,
                                                                     "message": VALUES})})
    as_json = st.one_of(JSON, DEEP, shaped, answers, decision).map(lambda v: json.dumps(v).encode())
    return st.one_of(as_json, _raw_bodies())


# -- the endpoints ---------------------------------------------------------------------------------------


def _write_operations() -> list[tuple[str, str, str | None, list[str]]]:
    """(method, path template, request content type, request fields) of every write operation."""
    schema = json.loads(Client().get("/api/v1/schema/?format=json").content)
    components = schema["components"]["schemas"]
    operations = []
    for path, items in schema["paths"].items():
        for method, operation in items.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            media = next(iter(content), None)
            fields: list[str] = []
            if media:
                ref = content[media]["schema"].get("$ref", "")
                fields = sorted(components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            operations.append((method.upper(), path, media, fields))
    return operations


@pytest.fixture
def world(citizen_alice, clerks):
    Department.objects.filter(code="amr").update(webhook_secret=SECRET)
    newborn_draft = draft(citizen_alice, "newborn")
    completed = submitted(citizen_alice, "newborn")
    for procedure in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                      "hrss-social-security-card"):
        approve(completed, procedure, clerks[procedure.split("-")[0]])
    business = submitted(citizen_alice, "business-startup")
    held = submitted(citizen_alice, "business-startup")
    deciding.task_claim(case=case_of(held, "amr-licence"), user=clerks["amr"])
    return {
        "tokens": {"citizen": AuthToken.objects.create(user=citizen_alice)[1],
                   "clerk": AuthToken.objects.create(user=clerks["amr"])[1], "anonymous": None},
        "ids": {"/api/v1/applications/": [newborn_draft.pk, completed.pk, held.pk],
                "/api/v1/tasks/": [case_of(held, "amr-licence").task_id, case_of(business, "amr-licence").task_id],
                "/api/v1/cases/": [case_of(business, "amr-licence").pk, case_of(held, "amr-licence").pk]},
    }


def _url(template: str, ids: dict, choice: int) -> str:
    for prefix, values in ids.items():
        if template.startswith(prefix):
            return template.replace("{id}", str(values[choice % len(values)]))
    return template


def _sendable(text: str) -> str:
    """What a client can put in a multipart part: UTF-8 has no lone surrogates, so no client sends
    one in a file name or a form value (a JSON body can still escape them: those stay)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _send(client: Client, method: str, url: str, media: str | None, body: bytes, headers: dict,
          upload: tuple[str, str] | None):
    if media == "multipart/form-data" and upload is not None:
        material, name = upload
        return client.post(url, {"material": material, "file": SimpleUploadedFile(name, PDF_BYTES)}, **headers)
    if "/decision/" in url:  # signed, so that the body is parsed
        headers = {**headers, "HTTP_X_GOVFLOW_SIGNATURE": signature_header(SECRET, body)}
    return client.generic(method, url, body, content_type="application/json", **headers)


@pytest.mark.parametrize("role", ["citizen", "clerk", "anonymous"])
def test_no_write_endpoint_answers_5xx_to_arbitrary_unicode_and_nesting(world, role):
    operations = _write_operations()
    assert len(operations) >= 15, operations  # the schema lists the write operations
    token = world["tokens"][role]
    seen: set[str] = set()

    @SETTINGS
    @given(operation=st.sampled_from(operations), choice=st.integers(0, 5), data=st.data(),
           idempotency_key=st.none() | TEXT, language=st.sampled_from(["en", "zh-hans"]))
    def run(operation, choice, data, idempotency_key, language):
        method, template, media, fields = operation
        body = data.draw(body_for(fields), label="body")
        upload = data.draw(st.tuples((TEXT | st.just("delivery_record")).map(_sendable),
                                     TEXT.map(lambda t: _sendable(t) + ".pdf")), label="upload")
        headers = {"HTTP_ACCEPT_LANGUAGE": language}
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        if idempotency_key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key.encode("utf-8", "surrogatepass").decode("latin-1")
        url = _url(template, world["ids"], choice)
        with transaction.atomic():
            response = _send(Client(raise_request_exception=False), method, url, media, body, headers, upload)
            transaction.set_rollback(True)
        seen.add(f"{method} {template}")
        assert response.status_code < 500, (method, url, body[:300], response.content[:300])
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), (method, url, response.content[:200])

    run()
    assert len(seen) >= len(operations) // 2, seen  # the examples reached most operations
