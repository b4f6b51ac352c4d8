"""Building blocks for 告知承诺制 stories: the demo with the premises commitment at a chosen rate,
an application whose premises proof is a signed commitment, approved at a pinned time."""
from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from govflow.applications import commitments
from govflow.applications.services import submitting
from govflow.catalog.services import import_catalog

from .conftest import load_demo_document
from .stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, approve, draft

#: Wednesday 9 December 2026, 10:00 in Shanghai: no public holiday in the weeks after it.
APPROVED_AT = datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SMALL_BUSINESS = dict(BUSINESS_ANSWERS, has_employees=False)
WITHOUT_PREMISES = {k: v for k, v in BUSINESS_MATERIALS.items() if k != "premises_proof"}


def with_rate(rate: float, days: int = 5, refusal_days: int = 30) -> None:
    """Publish the demo with the premises commitment at ``rate``, due in ``days`` working days."""
    doc = copy.deepcopy(load_demo_document())
    procedure = next(p for p in doc["procedures"] if p["code"] == "amr-licence")
    entry = next(e for e in procedure["materials"] if e["material"] == "premises_proof")
    entry["commitment"] = {**entry["commitment"], "verify_rate": rate, "verify_days": days,
                           "refusal_days": refusal_days}
    import_catalog(doc)


def committed_application(user):
    """A submitted business start-up (no employees) whose premises proof is a signed commitment."""
    app = draft(user, "business-startup", answers=SMALL_BUSINESS, materials=WITHOUT_PREMISES)
    commitments.commitment_sign(application=app, user=user, material_code="premises_proof", confirmed=True)
    return submitting.application_submit(application=app, user=user)


def approved(user, clerk):
    """:func:`committed_application` with its licence approved at :data:`APPROVED_AT`."""
    app = committed_application(user)
    with time_machine.travel(APPROVED_AT, tick=False):
        approve(app, "amr-licence", clerk)
    return app
