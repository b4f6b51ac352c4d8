"""API clients for the people in a story."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    """``api(user)`` → an APIClient acting as that user (None: anonymous)."""
    return client_for


def list_queries(client, url: str) -> tuple[int, dict]:
    """The number of queries a GET of a list costs, and its body (which must be a 200)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()
