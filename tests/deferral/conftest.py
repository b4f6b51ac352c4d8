"""容缺受理 stories: the newborn one thing with the delivery record left to follow."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govflow.applications.services import submitting
from govflow.catalog.models import OneThing, Procedure
from govflow.catalog.services import publish_one_thing

from ..stories import NEWBORN_MATERIALS, draft

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday before the 2026 Mid-Autumn Festival (Friday 25 September, a public holiday), then a weekend.
THURSDAY = datetime(2026, 9, 24, 10, 0, tzinfo=SHANGHAI)
WITHOUT_DELIVERY_RECORD = {k: v for k, v in NEWBORN_MATERIALS.items() if k != "delivery_record"}
BIRTH = "health-birth-certificate"


def newborn_draft(user):
    return draft(user, "newborn", materials=WITHOUT_DELIVERY_RECORD)


def submit_deferring(app, user, **kwargs):
    return submitting.application_submit(application=app, user=user, defer=["delivery_record"],
                                       accept_deferral_terms=True, **kwargs)


@pytest.fixture
def frozen():
    with time_machine.travel(THURSDAY, tick=False) as clock:
        yield clock


@pytest.fixture
def policy(demo_catalog):
    """Change the birth certificate's deferral policy in the published version (re-published)."""
    def set_policy(**values):
        Procedure.objects.filter(code=BIRTH).update(**{f"deferral_{k}": v for k, v in values.items()})
        publish_one_thing(one_thing=OneThing.objects.get(code="newborn"))

    return set_policy
