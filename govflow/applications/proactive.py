"""Proactive services (免申即享): the state offers or grants a one thing before anyone asks.

A published one thing lists triggers (``govflow.catalog.triggers``, ``docs/proactive.md``). When an
event happens — a case issued an output, an application completed, a department's eligibility list
names someone — :func:`handle_event` evaluates the triggers listening to it, each with its CEL rule
over ``event`` and ``person``, and for each that holds:

* **offer**: a pre-filled draft (``Application.origin = "offer"``) is created for the party, with
  what is known already (the event's answers and outputs for the fields the one thing asks, then the
  profile and wallet, ``prefill.py``); the applicant confirms it in one step (:func:`offer_accept`,
  the ordinary submission) or declines it (:func:`offer_decline`: the draft is deleted, the offer
  stays, declined);
* **grant**: the same draft is submitted at once (``origin = "grant"``) and its automatic checkers
  decide it through the same engine, timeline and notifications. A grant whose form is not complete
  with what is known, whose one thing no longer has an automatic checker on every step, or whose
  applicant is on the refusal list (:func:`not_granted_because`) becomes an offer instead: nothing
  is decided without the applicant unless it can be.

An offer expires (``offer_expiry.py``). A procedure's triggers act through the one things made of
that procedure alone (:func:`listening`).

**Idempotent on the event**: an :class:`~.models.Offer` row per (one thing, event, party) under a
unique constraint, inserted in a savepoint before anything else, so that the same event delivered
twice, or concurrently, creates one application.

Event data (the ``event`` map of a trigger's rule):

* ``output:<code>``: ``source`` ("output"), ``code``, ``value``, ``procedure`` (that issued it),
  ``one_thing``, ``application`` (its number), ``procedures`` (the source application's applicable
  procedures), ``data`` (its answers), ``outputs`` (every output it issued so far);
* ``completed:<code>``: ``source``, ``one_thing``, ``application``, ``outcome``, ``procedures``,
  ``data``, ``outputs``;
* ``import:<name>``: ``source``, ``name`` and the row's columns (``data``).

``person``: for a person ``name``, ``id_number``, ``phone``, ``email`` (those known), ``birth_date``
(from the id number, ``YYYY-MM-DD``) and ``age`` (whole years, today in Asia/Shanghai); for an
organisation ``name`` and ``uscc``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from govflow.catalog.calendar import local_date
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThing
from govflow.catalog.triggers import Trigger, parse_triggers, procedures_with_triggers
from govflow.errors import DomainError, InvalidState, NotFound
from govflow.parties.selectors import MYSELF, Principal, holders_of

from . import engine, offer_expiry, refusal_list
from .models import (
    Application,
    ApplicationStatus,
    CaseStatus,
    IssuedOutput,
    Offer,
    OfferMode,
    OfferState,
    Origin,
)
from .prefill import known_answers
from .services import drafting, submitting

logger = logging.getLogger(__name__)


# -- what the rules read ----------------------------------------------------------------------

def _birth_date(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, TypeError):
        return None


def person_facts(*, person: Any = None, organisation: Any = None, today: date | None = None) -> dict[str, Any]:
    """The ``person`` map of a trigger's rule (see the module docstring)."""
    if organisation is not None:
        return {k: v for k, v in {"name": organisation.name, "uscc": organisation.uscc}.items() if v}
    if person is None:
        return {}
    facts: dict[str, Any] = dict(person.profile_answers())
    born = _birth_date(facts.get("id_number", ""))
    if born is not None:
        today = today or local_date(timezone.now())
        facts["birth_date"] = born.isoformat()
        facts["age"] = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return facts


def _application_facts(app: Application) -> dict[str, Any]:
    outputs: dict[str, str] = {}
    for code, value in (IssuedOutput.objects.filter(application=app).order_by("issued_at", "id")
                        .values_list("code", "value")):
        outputs[code] = value
    procedures = list(app.cases.exclude(status=CaseStatus.CANCELLED).order_by("position", "id")
                      .values_list("procedure_code", flat=True))
    return {"one_thing": app.one_thing.code, "application": app.number or "", "procedures": procedures,
            "data": dict(app.data or {}), "outputs": outputs}


# -- results -----------------------------------------------------------------------------------

