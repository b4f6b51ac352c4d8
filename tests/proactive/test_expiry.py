"""Offers expire (applications/offer_expiry.py), and a grant for someone on the refusal list waits
as an offer (proactive.not_granted_because)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from govflow.applications import offer_expiry, proactive, refusal_list
from govflow.applications.models import (
    Application,
    ApplicationStatus,
    CaseStatus,
    Offer,
    OfferMode,
    OfferState,
    Origin,
)
from govflow.applications.tasks import expire_offers
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThing
from govflow.errors import InvalidState
from govflow.notifications.models import OutboxMessage, OutboxStatus

from ..api.conftest import client_for
from ..stories import NEWBORN_ANSWERS, approve, case_of, submitted
from .story import GRANT_ON_CITIZEN_ID, OFFER_ON_CITIZEN_ID, load, registered

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

REASON = {"en": "Listed for a false commitment in 2026.", "zh-hans": "因2026年虚假承诺列入。"}


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_triggers_days_set_the_expiry_else_the_setting(citizen_alice, settings, django_capture_on_commit_callbacks):
    settings.GOVFLOW_OFFER_EXPIRES_DAYS = 30
    clerks = load(triggers=[{**OFFER_ON_CITIZEN_ID, "expires_days": 7}], newborn_without_insurance=True)
    registered(citizen_alice, clerks, django_capture_on_commit_callbacks)
    offer = Offer.objects.get()
    assert abs((offer.expires_at - offer.created_at) - timedelta(days=7)) < timedelta(seconds=5)
    assert offer.current_state == OfferState.OFFERED
    now = timezone.now()
    assert offer_expiry.expiry(None, now=now) == now + timedelta(days=30)
    assert offer_expiry.expiry(7, now=now) == now + timedelta(days=7)


def test_a_grant_has_no_expiry(citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(newborn_without_insurance=True)
    registered(citizen_alice, clerks, django_capture_on_commit_callbacks)
    offer = Offer.objects.get()
    assert (offer.mode, offer.state, offer.expires_at, offer.note) == (OfferMode.GRANT, OfferState.ACCEPTED, None, "")


def test_an_expired_offer_is_refused_shown_as_expired_then_swept_once(
        offered, citizen_alice, django_capture_on_commit_callbacks):
    draft_pk = offered.application_id
    with time_machine.travel(offered.expires_at + timedelta(minutes=1), tick=False):
        # Past its expiry it reads expired at once, before the job ran, and cannot be answered.
        api = client_for(citizen_alice)
        body = api.get(f"/api/v1/offers/{offered.pk}/").json()
        assert body["state"] == "expired" and body["expires_at"]
        assert api.get("/api/v1/offers/?state=expired").json()["count"] == 1
        assert api.get("/api/v1/offers/?state=offered").json()["count"] == 0
        response = api.post(f"/api/v1/offers/{offered.pk}/accept/", {}, format="json")
        assert response.status_code == 409 and "expired" in response.json()["detail"]
        assert api.post(f"/api/v1/offers/{offered.pk}/decline/").status_code == 409
        with pytest.raises(InvalidState):
            proactive.offer_accept(offer=offered, user=citizen_alice)
        assert list(proactive.waiting_offers(citizen_alice)) == []
        assert Application.objects.get(pk=draft_pk).status == ApplicationStatus.DRAFT  # nothing changed yet

        with django_capture_on_commit_callbacks(execute=True):
            assert offer_expiry.sweep() == 1
        assert offer_expiry.sweep() == 0  # idempotent
        assert expire_offers(period=1) == 0  # the beat task runs the same sweep

    offered.refresh_from_db()
    assert (offered.state, offered.application) == (OfferState.EXPIRED, None)
    assert offered.decided_at is not None
    assert not Application.objects.filter(pk=draft_pk).exists()  # the unconfirmed draft is gone
    told = OutboxMessage.objects.get(event="application.offer_expired")
    assert told.recipient == citizen_alice and told.status == OutboxStatus.SENT
    assert any(m.to == [citizen_alice.email] and "已过期" in m.subject and f"/offers/{offered.pk}/" in m.body
               for m in mail.outbox)
    with translation.override("en"):
        page = _page(citizen_alice).get(reverse("offer", args=[offered.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200 and 'id="offer-expired"' in body and 'id="offer-accept"' not in body
    # The same event again offers nothing: the expired offer is its record.
    assert proactive.output_event(int(offered.event_id.split("-")[1])).created == []


def test_a_waiting_offer_page_says_until_when(offered, citizen_alice):
    body = _page(citizen_alice).get(reverse("offer", args=[offered.pk])).content.decode()
    assert 'id="offer-expires"' in body and timezone.localtime(offered.expires_at).strftime("%Y-%m-%d") in body


def test_someone_on_the_refusal_list_gets_an_offer_instead_of_a_grant(
        citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(triggers=[GRANT_ON_CITIZEN_ID], newborn_without_insurance=True)
    source = _submitted(citizen_alice)
    refusal_list.refusal_add(application=source, reason=REASON, days=30)
    with django_capture_on_commit_callbacks(execute=True):
        approve(source, "health-birth-certificate", clerks["health"])
        approve(source, "psb-household-registration", clerks["psb"])

    offer = Offer.objects.get()
    assert (offer.mode, offer.state, offer.note) == (OfferMode.OFFER, OfferState.OFFERED,
                                                     "the applicant is on the refusal list")
    draft = offer.application
    assert (draft.status, draft.origin) == (ApplicationStatus.DRAFT, Origin.OFFER)  # nothing decided for them
    assert offer.expires_at is not None
    assert OutboxMessage.objects.filter(event="application.offered", recipient=citizen_alice).exists()
    # They confirm it themselves: an ordinary submission, decided as usual.
    with django_capture_on_commit_callbacks(execute=True):
        app = proactive.offer_accept(offer=offer, user=citizen_alice)
    assert case_of(app, "mi-newborn-insurance-granted").status == CaseStatus.APPROVED


def test_once_off_the_list_the_grant_is_made(citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(triggers=[GRANT_ON_CITIZEN_ID], newborn_without_insurance=True)
    source = _submitted(citizen_alice)
    entry = refusal_list.refusal_add(application=source, reason=REASON, days=30)
    entry.lifted_at = timezone.now()
    entry.save(update_fields=["lifted_at"])
    with django_capture_on_commit_callbacks(execute=True):
        approve(source, "health-birth-certificate", clerks["health"])
        approve(source, "psb-household-registration", clerks["psb"])
    offer = Offer.objects.get()
    assert (offer.mode, offer.state, offer.note) == (OfferMode.GRANT, OfferState.ACCEPTED, "")


def _submitted(citizen):
    asked = get_definition(OneThing.objects.get(code="newborn").current_version).asked_fields
    return submitted(citizen, "newborn", answers={k: v for k, v in NEWBORN_ANSWERS.items() if k in asked})
