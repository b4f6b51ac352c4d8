"""The proactive stories issue the demo's newborn citizen id (born 2026-11-20, ``tests/stories.py``),
which a form only accepts once that day has passed: their clock is pinned after it, whatever day
the suite runs on (``make test-dates`` runs it on days before)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

AFTER_THE_BIRTH = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _after_the_birth():
    with time_machine.travel(AFTER_THE_BIRTH, tick=True):
        yield
