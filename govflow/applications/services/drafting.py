"""A citizen's drafts: create (for themselves or whom they act for), change, delete, apply again."""
from __future__ import annotations

from typing import Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.models import ApplicantKind, OneThing
from govflow.errors import (
    DomainError,
    InvalidInput,
    InvalidState,
    NotAllowed,
)
from govflow.parties.models import Authorisation, AuthorisationScope, OrganisationRole, live_q
from govflow.parties.selectors import MYSELF, Principal, refusal_for
from govflow.text import has_bad_text
from govflow.uploads import MIME_BY_TYPE, save_with_file

from .. import routing
from ..models import (
    Application,
    ApplicationStatus,
    Case,
    Channel,
    Document,
    TimelineEntry,
)
from ..rules import (
    blanked_required,
    correction_scope,
)
from ..selectors import is_counter_clerk_of
from ..states import may_apply_again
from .common import clean_data_keys, definition_of, lock_application, require_actor

# ---------------------------------------------------------------------------------------------
# drafts



def _applicant_for(one_thing: OneThing, definition: Definition, user: Any, principal: Principal,
                   counter_office: Any) -> dict:
    """Who a new draft is for, as model fields, after the rules of who may apply for it."""
    refusal = refusal_for(principal, applicant_kind=definition.one_thing.get("applicant") or ApplicantKind.PERSON,
                          one_thing_id=one_thing.pk)
    if refusal:
        raise InvalidInput(refusal, errors={"one_thing": [refusal]})
    if counter_office is not None:
        if not is_counter_clerk_of(user, counter_office.pk):
            raise NotAllowed("Only a counter clerk of this office can take applications at its counter.")
        if principal.kind == "self":
            raise InvalidInput("Name the person or the organisation applying.")
    elif principal.kind == "person" and principal.authorisation is None:
        raise NotAllowed("Only a service-hall counter applies for a person without an authorisation.")
    fields = {"applicant": None, "organisation": None, "authorisation": None, "submitted_by": user,
              "counter_office": counter_office}
    if principal.kind == "organisation":
        fields["organisation"] = principal.organisation
    elif principal.kind == "person":
        fields["applicant"] = principal.subject
        mandate = principal.authorisation
        if mandate is not None:
            # Locked, so that two drafts cannot both take a one-application authorisation.
            Authorisation.objects.select_for_update().filter(pk=mandate.pk).first()
            if (mandate.scope == AuthorisationScope.APPLICATION
                    and Application.objects.filter(authorisation=mandate).exists()):
                message = _("This authorisation has been used for an application already.")
                raise InvalidInput(message, errors={"one_thing": [message]})
            fields["authorisation"] = mandate
    else:
        fields["applicant"] = user
    return fields


@transaction.atomic
def application_create(*, user: Any, one_thing_code: str, data: dict | None = None,
                       division: str | None = None, principal: Principal = MYSELF,
                       channel: str = Channel.ONLINE, counter_office: Any = None) -> Application:
    """Start a draft on the version published now, for ``principal`` (the user themselves, an
    organisation they act for, a person they are authorised to apply for, or, at a counter, a
    walk-in person), through ``channel``; at ``division`` (a code) or where the applicant is
    (:func:`routing.starting_division`)."""
    if not isinstance(one_thing_code, str) or has_bad_text(one_thing_code):
        raise InvalidInput("Unknown one thing.", errors={"one_thing": ["Unknown one thing."]})
    one_thing = (OneThing.objects.select_related("current_version", "division")
                 .filter(code=one_thing_code, is_published=True, current_version__isnull=False).first())
    if one_thing is None:
        raise InvalidInput("Unknown one thing.", errors={"one_thing": ["Unknown or unpublished one thing."]})
    definition = get_definition(one_thing.current_version)
    answers = clean_data_keys(definition, {} if data is None else data)
    answers = {k: v for k, v in answers.items() if v is not None}
    errors = definition.validate(answers, partial=True)
    if errors:
        raise InvalidInput("Some answers are invalid.", errors={"data": errors})
    if channel not in Channel.values:
        raise InvalidInput("Unknown channel.", errors={"channel": ["Unknown channel."]})
    if (channel == Channel.COUNTER) != (counter_office is not None):
        raise InvalidInput("A counter application names its counter.", errors={"channel": ["Unknown channel."]})
    party = _applicant_for(one_thing, definition, user, principal, counter_office)
    place = (routing.chosen_division(one_thing, division) if division is not None
             else routing.starting_division(one_thing, party["applicant"], party["organisation"]))
    return Application.objects.create(one_thing=one_thing, version=one_thing.current_version, data=answers,
                                      division=place, channel=channel, **party)


