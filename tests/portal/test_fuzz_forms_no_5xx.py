"""Arbitrary unicode into every form of the portal and the workbench: never a 5xx (issue #13).

The HTML counterpart of ``tests/api/test_fuzz_no_5xx.py``, on PostgreSQL only (marker
``postgres``). Each form is found by fetching its page and reading the ``name`` of every input,
select and textarea it renders (so a new field is fuzzed without touching this file); the fields
are then posted with arbitrary unicode (NUL, control characters, bidi overrides...: a form post
cannot carry a lone surrogate, its bytes are decoded as UTF-8 with replacement), as a citizen, a
clerk holding a task and anonymously. Each request runs in a savepoint rolled back afterwards.
"""
from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from govflow.applications.services import deciding, drafting

from ..fuzz import POSTGRES_ONLY, SETTINGS
from ..stories import approve, case_of, draft, submitted

pytestmark = POSTGRES_ONLY

NASTY = ["\x00", "\u202e", "\u2066", "\x1b[2J", "\x7f", "\x85", "\r", "\n", "\t", "\ufeff", "𝕏", "名", "%00"]
CHARACTERS = st.one_of(st.characters(codec="utf-8"), st.sampled_from([c for c in NASTY if len(c) == 1]))
TEXT = st.one_of(st.text(CHARACTERS, max_size=30), st.sampled_from(NASTY),
                 st.lists(st.sampled_from(NASTY), min_size=1, max_size=4).map("".join))
_NAME_RE = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')


def _form_fields(client: Client, page: str) -> list[str]:
    html = client.get(page).content.decode()
    return sorted(set(_NAME_RE.findall(html)) - {"csrfmiddlewaretoken", "language"})  # language: /i18n/


@pytest.fixture
def forms(citizen_alice, clerks):
    """(role, client, page to read the form from, URL it posts to) for every form."""
    draft_app = draft(citizen_alice, "newborn", materials={})
    blank = drafting.application_create(user=citizen_alice, one_thing_code="business-startup")
    completed = submitted(citizen_alice, "newborn")
    for procedure in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                      "hrss-social-security-card"):
        approve(completed, procedure, clerks[procedure.split("-")[0]])
    correction = submitted(citizen_alice, "newborn")
    health = case_of(correction, "health-birth-certificate")
    deciding.task_claim(case=health, user=clerks["health"])
    deciding.task_complete(case=health, user=clerks["health"], decision="request_correction",
                           corrections={"fields": ["gestational_weeks"], "materials": ["delivery_record"],
                                        "message": "请核对孕周"})
    held = case_of(submitted(citizen_alice, "business-startup"), "amr-licence")
    deciding.task_claim(case=held, user=clerks["amr"])
    citizen, clerk, anonymous = Client(), Client(), Client()
    citizen.force_login(citizen_alice)
    clerk.force_login(clerks["amr"])
    task = f"/workbench/tasks/{held.task_id}/"
    return [
        ("anonymous", anonymous, "/accounts/login/", "/accounts/login/"),
        ("anonymous", anonymous, "/accounts/register/", "/accounts/register/"),
        ("citizen", citizen, f"/applications/{draft_app.pk}/form/", f"/applications/{draft_app.pk}/form/"),
        ("citizen", citizen, f"/applications/{correction.pk}/", f"/applications/{correction.pk}/correct/"),
        ("citizen", citizen, f"/applications/{completed.pk}/", f"/applications/{completed.pk}/evaluate/"),
        ("citizen", citizen, "/accounts/profile/", "/accounts/profile/"),
        ("citizen", citizen, f"/applications/{blank.pk}/guide/", f"/applications/{blank.pk}/guide/"),
        ("clerk", clerk, task, f"{task}decide/"),
        ("clerk", clerk, task, f"{task}assign/"),
        ("clerk", clerk, "/workbench/", "/workbench/"),
    ]


def test_no_form_answers_5xx_to_arbitrary_unicode(forms):
    targets = [(role, client, url, _form_fields(client, page)) for role, client, page, url in forms]
    empty = [url for _, _, url, fields in targets if not set(fields) - {"next"}]
    assert not empty, empty

    @SETTINGS
    @given(target=st.sampled_from(targets), data=st.data())
    def run(target, data):
        role, client, url, fields = target
        body = data.draw(st.fixed_dictionaries({}, optional={name: TEXT | st.lists(TEXT, max_size=2)
                                                             for name in [*fields, "confirmed"]}), label=url)
        with transaction.atomic():
            response = Client(raise_request_exception=False, **{"HTTP_ACCEPT_LANGUAGE": "en"})
            response.cookies = client.cookies
            answer = response.post(url, body) if url != "/workbench/" else response.get(url, body)
            transaction.set_rollback(True)
        assert answer.status_code < 500, (role, url, body, answer.content[:300])

    run()