@dataclass
class EventResult:
    """What one event did: offers (and grants) created, and triggers skipped with why."""

    created: list[Offer] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{len(self.created)} created"
        if self.skipped:
            text += "; " + "; ".join(self.skipped)
        return text[:200]


def listening(source: str, name: str) -> list[tuple[OneThing, Trigger]]:
    """Published one things with a trigger on ``source:name``, their own or their procedure's (2
    queries, 3 when a procedure listens: a JSON list is not portably searchable, and triggers are few)."""
    found = []
    for one_thing in (OneThing.objects.filter(is_published=True, current_version__isnull=False)
                      .exclude(triggers=[]).select_related("current_version").order_by("code")):
        for trigger in parse_triggers(one_thing.triggers):
            if trigger.source == source and trigger.name == name:
                found.append((one_thing, trigger))
    own = {one_thing.pk for one_thing, _trigger in found}
    found += [(o, t) for o, t in _through_procedures(source, name) if o.pk not in own]
    return sorted(found, key=lambda pair: pair[0].code)


def _through_procedures(source: str, name: str) -> list[tuple[OneThing, Trigger]]:
    """A procedure's trigger on ``source:name`` acts through each published one thing made of that
    procedure alone: a procedure runs as its own application only that way (a one thing's own
    trigger on the same event comes first, see :func:`listening`)."""
    wanted: dict[int, Trigger] = {}
    for procedure in procedures_with_triggers():
        for trigger in parse_triggers(procedure.triggers):
            if trigger.source == source and trigger.name == name:
                wanted[procedure.pk] = trigger
    if not wanted:
        return []
    alone = (OneThing.objects.filter(is_published=True, current_version__isnull=False)
             .annotate(n_steps=Count("steps"), only=Min("steps__procedure_id"))
             .filter(n_steps=1, only__in=list(wanted)).select_related("current_version").order_by("code"))
    return [(one_thing, wanted[one_thing.only]) for one_thing in alone]


def handle_event(*, source: str, name: str, event_id: str, event: dict[str, Any], person: Any = None,
                 organisation: Any = None) -> EventResult:
    """Evaluate every trigger on ``source:name`` for one party and act on those that hold."""
    result = EventResult()
    facts = person_facts(person=person, organisation=organisation)
    for one_thing, trigger in listening(source, name):
        if not trigger.applies(event=event, person=facts):
            result.skipped.append(f"{one_thing.code}: the rule does not hold")
            continue
        try:
            offer = _fire(one_thing, trigger, event_id=event_id, event=event, person=person,
                          organisation=organisation)
        except DomainError as exc:  # e.g. the party is on the refusal list, or may not apply for it
            result.skipped.append(f"{one_thing.code}: {exc}")
            continue
        if offer is None:
            result.skipped.append(f"{one_thing.code}: already done for this event")
        else:
            result.created.append(offer)
    return result


def _acting_user(person: Any, organisation: Any) -> tuple[Any, Principal]:
    if organisation is None:
        return person, MYSELF
    holders = holders_of(organisation.pk)
    if not holders:
        raise InvalidState("Nobody may act for this organisation.")
    return holders[0], Principal("organisation", organisation=organisation)


def _prefilled(one_thing: OneThing, event: dict[str, Any], person: Any, organisation: Any) -> dict[str, Any]:
    """What is known for the one thing's form: the event's answers and outputs, then the party's
    profile and wallet; only values the form accepts."""
    definition = get_definition(one_thing.current_version)
    asked = sorted(definition.asked_fields)
    known: dict[str, Any] = {}
    for source in (event.get("data"), event.get("outputs")):
        if isinstance(source, dict):
            known.update({k: v for k, v in source.items() if k in asked and v not in (None, "")})
    if event.get("source") == "output" and event.get("code") in asked:
        known[event["code"]] = event.get("value")
    for code, value in known_answers(asked, person=person, organisation=organisation).items():
        known.setdefault(code, value)
    errors = definition.validate(known, partial=True)
    return {code: value for code, value in known.items() if code not in errors}


