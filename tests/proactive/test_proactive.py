"""Proactive services (免申即享): events offer or grant a one thing before anyone asks
(applications/proactive.py, docs/proactive.md)."""
from __future__ import annotations

import pytest
from django.core import mail

from govflow.accounts.models import User
from govflow.applications import eligibility, proactive
from govflow.applications.models import (
    Application,
    ApplicationStatus,
    CaseStatus,
    IssuedOutput,
    Offer,
    OfferMode,
    OfferState,
    Origin,
    TimelineEntry,
)
from govflow.errors import InvalidInput, InvalidState, NotFound
from govflow.notifications import delivery
from govflow.notifications.models import OutboxMessage, OutboxStatus

from ..factories import CitizenFactory
from ..stories import NEWBORN_ANSWERS, OUTPUTS, approve, case_of
from .story import OFFER_ON_CITIZEN_ID, load, registered

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

CITIZEN_ID = OUTPUTS["psb-household-registration"]["citizen_id"]


def event_rows(app) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(application=app, kind="proactive_event").order_by("id"))


def test_the_citizen_id_grants_the_newborn_enrolment_decided_by_its_automatic_checker(
        citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(newborn_without_insurance=True)
    source = registered(citizen_alice, clerks, django_capture_on_commit_callbacks)

    offer = Offer.objects.get()
    assert (offer.mode, offer.state, offer.event_source) == (OfferMode.GRANT, OfferState.ACCEPTED, "output:citizen_id")
    output = IssuedOutput.objects.get(application=source, code="citizen_id")
    assert offer.event_id == f"output-{output.pk}" and offer.applicant == citizen_alice
    granted = offer.application
    assert (granted.origin, granted.one_thing.code, granted.applicant) == (Origin.GRANT, "newborn-insurance",
                                                                            citizen_alice)
    # What is known was filled in: the event's answers and its output.
    assert granted.data["citizen_id"] == CITIZEN_ID and granted.data["baby_name"] == NEWBORN_ANSWERS["baby_name"]
    # Decided by the automatic checker through the same engine: system account, timeline, outputs.
    case = case_of(granted, "mi-newborn-insurance-granted")
    assert case.status == CaseStatus.APPROVED and case.decided_by == User.objects.get(username="dept-mi-system")
    granted.refresh_from_db()
    assert (granted.status, granted.outcome) == (ApplicationStatus.COMPLETED, "approved")
    assert IssuedOutput.objects.get(application=granted).code == "newborn_insurance_no"
    kinds = list(TimelineEntry.objects.filter(application=granted).order_by("at", "id").values_list("kind", flat=True))
    assert kinds[:2] == ["application.granted", "application.submitted"] and kinds[-1] == "application.completed"
    # The citizen is told (the decision's and the completion's notifications).
    assert OutboxMessage.objects.filter(application=granted, kind="notification", recipient=citizen_alice,
                                        event="application.completed").exists()
    # The events were carried out after the decision's commit, through the outbox.
    assert {r.status for r in event_rows(source)} == {OutboxStatus.SENT}


def test_the_newborn_bundle_with_its_own_enrolment_step_triggers_nothing(
        citizen_alice, django_capture_on_commit_callbacks):
    clerks = load()
    source = registered(citizen_alice, clerks, django_capture_on_commit_callbacks)
    assert not Offer.objects.exists()
    assert Application.objects.filter(origin__in=[Origin.GRANT, Origin.OFFER]).count() == 0
    citizen_id_row = next(r for r in event_rows(source) if "the rule does not hold" in r.result)
    assert citizen_id_row.status == OutboxStatus.SENT


def test_the_same_event_delivered_again_creates_nothing(citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(newborn_without_insurance=True)
    source = registered(citizen_alice, clerks, django_capture_on_commit_callbacks)
    applications = Application.objects.count()
    for row in event_rows(source):
        OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)  # as if redelivered
        with django_capture_on_commit_callbacks(execute=True):
            assert delivery.deliver(row.pk).status == "sent"
    assert Offer.objects.count() == 1 and Application.objects.count() == applications
    assert any("already done for this event" in r.result for r in event_rows(source))


def test_an_offer_waits_prefilled_and_is_confirmed_in_one_step(citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(triggers=[OFFER_ON_CITIZEN_ID], newborn_without_insurance=True)
    registered(citizen_alice, clerks, django_capture_on_commit_callbacks)

    offer = Offer.objects.get()
    assert (offer.mode, offer.state) == (OfferMode.OFFER, OfferState.OFFERED)
    draft = offer.application
    assert (draft.status, draft.origin) == (ApplicationStatus.DRAFT, Origin.OFFER)
    assert draft.data["citizen_id"] == CITIZEN_ID and draft.data["mother_id"] == NEWBORN_ANSWERS["mother_id"]
    told = OutboxMessage.objects.get(event="application.offered")
    assert told.recipient == citizen_alice and told.status == OutboxStatus.SENT
    assert any(m.to == [citizen_alice.email] and "新生儿医保参保" in m.subject and f"/offers/{offer.pk}/" in m.body
               for m in mail.outbox)
    assert list(proactive.waiting_offers(citizen_alice)) == [offer]

    with django_capture_on_commit_callbacks(execute=True):
        app = proactive.offer_accept(offer=offer, user=citizen_alice)
    app.refresh_from_db()
    assert app.pk == draft.pk and app.origin == Origin.OFFER and app.number
    offer.refresh_from_db()
    assert offer.state == OfferState.ACCEPTED and offer.decided_at is not None
    assert case_of(app, "mi-newborn-insurance-granted").status == CaseStatus.APPROVED  # its checker decided
    # Accepting again is idempotent: the same application, nothing new.
    assert proactive.offer_accept(offer=offer, user=citizen_alice).pk == app.pk
    kinds = list(TimelineEntry.objects.filter(application=app).order_by("at", "id").values_list("kind", flat=True))
    assert kinds[:2] == ["application.offered", "application.submitted"] and kinds.count("application.submitted") == 1
    with pytest.raises(InvalidState):
        proactive.offer_decline(offer=offer, user=citizen_alice)
    assert list(proactive.waiting_offers(citizen_alice)) == []


def test_a_declined_offer_deletes_its_draft_and_is_never_offered_again(
        citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(triggers=[OFFER_ON_CITIZEN_ID], newborn_without_insurance=True)
    source = registered(citizen_alice, clerks, django_capture_on_commit_callbacks)
    offer = Offer.objects.get()
    draft_pk = offer.application_id

    declined = proactive.offer_decline(offer=offer, user=citizen_alice)
    assert declined.state == OfferState.DECLINED and declined.application is None
    assert not Application.objects.filter(pk=draft_pk).exists()
    assert proactive.offer_decline(offer=offer, user=citizen_alice).state == OfferState.DECLINED  # again: same
    with pytest.raises(InvalidState):
        proactive.offer_accept(offer=offer, user=citizen_alice)
    for row in event_rows(source):  # the same event again: still declined, nothing new
        OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)
        delivery.deliver(row.pk)
    assert Offer.objects.count() == 1 and Offer.objects.get().state == OfferState.DECLINED


def test_another_persons_offer_is_not_found(citizen_alice, citizen_carol, django_capture_on_commit_callbacks):
    clerks = load(triggers=[OFFER_ON_CITIZEN_ID], newborn_without_insurance=True)
    registered(citizen_alice, clerks, django_capture_on_commit_callbacks)
    offer = Offer.objects.get()
    for action in (proactive.offer_accept, proactive.offer_decline):
        with pytest.raises(NotFound):
            action(offer=offer, user=citizen_carol)
    with pytest.raises(NotFound):
        proactive.offer_for(citizen_carol, offer.pk)
    with pytest.raises(NotFound):
        proactive.offer_for(citizen_alice, "x")
    offer.refresh_from_db()
    assert offer.state == OfferState.OFFERED


def test_an_eligibility_list_grants_what_it_can_and_offers_the_rest(django_capture_on_commit_callbacks):
    load(triggers=[{"on": "import:newborns", "when": "event.data.county == '330106'", "mode": "grant"}])
    complete, partial, elsewhere = CitizenFactory(), CitizenFactory(), CitizenFactory()
    known = {k: NEWBORN_ANSWERS[k] for k in ("baby_name", "birth_date", "mother_name", "mother_id",
                                             "household_address")}
    rows = [
        {"event_id": "psb-1", "id_number": complete.id_number, "county": "330106", "citizen_id": CITIZEN_ID, **known},
        {"event_id": "psb-2", "id_number": partial.id_number.lower(), "county": "330106", "citizen_id": CITIZEN_ID},
        {"event_id": "psb-3", "id_number": elsewhere.id_number, "county": "330102", "citizen_id": CITIZEN_ID},
        {"event_id": "psb-4", "id_number": "11010519491231002X", "county": "330106"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        report = eligibility.import_eligibility("newborns", rows)
    assert (report.created, report.already, report.not_eligible, report.unknown) == (2, 0, 1, ["psb-4"])
    granted = Offer.objects.get(applicant=complete)
    assert (granted.mode, granted.state, granted.application.origin) == ("grant", "accepted", Origin.GRANT)
    assert case_of(granted.application, "mi-newborn-insurance-granted").status == CaseStatus.APPROVED
    # Not enough is known to decide without the citizen: it waits as an offer instead.
    offered = Offer.objects.get(applicant=partial)
    assert (offered.mode, offered.state, offered.application.status) == ("offer", "offered", ApplicationStatus.DRAFT)
    assert offered.application.data == {"citizen_id": CITIZEN_ID}
    assert not Offer.objects.filter(applicant=elsewhere).exists()

    again = eligibility.import_eligibility("newborns", rows)  # the same list again: nothing new
    assert (again.created, again.already) == (0, 2) and Offer.objects.count() == 2


def test_an_eligibility_list_with_any_bad_row_changes_nothing():
    load(triggers=[{"on": "import:newborns", "mode": "offer"}])
    person = CitizenFactory()
    rows = [{"event_id": "1", "id_number": person.id_number}, {"event_id": "1", "id_number": person.id_number},
            {"id_number": person.id_number}, {"event_id": "3", "id_number": person.id_number, "uscc": "X"}, "row"]
    with pytest.raises(InvalidInput) as caught:
        eligibility.import_eligibility("newborns", rows)
    assert set(caught.value.errors["rows"]) == {"2", "3", "4", "5"}
    assert not Offer.objects.exists() and not Application.objects.exists()
    with pytest.raises(InvalidInput):
        eligibility.import_eligibility("nobody-listens", [])


def test_a_completed_application_can_trigger_an_offer(citizen_alice, django_capture_on_commit_callbacks):
    clerks = load(triggers=[{"on": "completed:newborn", "when": "event.outcome == 'approved'", "mode": "offer"}])
    app = registered(citizen_alice, clerks, django_capture_on_commit_callbacks)
    assert not Offer.objects.exists()  # not completed yet
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "hrss-social-security-card", clerks["hrss"])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.COMPLETED
    offer = Offer.objects.get()
    assert (offer.event_source, offer.event_id, offer.event_data["outcome"]) == (
        "completed:newborn", f"application-{app.pk}", "approved")
    assert offer.application.data["baby_name"] == NEWBORN_ANSWERS["baby_name"]


def test_the_person_facts_a_rule_reads(citizen_alice):
    from datetime import date

    facts = proactive.person_facts(person=citizen_alice, today=date(2026, 12, 7))
    assert facts["id_number"] == citizen_alice.id_number
    assert facts["birth_date"] == f"{citizen_alice.id_number[6:10]}-{citizen_alice.id_number[10:12]}-" \
                                  f"{citizen_alice.id_number[12:14]}"
    born = date.fromisoformat(facts["birth_date"])
    assert facts["age"] == 2026 - born.year - ((12, 7) < (born.month, born.day))
