"""The proactive stories issue the demo's newborn citizen id (born 2026-11-20, ``tests/stories.py``),
which a form only accepts once that day has passed: their clock is pinned after it, whatever day
the suite runs on (``make test-dates`` runs it on days before)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govflow.applications.models import Offer
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThing

from ..stories import NEWBORN_ANSWERS, approve, submitted
from .story import OFFER_ON_CITIZEN_ID, load

AFTER_THE_BIRTH = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _after_the_birth():
    with time_machine.travel(AFTER_THE_BIRTH, tick=True):
        yield


@pytest.fixture
def offered(citizen_alice, django_capture_on_commit_callbacks) -> Offer:
    """An offer waiting for ``citizen_alice``: her baby's household registration issued the citizen
    id (outside a bundle that enrols the baby), which offers the newborn enrolment."""
    clerks = load(triggers=[OFFER_ON_CITIZEN_ID], newborn_without_insurance=True)
    asked = get_definition(OneThing.objects.get(code="newborn").current_version).asked_fields
    app = submitted(citizen_alice, "newborn", answers={k: v for k, v in NEWBORN_ANSWERS.items() if k in asked})
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "health-birth-certificate", clerks["health"])
        approve(app, "psb-household-registration", clerks["psb"])
    return Offer.objects.get()
