"""Every test of background delivery runs with the fast-retry, in-memory-SMS settings."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _notification_settings(notification_settings):
    yield
