"""Fixtures of the designer's tests: a superuser designer, and the admin's pages in English."""
from __future__ import annotations

import pytest

from ..factories import UserFactory


@pytest.fixture
def designer(db):
    return UserFactory(username="designer", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _english(client):
    """The pages in English (the default language is Chinese); messages are asserted in English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def admin_client(client, designer):
    client.force_login(designer)
    return client