@transaction.atomic
def application_update(*, application: Application, user: Any, data: Any = None,
                       division: str | None = None) -> Application:
    """Merge answers: top-level keys replace, ``None`` removes; and/or move a draft to another
    ``division`` (a code; where the one thing is offered).

    While a draft, any field of the form; while corrections are requested, only the
    fields a clerk marked; otherwise refused.
    """
    app = lock_application(application.pk)
    require_actor(app, user)
    if division is not None:
        if app.status != ApplicationStatus.DRAFT:
            raise InvalidState("The division can only change while the application is a draft.")
        app.division = routing.chosen_division(app.one_thing, division)
    definition = definition_of(app)
    changes = clean_data_keys(definition, {} if data is None and division is not None else data)
    if app.status == ApplicationStatus.DRAFT:
        allowed = None
    elif app.status == ApplicationStatus.CORRECTION_REQUESTED:
        cases = list(Case.objects.filter(application=app))
        allowed = set(correction_scope(definition, cases).fields)
    else:
        raise InvalidState("The answers can no longer be changed.")
    if allowed is not None:
        refused = sorted(k for k in changes if k not in allowed)
        if refused:
            raise InvalidInput("Only the fields marked for correction may change.",
                               errors={"data": {k: ["This field is not marked for correction."] for k in refused}})
        blanked = blanked_required(definition, cases, changes)
        if blanked:
            raise InvalidInput("A required answer cannot be removed.",
                               errors={"data": {k: ["This field is required."] for k in blanked}})
    merged = dict(app.data)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    errors = definition.validate(merged, partial=True)
    if errors:
        raise InvalidInput("Some answers are invalid.", errors={"data": errors})
    app.data = merged
    app.save(update_fields=["data", "division", "updated_at"])
    return app


@transaction.atomic
def application_delete(*, application: Application, user: Any) -> None:
    app = lock_application(application.pk)
    require_actor(app, user)
    if app.status != ApplicationStatus.DRAFT:
        raise InvalidState("Only drafts can be deleted.")
    names = [d.file.name for d in app.documents.all()]
    app.documents.all().delete()
    app.delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


@transaction.atomic
def application_apply_again(*, application: Application, user: Any) -> Application:
    """Start a new draft from a refused or withdrawn application, for the same applicant, on the
    version published now: its answers that the current form still asks and accepts, and its
    materials that are still asked for and still of an accepted type and size (copied, so each
    application keeps its own files). Recorded on the old application's timeline now, and on the
    new one's when it is submitted. The applicant may change everything before submitting."""
    old = lock_application(application.pk)
    require_actor(old, user)
    if not may_apply_again(old.status, old.outcome):
        raise InvalidState("Only a refused or withdrawn application can be started again.")
    one_thing = (OneThing.objects.select_related("current_version", "division")
                 .filter(pk=old.one_thing_id, is_published=True, current_version__isnull=False).first())
    if one_thing is None:
        raise InvalidState("This one thing no longer takes applications.")
    party: dict[str, Any] = {"applicant": old.applicant, "organisation": old.organisation, "authorisation": None,
                             "submitted_by": user}
    if old.organisation_id is not None:
        if not OrganisationRole.objects.filter(live_q(), organisation_id=old.organisation_id, user=user).exists():
            raise NotAllowed("Only someone acting for the organisation now can apply for it again.")
    elif old.applicant_id != user.pk:
        mandate = old.authorisation
        if (mandate is None or mandate.agent_id != user.pk or mandate.scope != AuthorisationScope.ONE_THING
                or not Authorisation.objects.filter(live_q(), pk=mandate.pk).exists()):
            raise NotAllowed("Apply again under a new authorisation.")
        party["authorisation"] = mandate
    definition = get_definition(one_thing.current_version)
    asked = set(definition.asked_fields)
    answers = {k: v for k, v in (old.data or {}).items() if k in asked and v is not None}
    invalid = definition.validate(answers, partial=True)
    answers = {k: v for k, v in answers.items() if k not in invalid}
    try:
        division = routing.chosen_division(one_thing, old.division.code)
    except DomainError:
        division = routing.starting_division(one_thing, party["applicant"], party["organisation"])
    new = Application.objects.create(one_thing=one_thing, version=one_thing.current_version, data=answers,
                                     division=division, channel=Channel.ONLINE, previous=old, **party)
    # A material that was still to follow (容缺受理) has no file: the new draft asks for it again.
    for document in Document.objects.filter(application=old).exclude(file=""):
        material = definition.materials.get(document.material_code)
        if material is None:
            continue
        accepted = {MIME_BY_TYPE[t] for t in material.get("accepted_types", []) if t in MIME_BY_TYPE}
        if document.content_type not in accepted or document.size > int(material.get("max_size_mb", 10)) * 1024 * 1024:
            continue
        copy = Document(application=new, material_code=document.material_code, filename=document.filename,
                        size=document.size, sha256=document.sha256, content_type=document.content_type,
                        uploaded_by=user)
        with document.file.open("rb") as source:
            save_with_file(copy, "file", "upload", File(source))
    TimelineEntry.objects.create(application=old, kind="application.applied_again", actor=user,
                                 data={"application": new.pk, **({"on_behalf_of": old.party_ref()}
                                                                 if user.pk != old.applicant_id else {})})
    return new
