"""Workbench test helpers: logged-in clients and a case waiting in Market Regulation's queue."""
from __future__ import annotations

import pytest
from django.test import Client

from ..stories import case_of, submitted


@pytest.fixture
def as_user():
    """``as_user(user)`` → a test client logged in as ``user`` (English pages unless asked)."""

    def make(user, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def business(citizen_alice, demo_catalog):
    """A submitted business-startup application: amr-licence queued, the rest waiting for it."""
    return submitted(citizen_alice, "business-startup")


@pytest.fixture
def amr_case(business):
    return case_of(business, "amr-licence")
