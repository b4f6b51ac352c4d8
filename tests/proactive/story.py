"""A catalog for proactive services' tests: the demo with its proactive one thing, and a way to
shape that one thing's triggers and the newborn one thing's steps."""
from __future__ import annotations

import copy
import json

from govflow.catalog.services import import_catalog
from govflow.demo.management.commands.seed_demo import DEMO_PROACTIVE, with_additions

from ..conftest import load_demo_document
from ..factories import MembershipFactory, UserFactory

GRANT_ON_CITIZEN_ID = {"on": "output:citizen_id", "when": '!("mi-newborn-insurance" in event.procedures)',
                       "mode": "grant"}
OFFER_ON_CITIZEN_ID = {**GRANT_ON_CITIZEN_ID, "mode": "offer"}


def proactive_document(*, triggers: list | None = None, newborn_without_insurance: bool = False,
                       childcare_offer: bool = False) -> dict:
    """The demo with its proactive additions. The childcare subsidy's procedure trigger (offered on
    every citizen id) is left out unless ``childcare_offer``: these stories watch the enrolment."""
    doc = with_additions(load_demo_document(), json.loads(DEMO_PROACTIVE.read_text(encoding="utf-8")))
    doc = copy.deepcopy(doc)
    if not childcare_offer:
        next(p for p in doc["procedures"] if p["code"] == "health-childcare-subsidy").pop("triggers", None)
    if triggers is not None:
        next(o for o in doc["one_things"] if o["code"] == "newborn-insurance")["triggers"] = triggers
    if newborn_without_insurance:
        # A household registration outside a bundle that enrols the baby (as in a county that
        # bundles birth and registration only): the event the proactive enrolment listens to.
        newborn = next(o for o in doc["one_things"] if o["code"] == "newborn")
        newborn["steps"] = [s for s in newborn["steps"] if s["procedure"] != "mi-newborn-insurance"]
    return doc


def load(**kwargs) -> dict:
    """Import the catalog; one clerk per department, by code."""
    return load_document(proactive_document(**kwargs))


def load_document(doc: dict) -> dict:
    """Import ``doc``; one clerk per department, by code."""
    from govflow.catalog.models import Department

    import_catalog(doc)
    clerks = {}
    for department in Department.objects.all():
        clerks[department.code] = UserFactory(username=f"clerk-{department.code}")
        MembershipFactory(user=clerks[department.code], department=department)
    return clerks


def registered(citizen, clerks, capture):
    """A newborn application whose household registration issued the baby's citizen id, with every
    after-commit job (the outbox) carried out."""
    from govflow.catalog.definition import get_definition
    from govflow.catalog.models import OneThing

    from ..stories import NEWBORN_ANSWERS, approve, submitted

    asked = get_definition(OneThing.objects.get(code="newborn").current_version).asked_fields
    app = submitted(citizen, "newborn", answers={k: v for k, v in NEWBORN_ANSWERS.items() if k in asked})
    with capture(execute=True):
        approve(app, "health-birth-certificate", clerks["health"])
        approve(app, "psb-household-registration", clerks["psb"])
    return app
