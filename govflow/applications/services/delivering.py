"""Physical results on their way to the applicant: started at approval, advanced by clerks."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from govflow.catalog.definition import Definition
from govflow.errors import (
    InvalidInput,
    InvalidState,
    NotAllowed,
    NotFound,
)

from .. import delivery as delivery_rules
from .. import engine
from ..models import (
    Case,
    Delivery,
    DeliveryState,
)
from .common import engine_step, is_party, lock_application, require_member

# ---------------------------------------------------------------------------------------------
# physical results on their way to the applicant


def _delivery_data(delivery: Delivery) -> dict:
    """What a delivery's timeline entry and notification say: which result, how, where, the tracking number."""
    data: dict[str, Any] = {"result": delivery.code, "label": delivery.label, "method": delivery.method,
                            "state": delivery.state}
    if delivery.pickup_office_id:
        data["office"] = {"code": delivery.pickup_office.code, "name": delivery.pickup_office.name}
    if delivery.tracking_number:
        data["tracking_number"] = delivery.tracking_number
    return data


def _delivery_message(delivery: Delivery) -> str:
    """The entry's message (in no language): the tracking number once posted, else the pick-up
    office's code; ``data`` names the office in every language."""
    if delivery.tracking_number:
        return delivery.tracking_number
    return delivery.pickup_office.code if delivery.pickup_office_id else ""


def start_deliveries(s: engine.EngineSession, definition: Definition, case: Case, now: Any) -> None:
    """An approved case's physical results start on their way, being prepared (the applicant's choice
    made at submission says how). An application submitted before its procedure issued anything
    physical has no choice: nothing is tracked for it."""
    app = s.application
    results = definition.physical_results_of(case.procedure_code)
    if not results or not app.delivery_method:
        return
    rows = [Delivery(application=app, case=case, code=r["code"], label=r.get("label") or {}, method=app.delivery_method,
                     pickup_office=app.pickup_office if app.delivery_method == "pickup" else None,
                     state=DeliveryState.PREPARING, created_at=now, updated_at=now) for r in results]
    Delivery.objects.bulk_create(rows)
    for row in rows:
        s.log("delivery.preparing", case=case, message=_delivery_message(row), data=_delivery_data(row))


@engine_step
@transaction.atomic
def delivery_advance(*, delivery: Delivery, user: Any, state: Any, tracking_number: Any = "") -> Delivery:
    """A clerk of the case's office moves a physical result on: ready for pick-up, then collected;
    or posted (with the carrier's tracking number), then delivered. Only the next state of its
    method is accepted; each move is on the timeline and told to the applicant. Anyone but a
    clerk or supervisor of the office: not found."""
    app = lock_application(delivery.application_id)
    fresh = (Delivery.objects.select_related("case__office", "case__department", "pickup_office")
             .filter(pk=delivery.pk, application=app).first())
    if fresh is None:
        raise NotFound("Delivery not found.")
    require_member(user, fresh.case.office_id)
    if state not in DeliveryState.values or state == DeliveryState.PREPARING:
        raise InvalidInput("Unknown state.", errors={"state": ["One of: ready, posted, collected, delivered."]})
    if is_party(app, user):
        raise NotAllowed("You cannot handle a case of your own application.")
    expected = delivery_rules.next_state(fresh.method, fresh.state)
    if state != expected:
        raise InvalidState("This result cannot move to that state now.")
    if state == DeliveryState.POSTED:
        fresh.tracking_number = delivery_rules.check_tracking_number(tracking_number)
    fresh.state = state
    fresh.updated_at = timezone.now()
    fresh.save(update_fields=["state", "tracking_number", "updated_at"])
    with engine.session(app, [fresh.case], actor=user) as s:
        data = _delivery_data(fresh)
        s.log(f"delivery.{state}", case=fresh.case, message=_delivery_message(fresh), data=data)
        s.notify(f"delivery.{state}", payload={"procedure": fresh.case.procedure_code, "number": app.number,
                                               **data})
    return fresh
