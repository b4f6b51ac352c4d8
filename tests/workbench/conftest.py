"""Workbench test helpers: logged-in clients and a case waiting in Market Regulation's queue."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
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


#: Wednesday 9 December 2026, 10:00 in Shanghai: an ordinary working day (no holiday near it).
WORKING_DAY = datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def on_a_working_day():
    """Pin the clock to :data:`WORKING_DAY`, for tests whose expected texts ("2 working days
    overdue") count working days from a today that must itself be a working day."""
    with time_machine.travel(WORKING_DAY, tick=False):
        yield WORKING_DAY