def _fire(one_thing: OneThing, trigger: Trigger, *, event_id: str, event: dict[str, Any], person: Any,
          organisation: Any) -> Offer | None:
    """Create the offer (or grant) once; ``None`` when this event already did it for this party."""
    user, principal = _acting_user(person, organisation)
    answers = _prefilled(one_thing, event, person, organisation)
    with transaction.atomic():  # a refused draft (e.g. the refusal list) leaves no offer behind
        try:
            with transaction.atomic():
                offer = Offer.objects.create(
                    one_thing=one_thing, applicant=None if organisation is not None else person,
                    organisation=organisation, mode=trigger.mode, event_source=trigger.on, event_id=event_id,
                    event_data=event, answers=answers, expires_at=offer_expiry.expiry(trigger.expires_days))
        except IntegrityError:
            return None  # the same event for the same party: done already (or concurrently)
        app = drafting.application_create(user=user, one_thing_code=one_thing.code, data=answers,
                                          principal=principal)
        app.origin = Origin.OFFER
        app.save(update_fields=["origin", "updated_at"])
        offer.application = app
        offer.save(update_fields=["application"])
        if trigger.mode == OfferMode.GRANT:
            offer.note = not_granted_because(app)
        if trigger.mode == OfferMode.GRANT and not offer.note:
            try:
                with transaction.atomic():
                    _grant(offer, app, user)
                    return offer
            except DomainError as exc:
                logger.info("grant of %s for event %s became an offer: %s", one_thing.code, event_id, exc)
                app.origin = Origin.OFFER
                offer.note = f"incomplete with what is known: {exc}"[:200]
        _offered(offer, app)
        return offer


def not_granted_because(app: Application) -> str:
    """Why a grant's application may not be decided without its applicant (``""``: it may), and so
    waits as an offer. The one rule: every procedure of the version has an automatic checker
    (checked again at the event: one may have lost it since the trigger was set), and the applicant
    is not on the refusal list (``refusal_list.py``): a person refused the reform's facilities gets
    no automatic grant, only the offer to apply, confirmed by them and checked like any application."""
    procedures = get_definition(app.version).procedures
    if not procedures or not all(p.get("automatic") for p in procedures.values()):
        return "a procedure has no automatic checker"
    if refusal_list.entry_for(app) is not None:
        return "the applicant is on the refusal list"
    return ""


def _grant(offer: Offer, app: Application, user: Any) -> None:
    app.origin = Origin.GRANT
    app.save(update_fields=["origin", "updated_at"])
    with engine.session(app, [], actor=None) as s:
        s.log("application.granted", data={"event": offer.event_source, "event_id": offer.event_id})
    submitting.application_submit(application=app, user=user)
    offer.mode = OfferMode.GRANT
    offer.state = OfferState.ACCEPTED
    offer.decided_at = timezone.now()
    offer.expires_at = None
    offer.save(update_fields=["mode", "state", "decided_at", "expires_at"])


def _offered(offer: Offer, app: Application) -> None:
    """The offer waits: the party is told (a notification about the offer, not the draft, which a
    decline deletes). The draft's timeline records the offer when it is accepted."""
    if offer.mode != OfferMode.OFFER or offer.note:
        offer.mode = OfferMode.OFFER
        offer.save(update_fields=["mode", "note"])
    offer_expiry.notify(offer, "application.offered")


# -- the applicant's answer ----------------------------------------------------------------------

def _lock_offer(offer: Offer, user: Any) -> Offer:
    locked = (Offer.objects.select_for_update(of=("self",)).select_related("application", "one_thing")
              .filter(pk=offer.pk).first())
    if locked is None or not _may_answer(locked, user):
        raise NotFound("Offer not found.")
    return locked


def _may_answer(offer: Offer, user: Any) -> bool:
    if offer.organisation_id is not None:
        return any(u.pk == user.pk for u in holders_of(offer.organisation_id))
    return offer.applicant_id == user.pk


@transaction.atomic
def offer_accept(*, offer: Offer, user: Any, data: dict | None = None) -> Application:
    """Confirm a waiting offer in one step: submit its pre-filled draft (with ``data`` merged first,
    if the applicant completed anything). Accepting an accepted offer returns its application
    (idempotent); a declined or expired one is ``InvalidState`` (409)."""
    locked = _lock_offer(offer, user)
    if locked.state == OfferState.ACCEPTED and locked.application is not None:
        return locked.application
    if locked.current_state == OfferState.EXPIRED:
        raise InvalidState("This offer has expired: you may still apply yourself.")
    if locked.state != OfferState.OFFERED or locked.application is None:
        raise InvalidState("This offer can no longer be accepted.")
    app = locked.application
    if data:
        app = drafting.application_update(application=app, user=user, data=data)
    with engine.session(app, [], actor=None) as s:
        entry = s.log("application.offered", data={"event": locked.event_source, "event_id": locked.event_id})
        entry.at = locked.created_at  # when the state offered it
    app = submitting.application_submit(application=app, user=user)
    locked.state = OfferState.ACCEPTED
    locked.decided_at = timezone.now()
    locked.save(update_fields=["state", "decided_at"])
    return app


