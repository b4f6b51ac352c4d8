"""API clients for the people in a story."""
from __future__ import annotations

import pytest
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
