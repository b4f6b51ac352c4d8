"""GovStack clients for tests: each request goes through govflow's token authentication with an
``Information-Mediator-Client`` header, and EVERY response is checked against the GovStack OpenAPI
documents (``contract.check``): the status must be one the operation documents, or a 4xx with a
``systemError`` body; the body must match the documented schema."""
from __future__ import annotations

from datetime import timedelta

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from govflow.govstack.models import Client

from .contract import check

PORTAL = "eGovStack/GOV/90000009/portal"
PREFIX = "/govstack/registration"


class GovStack:
    """One person's GovStack client (``user`` None: no credentials)."""

    def __init__(self, commit, user=None, header: str | None = PORTAL):
        self.client = APIClient()
        self.commit = commit
        extra = {}
        if user is not None:
            _instance, token = AuthToken.objects.create(user)
            extra["HTTP_AUTHORIZATION"] = f"Token {token}"
        if header is not None:
            extra["HTTP_INFORMATION_MEDIATOR_CLIENT"] = header
        self.client.credentials(**extra)

    def call(self, method: str, template: str, *, params: dict | None = None, query: dict | None = None,
             body=None, fmt: str = "json", document: str = "registration"):
        path = template.format(**(params or {}))
        url = PREFIX + path
        with self.commit(execute=True):
            if method == "get":
                response = self.client.get(url, query)
            else:
                if query:
                    url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
                response = getattr(self.client, method)(url, body, format=fmt)
        check(document, method, template, response)
        return response

    def get(self, template: str, **kwargs):
        return self.call("get", template, **kwargs)

    def post(self, template: str, **kwargs):
        return self.call("post", template, **kwargs)

    def put(self, template: str, **kwargs):
        return self.call("put", template, **kwargs)


@pytest.fixture(autouse=True)
def _tokens_outlive_the_story(settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=60)}


@pytest.fixture
def portal(db):
    """A portal registered to no account: it relays its own users' tokens."""
    return Client.objects.create(identifier=PORTAL, name="Portal")


@pytest.fixture
def govstack(django_capture_on_commit_callbacks, portal):
    """``govstack(user, header=PORTAL)`` → a :class:`GovStack` client."""
    return lambda user=None, header=PORTAL: GovStack(django_capture_on_commit_callbacks, user, header)