@transaction.atomic
def offer_decline(*, offer: Offer, user: Any) -> Offer:
    """Decline a waiting offer: its draft is deleted, the offer stays as declined (the record that
    the event was handled, so it is never offered again). Declining again changes nothing; an
    accepted offer is ``InvalidState`` (409)."""
    locked = _lock_offer(offer, user)
    if locked.state == OfferState.DECLINED:
        return locked
    if locked.current_state == OfferState.EXPIRED:
        raise InvalidState("This offer has expired.")
    if locked.state != OfferState.OFFERED:
        raise InvalidState("This offer can no longer be declined.")
    app = locked.application
    locked.state = OfferState.DECLINED
    locked.decided_at = timezone.now()
    locked.application = None
    locked.save(update_fields=["state", "decided_at", "application"])
    offer_expiry.drop_draft(app)
    return locked


# -- reading -----------------------------------------------------------------------------------

def waiting_offers(user: Any):
    """The offers waiting for this person (for themselves), newest first, with their one things
    and drafts (1 query)."""
    return offers_for(user, OfferState.OFFERED)


def offers_for(user: Any, state: str | None = None):
    """Every offer made to this person, newest first (1 query); with ``state``, those in that state
    as the applicant sees it (``Offer.current_state``: one past its expiry is expired already)."""
    found = Offer.objects.filter(applicant=user, organisation__isnull=True).select_related("one_thing", "application")
    lapsed = Q(state=OfferState.OFFERED, expires_at__lte=timezone.now())
    if state == OfferState.EXPIRED:
        return found.filter(Q(state=OfferState.EXPIRED) | lapsed)
    if state == OfferState.OFFERED:
        return found.filter(state=OfferState.OFFERED).exclude(lapsed)
    return found if state is None else found.filter(state=state)


def offer_for(user: Any, pk: Any) -> Offer:
    """The person's own offer, else ``NotFound`` (another person's offer is not theirs to see)."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise NotFound("Offer not found.") from None
    found = offers_for(user).filter(pk=number).first()
    if found is None:
        raise NotFound("Offer not found.")
    return found


# -- events ------------------------------------------------------------------------------------

def output_event(output_pk: int) -> EventResult:
    """``output:<code>``: an output was issued to its holder (a person or an organisation)."""
    output = (IssuedOutput.objects.select_related("application__one_thing", "case", "holder", "organisation")
              .filter(pk=output_pk).first())
    if output is None:
        return EventResult(skipped=["the output no longer exists"])
    app = output.application
    event = {"source": "output", "code": output.code, "value": output.value,
             "procedure": output.case.procedure_code if output.case_id else "", **_application_facts(app)}
    return handle_event(source="output", name=output.code, event_id=f"output-{output.pk}", event=event,
                        person=None if output.organisation_id else output.holder,
                        organisation=output.organisation)


def completed_event(application_pk: int) -> EventResult:
    """``completed:<one thing>``: an application completed."""
    app = (Application.objects.select_related("one_thing", "applicant", "organisation")
           .filter(pk=application_pk).first())
    if app is None or app.status != ApplicationStatus.COMPLETED:
        return EventResult(skipped=["the application is not completed"])
    event = {"source": "completed", "outcome": app.outcome, **_application_facts(app)}
    return handle_event(source="completed", name=app.one_thing.code, event_id=f"application-{app.pk}",
                        event=event, person=app.applicant if not app.organisation_id else None,
                        organisation=app.organisation)


def outbox_event(payload: dict) -> str:
    """Carry out a ``proactive_event`` outbox row (registered with the delivery when the app is
    ready); returns what happened."""
    source = payload.get("source")
    if source == "output":
        return output_event(int(payload.get("output", 0))).summary()
    if source == "completed":
        return completed_event(int(payload.get("application", 0))).summary()
    return f"skipped: unknown event source {source!r}"
