"""The stats tests' shared fixtures: a staff user (every office) and, unless a module has its own,
the holiday-week story read on its last day (tests/stats/holiday.py)."""
from __future__ import annotations

import pytest
import time_machine

from ..factories import UserFactory
from . import holiday


@pytest.fixture
def staff(db):
    return UserFactory(username="stats-staff", is_staff=True)


@pytest.fixture
def story(citizen_alice, clerks):
    return holiday.build(alice=citizen_alice, clerks=clerks)


@pytest.fixture
def on_today():
    with time_machine.travel(holiday.TODAY, tick=False):
        yield
