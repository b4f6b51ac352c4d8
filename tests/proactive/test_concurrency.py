"""Real threads on PostgreSQL: the same event, delivered at the same instant, offers or grants once."""
from __future__ import annotations

import pytest
from django.db import connection

from govflow.applications import eligibility, proactive
from govflow.applications.models import Application, IssuedOutput, Offer, Origin

from ..factories import CitizenFactory
from ..stories import NEWBORN_ANSWERS, OUTPUTS, approve, submitted
from ..threads import run_together
from .story import GRANT_ON_CITIZEN_ID, load

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def test_one_output_event_handled_by_four_workers_at_once_grants_once():
    from govflow.catalog.definition import get_definition
    from govflow.catalog.models import OneThing

    clerks = load(newborn_without_insurance=True, triggers=[])  # the registration's own event finds no trigger
    citizen = CitizenFactory()
    asked = get_definition(OneThing.objects.get(code="newborn").current_version).asked_fields
    app = submitted(citizen, "newborn", answers={k: v for k, v in NEWBORN_ANSWERS.items() if k in asked})
    approve(app, "health-birth-certificate", clerks["health"])
    approve(app, "psb-household-registration", clerks["psb"])
    assert not Offer.objects.exists()
    OneThing.objects.filter(code="newborn-insurance").update(triggers=[GRANT_ON_CITIZEN_ID])
    output = IssuedOutput.objects.get(application=app, code="citizen_id")

    results = run_together([lambda: proactive.output_event(output.pk)] * 4)

    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(len(r.created) for r in results) == 1
    assert sum("already done" in s for r in results for s in r.skipped) == 3
    offer = Offer.objects.get()
    assert offer.application.origin == Origin.GRANT and offer.application.number
    assert Application.objects.filter(one_thing__code="newborn-insurance").count() == 1
    assert OUTPUTS["psb-household-registration"]["citizen_id"] == offer.application.data["citizen_id"]


def test_one_list_row_pushed_twice_at_once_offers_once():
    load(triggers=[{"on": "import:newborns", "mode": "offer"}])
    person = CitizenFactory()
    rows = [{"event_id": "psb-1", "id_number": person.id_number}]

    results = run_together([lambda: eligibility.import_eligibility("newborns", rows)] * 3)

    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted((r.created, r.already) for r in results) == [(0, 1), (0, 1), (1, 0)]
    assert Offer.objects.count() == 1 and Application.objects.count() == 1


def _offer_waiting():
    from datetime import timedelta

    from django.utils import timezone

    from ..stories import NEWBORN_ANSWERS

    load(triggers=[{"on": "import:newborns", "mode": "offer"}])
    person = CitizenFactory()
    known = {k: NEWBORN_ANSWERS[k] for k in ("baby_name", "birth_date", "mother_name", "mother_id",
                                             "household_address")}
    citizen_id = OUTPUTS["psb-household-registration"]["citizen_id"]
    eligibility.import_eligibility("newborns", [{"event_id": "psb-1", "id_number": person.id_number,
                                               "citizen_id": citizen_id, **known}])
    offer = Offer.objects.get()
    return offer, person, timezone.now() + timedelta(days=365)


def test_three_expiry_sweeps_at_once_expire_an_offer_once():
    from govflow.applications import offer_expiry
    from govflow.applications.models import OfferState
    from govflow.notifications.models import OutboxMessage

    offer, person, later = _offer_waiting()
    draft = offer.application_id

    results = run_together([lambda: offer_expiry.sweep(now=later)] * 3)

    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(results) == 1
    offer.refresh_from_db()
    assert offer.state == OfferState.EXPIRED and not Application.objects.filter(pk=draft).exists()
    assert OutboxMessage.objects.filter(event="application.offer_expired", recipient=person).count() == 1


def test_accepting_while_the_sweep_expires_ends_one_way_only():
    from govflow.applications import offer_expiry
    from govflow.applications.models import OfferState
    from govflow.errors import InvalidState

    offer, person, later = _offer_waiting()
    draft = offer.application_id

    results = run_together([lambda: offer_expiry.sweep(now=later),
                            lambda: proactive.offer_accept(offer=offer, user=person)])

    offer.refresh_from_db()
    swept, accepted = results
    assert not isinstance(swept, Exception), swept
    if offer.state == OfferState.ACCEPTED:  # accepted first: the sweep found nothing to expire
        assert swept == 0 and isinstance(accepted, Application) and accepted.pk == draft and accepted.number
    else:  # expired first: the acceptance was refused, nothing submitted
        assert offer.state == OfferState.EXPIRED and swept == 1 and isinstance(accepted, InvalidState)
        assert not Application.objects.filter(pk=draft).exists()
