"""Submitting an application: the readiness report, the number, the flow started, materials deferred."""
from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from govflow.catalog import jurisdictions
from govflow.catalog.calendar import local_date
from govflow.catalog.definition import Definition
from govflow.errors import (
    InvalidState,
)

from .. import commitment_papers, deferral, engine, routing
from .. import delivery as delivery_rules
from ..flows import OneThingFlow
from ..models import (
    Application,
    ApplicationStatus,
    Case,
    Document,
)
from ..readiness import readiness
from .common import cases_of, definition_of, engine_step, lock_application, next_number, require_actor

# ---------------------------------------------------------------------------------------------
# submission


@engine_step
@transaction.atomic
def application_submit(*, application: Application, user: Any, idempotency_key: str | None = None,
                       delivery: Any = None, defer: Any = None, accept_deferral_terms: Any = False) -> Application:
    """Submit a draft: validate, decide applicability once, create the cases, start the flow.

    ``delivery`` is how the applicant receives what the applicable procedures issue physically
    (:func:`govflow.applications.delivery.clean_choice`): ``{"method": "pickup", "office": code}`` or
    ``{"method": "post", "recipient", "phone", "address"}``; required only when one of them does.
    ``defer`` lists deferrable materials left out (容缺受理, ``deferral.py``); it needs
    ``accept_deferral_terms=True`` and an applicant who is not on the refusal list."""
    app = lock_application(application.pk)
    require_actor(app, user)
    if app.status != ApplicationStatus.DRAFT:
        if idempotency_key and app.submit_key == idempotency_key:
            return app
        raise InvalidState("The application has already been submitted.")
    one_thing = app.one_thing
    if not one_thing.is_published or one_thing.current_version_id is None:
        raise InvalidState("This one thing no longer takes applications.")
    if app.version_id != one_thing.current_version_id:
        # A newer version was published since the draft began: move to it, validate against it.
        app.version = one_thing.current_version
    definition = definition_of(app)

    documents = list(Document.objects.filter(application=app))
    uploaded = [d.material_code for d in documents]
    to_defer = deferral.requested(defer)
    report = readiness(definition, app.data, [*uploaded, *to_defer])
    refusal = report.refusal()
    refused_deferral = deferral.refusal(app, definition, report.applicable, to_defer, uploaded,
                                        accept_deferral_terms) if report.applicable else None
    if refusal is not None and refused_deferral is not None:  # every problem at once
        refusal.errors = {**refusal.errors, **refused_deferral.errors}
    if refusal is not None or refused_deferral is not None:
        raise refusal or refused_deferral
    applicable = list(report.applicable)
    commitment_papers.check_submission(app, definition, applicable, documents)  # 告知承诺制
    # Routed before anything is written: a missing office refuses the submission, naming it.
    procedures = _procedures(applicable)
    division = routing.routing_division(definition, report.answers, app.division, one_thing.division)
    offices = jurisdictions.route(division, routing.needs(definition, procedures, applicable))
    received = delivery_rules.clean_choice(delivery, delivery_rules.options(definition, applicable, division))

    unused = [d for d in documents if d.material_code not in report.materials]
    if unused:
        names = [d.file.name for d in unused]
        Document.objects.filter(pk__in=[d.pk for d in unused]).delete()
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])

    now = timezone.now()
    app.data = report.answers
    app.status = ApplicationStatus.SUBMITTED
    app.submitted_at = now
    app.number = next_number(local_date(now).year)
    # 告知承诺制: the signed commitments' PDFs now name the application number.
    commitment_papers.finalise(app, definition, [d for d in documents if d not in unused])
    app.submit_key = idempotency_key or ""
    app.division = division
    app.submitted_by = user
    for name, value in received.items():
        setattr(app, name, value)

    cases = Case.objects.bulk_create([
        Case(application=app, procedure_code=code, procedure=procedures[code],
             department=procedures[code].department, office=offices[code], position=index,
             after=[p for p in definition.after(code) if p in applicable],
             committed_days=int(definition.procedures[code]["committed_days"]))
        for index, code in enumerate(applicable)
    ])
    if not cases or any(c.pk is None for c in cases):
        cases = cases_of(app)
    with engine.session(app, cases, actor=user, applicant_side=True) as s:
        # The promise, fixed now and never moved: every page, receipt and the API show this date.
        app.expected_finish = engine.committed_finish(app)
        s.log("application.submitted", message=app.number)
        if app.previous_id is not None:
            s.log("application.started_again", message=app.previous.number or "",
                  data={"application": app.previous_id})
        s.notify("application.submitted", payload={"number": app.number})
        if to_defer:
            _defer_materials(s, app, definition, applicable, to_defer, user, now)
        OneThingFlow.start.run(application=app)
        s.touch_application("version", "data", "status", "submitted_at", "number", "submit_key", "process",
                            "division", "submitted_by", "expected_finish", *received)
    return app


def _defer_materials(s: engine.EngineSession, app: Application, definition: Definition, applicable: list[str],
                     codes: list[str], user: Any, now: Any) -> None:
    """容缺受理 at submission: a deferred row per material, due by its working-day deadline, and the
    accepted terms on the timeline (public: the applicant's record of what they undertook)."""
    terms = deferral.terms_record(now, application=app, user=user)
    rows = Document.objects.bulk_create(deferral.deferred_documents(
        app, submitted_on=local_date(now), days=deferral.deferrable(definition, applicable), codes=codes,
        terms=terms, user=user))
    s.log("material.deferred", data={"materials": {d.material_code: d.due_date.isoformat() for d in rows},
                                     "terms": terms})


def _procedures(codes: list[str]) -> dict:
    """The live procedures (with their departments) behind the snapshot's procedure codes, in
    one query; the cases keep them, so queueing a case needs no further lookup."""
    from govflow.catalog.models import Procedure

    found = {p.code: p for p in Procedure.objects.filter(code__in=codes).select_related("department")}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidState(f"Procedures no longer exist: {', '.join(missing)}")
    return found
