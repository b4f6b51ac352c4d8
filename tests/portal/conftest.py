"""Fixtures for portal view tests: a signed-in citizen with the demo catalog."""
from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def alice_client(demo_catalog, citizen_alice) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    return client


@pytest.fixture
def charlie_client(demo_catalog, outsider_charlie) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(outsider_charlie)
    return client


@pytest.fixture
def en_client(db) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")
