"""Every portal form that a person fills in reports all its mistakes at once, from the server: the
browser's own checks (one bubble at a time, the first mistake only) are off (``novalidate``) on every
form whose controls carry ``required``/``pattern``/``min``... (issue 17, "forms report errors one
round at a time"). The browser side of the correction form is in tests/e2e/test_portal.py."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from govflow.applications.services import deciding, drafting

from ..stories import case_of, submitted
from .conftest import client_for

pytestmark = pytest.mark.django_db

CHECKED = ("required", "pattern", "min", "max", "minlength", "maxlength")


class _Forms(HTMLParser):
    """The POST forms of a page: (id or action, novalidate?, whether a control carries a browser check)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form" and (named.get("method") or "").lower() == "post":
            self._open = {"name": named.get("id") or named.get("action"), "novalidate": "novalidate" in named,
                          "checked": False}
            self.forms.append(self._open)
        elif self._open is not None and tag in ("input", "select", "textarea") and any(a in named for a in CHECKED):
            self._open["checked"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def forms_of(client: Client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Forms()
    parser.feed(response.content.decode())
    return parser.forms


def test_every_portal_form_with_browser_checks_leaves_them_to_the_server(demo_catalog, citizen_alice, clerks):
    correcting = submitted(citizen_alice, "business-startup")
    case = case_of(correcting, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    deciding.task_complete(case=case, user=clerks["amr"], decision="request_correction", corrections={
        "fields": ["company_name"], "materials": ["premises_proof"], "message": "Please correct the name."})
    draft = drafting.application_create(user=citizen_alice, one_thing_code="business-startup",
                                        data={"has_employees": True})
    signed_in = client_for(citizen_alice)
    pages = {
        (Client(HTTP_ACCEPT_LANGUAGE="en"), reverse("register")): "main-form",
        (signed_in, reverse("profile")): "main-form",
        (signed_in, reverse("apply-guide", args=[draft.pk])): "main-form",
        (signed_in, reverse("apply-form", args=[draft.pk])): "main-form",
        (signed_in, reverse("application", args=[correcting.pk])): "correction-form",
    }
    for (client, url), expected in pages.items():
        forms = forms_of(client, url)
        assert expected in [f["name"] for f in forms], (url, forms)
        checked = [f for f in forms if f["checked"]]
        assert checked, f"{url}: no form with browser checks; the test would prove nothing"
        assert all(f["novalidate"] for f in checked), (url, [f["name"] for f in checked if not f["novalidate"]])
