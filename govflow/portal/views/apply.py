"""Apply once: the guide, the merged form, the materials, check your answers, submit."""
from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govflow.applications import commitments, refusal_list
from govflow.applications import delivery as delivery_rules
from govflow.applications import selectors as app_selectors
from govflow.applications.models import Application, ApplicationStatus
from govflow.applications.readiness import readiness
from govflow.applications.services import drafting, submitting, uploading
from govflow.catalog import questions as qa
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.models import localized
from govflow.errors import DomainError, InvalidInput
from govflow.parties.selectors import refusal_for, served_in
from govflow.web import deferral_choice, deferral_from_post, delivery_form, delivery_from_post, receipt_context

from ..acting import current_principal
from ..selectors import latest_draft, offered_one_thing, prefill_answers, prefill_with_sources
from .common import (
    _applicable,
    _decision,
    _definition,
    _documents,
    _domain_message,
    _draft_or_redirect,
    _error_items,
    _materials_for,
    _questions,
    _required_message,
    _row,
    _service_field_errors,
)
from .place import Place, check_row, place_for, refusal_messages


def _on_draft(view: Callable[[HttpRequest, Application, Definition], HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the wizard: it gets the citizen's draft and its definition; a submitted
    application goes back to its own page."""

    @functools.wraps(view)
    def page(request: HttpRequest, pk: int) -> HttpResponse:
        application, response = _draft_or_redirect(request, pk)
        if response:
            return response
        return view(request, application, _definition(application))

    return page


# -- apply ---------------------------------------------------------------------------------------

def _guide_context(definition: Definition, questions: list[qa.Question], *, action: str, application=None,
                   one_thing_code: str, data: dict | None = None, place: Place | None = None) -> dict:
    decision = _decision(definition, _applicable(definition, data)) if application is not None else None
    return {"definition_name": localized(definition.one_thing.get("name")), "questions": questions,
            "error_items": (place.error_items() if place else []) + _error_items(questions), "action": action,
            "application": application, "one_thing_code": one_thing_code, "decision": decision, "place": place}


def _form_context(definition: Definition, data: dict, *, action: str, application=None, one_thing_code: str,
                  errors=None, raw=None, prefilled=None, other_errors=(), saved_with_errors=False,
                  place: Place | None = None, sources: dict[str, str] | None = None) -> dict:
    applicable = _applicable(definition, data)
    required = definition.required_fields(applicable) if applicable else set()
    groups = []
    all_questions: list[qa.Question] = []
    for title, department, codes in qa.sections(definition, applicable):
        questions = _questions(definition, codes, data, required=required, errors=errors, raw=raw,
                               prefilled=prefilled, sources=sources)
        all_questions.extend(questions)
        groups.append({"title": title, "department": department, "questions": questions})
    error_items = ([{"href": "#main-form", "text": text} for text in other_errors]
                   + (place.error_items() if place else []) + _error_items(all_questions))
    return {"definition_name": localized(definition.one_thing.get("name")), "groups": groups,
            "error_items": error_items, "action": action, "application": application,
            "one_thing_code": one_thing_code, "has_guide": bool(definition.guide),
            "decision": _decision(definition, applicable) if definition.guide else None,
            "saved_with_errors": saved_with_errors, "place": place}


def _save(request: HttpRequest, *, definition: Definition, one_thing_code: str, application: Application | None,
          codes: list[str], place: Place | None = None
          ) -> tuple[Application | None, dict[str, list[str]], dict[str, str], list[str]]:
    """Parse and save the posted answers and, on the first step, the division: ``(application,
    field errors, raw texts, other errors)``; the division's errors are on ``place``.

    Nothing is saved when any answer or the division is refused. A new draft starts with what
    is known already (profile, wallet), under what the citizen typed.
    """
    parsed, errors, raw = qa.parse_answers(definition, codes, request.POST)
    division = place.posted() if place is not None else None
    if errors or (place is not None and place.has_errors):
        return application, errors, raw, []
    try:
        if application is None:
            principal = current_principal(request)
            known = {k: v for k, v in prefill_answers(request.user, definition, principal).items() if k not in codes}
            data = {**known, **{k: v for k, v in parsed.items() if v is not None}}
            application = drafting.application_create(user=request.user, one_thing_code=one_thing_code, data=data,
                                                      division=division, principal=principal)
        else:
            application = drafting.application_update(application=application, user=request.user, data=parsed,
                                                      division=division)
    except InvalidInput as exc:
        if place is not None and place.refused(exc):
            return application, {}, raw, []
        field_errors, other = _service_field_errors(exc, codes)
        return application, field_errors, raw, other
    except DomainError as exc:
        return application, {}, raw, [_domain_message(exc)]
    return application, {}, raw, []


def _missing_required(definition: Definition, data: dict, codes: list[str]) -> dict[str, list[str]]:
    missing = readiness(definition, data, ()).missing_fields
    return {code: [_required_message(qa.question(definition.fields[code]))] for code in codes if code in missing}


def _with_missing(definition: Definition, application: Application | None, codes: list[str],
                  errors: dict[str, list[str]], parsed: dict) -> dict[str, list[str]]:
    """A refused page's errors and, in the same round, the required questions it leaves blank (as
    the answers would stand had the readable ones been saved), in the page's order."""
    data = dict(application.data) if application is not None else {}
    for code, value in parsed.items():
        if code in errors:
            continue
        if value is None:
            data.pop(code, None)
        else:
            data[code] = value
    missing = _missing_required(definition, data, codes)
    return {code: errors.get(code) or missing[code] for code in codes if code in errors or code in missing}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    """Start or resume, for whom the person acts as ("acting as"): that principal's draft for this
    one thing resumes; else the first step, with the division the application will be handled in
    (where the applicant lives or is registered, when the one thing is offered there). A one thing
    not offered to the principal is not found, as on its page; one the principal may not apply for
    (a company's one thing for a person, one outside an authorisation) is refused, saying why."""
    principal = current_principal(request)
    one_thing = offered_one_thing(served_in(principal, request.user), code)
    if one_thing is None:
        raise Http404("No such one thing.")
    definition = get_definition(one_thing.current_version)
    refusal = refusal_for(principal, applicant_kind=definition.one_thing.get("applicant") or "person",
                          one_thing_id=one_thing.pk)
    if refusal:
        return render(request, "portal/apply_refused.html", {
            "definition_name": localized(definition.one_thing.get("name")), "refusal": refusal,
            "principal": principal, "one_thing_code": code}, status=403)
    draft = latest_draft(request.user, code, principal)
    if request.method != "POST":
        if draft is not None:
            return redirect("application", pk=draft.pk)
        known, sources = prefill_with_sources(request.user, definition, principal)
        place = place_for(request, one_thing, None, principal)
        if definition.guide:
            questions = _questions(definition, definition.guide, known, required=set(definition.guide))
            return render(request, "portal/apply_guide.html",
                          _guide_context(definition, questions, action=request.path, one_thing_code=code,
                                         place=place))
        return render(request, "portal/apply_form.html",
                      _form_context(definition, known, action=request.path, one_thing_code=code, prefilled=known,
                                    place=place, sources=sources))

    step = request.POST.get("step")
    if step == "guide" and definition.guide:
        return _post_guide(request, definition, code, draft, place_for(request, one_thing, draft, principal))
    codes = [c for _t, _d, cs in qa.sections(definition, _applicable(definition, draft.data if draft else {}))
             for c in cs]
    place = None if definition.guide else place_for(request, one_thing, draft, principal)
    return _post_form(request, definition, code, draft, codes, place)


def _post_guide(request: HttpRequest, definition: Definition, code: str,
                application: Application | None, place: Place | None) -> HttpResponse:
    parsed, errors, raw = qa.parse_answers(definition, definition.guide, request.POST)
    for field_code in definition.guide:
        if field_code not in errors and parsed.get(field_code) is None:
            errors[field_code] = [_required_message(qa.question(definition.fields[field_code]))]
    other: list[str] = []
    if not errors:
        application, errors, raw, other = _save(request, definition=definition, one_thing_code=code,
                                                application=application, codes=definition.guide, place=place)
    if errors or other or (place is not None and place.has_errors):
        data = application.data if application is not None else {}
        questions = _questions(definition, definition.guide, data, required=set(definition.guide), errors=errors,
                               raw=raw)
        context = _guide_context(definition, questions, action=request.path, application=application,
                                 one_thing_code=code, data=data, place=place)
        context["error_items"] = [{"href": "#main-form", "text": t} for t in other] + context["error_items"]
        return render(request, "portal/apply_guide.html", context, status=400)  # refused: nothing saved
    return redirect("apply-form", pk=application.pk)


def _post_form(request: HttpRequest, definition: Definition, code: str, application: Application | None,
               codes: list[str], place: Place | None = None) -> HttpResponse:
    action = request.POST.get("action", "continue")
    application, errors, raw, other = _save(request, definition=definition, one_thing_code=code,
                                            application=application, codes=codes, place=place)
    form_action = reverse("apply-form", args=[application.pk]) if application is not None else request.path
    if errors or other or (place is not None and place.has_errors):
        if action != "save" and errors:  # continuing needs the blanks too: say so in the same round
            errors = _with_missing(definition, application, codes, errors,
                                   qa.parse_answers(definition, codes, request.POST)[0])
        data = dict(application.data) if application is not None else {}
        return render(request, "portal/apply_form.html",  # refused: nothing saved
                      _form_context(definition, data, action=form_action, application=application,
                                    one_thing_code=code, errors=errors, raw=raw, other_errors=other, place=place),
                      status=400)
    if action == "save":
        messages.success(request, _("Your draft is saved. You can come back to it at any time from "
                                    "“My applications”."))
        return redirect("application", pk=application.pk)
    missing = _missing_required(definition, application.data, codes)
    if missing:
        return render(request, "portal/apply_form.html",
                      _form_context(definition, dict(application.data), action=form_action,
                                    application=application, one_thing_code=code, errors=missing,
                                    saved_with_errors=True, place=place))
    return redirect("apply-materials", pk=application.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@_on_draft
def apply_guide(request: HttpRequest, application: Application, definition: Definition) -> HttpResponse:
    if not definition.guide:
        return redirect("apply-form", pk=application.pk)
    place = place_for(request, application.one_thing, application)
    if request.method == "POST":
        return _post_guide(request, definition, application.one_thing.code, application, place)
    questions = _questions(definition, definition.guide, application.data, required=set(definition.guide))
    return render(request, "portal/apply_guide.html",
                  _guide_context(definition, questions, action=request.path, application=application,
                                 one_thing_code=application.one_thing.code, data=application.data, place=place))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@_on_draft
def apply_form(request: HttpRequest, application: Application, definition: Definition) -> HttpResponse:
    if definition.guide and any(application.data.get(c) is None for c in definition.guide):
        return redirect("apply-guide", pk=application.pk)
    place = None if definition.guide else place_for(request, application.one_thing, application)
    if request.method == "POST":
        codes = [c for _t, _d, cs in qa.sections(definition, _applicable(definition, application.data)) for c in cs]
        return _post_form(request, definition, application.one_thing.code, application, codes, place)
    known, sources = prefill_with_sources(request.user, definition, application=application)
    return render(request, "portal/apply_form.html",
                  _form_context(definition, dict(application.data), action=request.path, application=application,
                                one_thing_code=application.one_thing.code, prefilled=known, place=place,
                                sources=sources))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@_on_draft
def apply_materials(request: HttpRequest, application: Application, definition: Definition) -> HttpResponse:
    applicable = _applicable(definition, application.data)
    error_items: list[dict] = []
    materials = _materials_for(definition, applicable, _documents(application))
    # 告知承诺制: who is on the refusal list may not sign (one query, only when a commitment is offered).
    refused = refusal_list.reason_for(application) if any(m["commitment"] for m in materials) else ""
    if request.method == "POST" and request.POST.get("action") == "commitment":
        material = next((m for m in materials if m["code"] == request.POST.get("material") and m["commitment"]), None)
        if material is None:
            error_items.append({"href": "#materials", "text": _("Choose which material the commitment replaces.")})
        else:
            try:
                commitments.commitment_sign(application=application, user=request.user,
                                            material_code=material["code"],
                                            confirmed=request.POST.get("confirm") == "yes")
            except DomainError as exc:
                if refused:  # on the refusal list: the list's reason, as the page shows it
                    text = refused
                elif isinstance(exc, InvalidInput):
                    text = _("Tick the box to confirm that you have read the commitment and that it is true.")
                else:
                    text = _domain_message(exc)
                material["commitment_errors"] = [text]
                error_items.append({"href": f"#{material['id']}-confirm",
                                    "text": f"{material['label']}: {material['commitment_errors'][0]}"})
            else:
                messages.success(request, _("You signed the commitment in place of “%(material)s”.")
                                 % {"material": material["label"]})
                return redirect(f"{reverse('apply-materials', args=[application.pk])}#{material['id']}")
    elif request.method == "POST":
        material = next((m for m in materials if m["code"] == request.POST.get("material")), None)
        upload = request.FILES.get("file")
        if material is None:
            error_items.append({"href": "#materials", "text": _("Choose which material this file is.")})
        elif upload is None:
            material["errors"].append(_("Choose a file to upload."))
        elif len(request.FILES.getlist("file")) > 1:
            material["errors"].append(_("Upload one file at a time."))
        else:
            spec = definition.materials.get(material["code"], {})
            try:
                uploading.document_upload(application=application, user=request.user, material_code=material["code"],
                                         file=upload, filename=upload.name)
            except DomainError as exc:
                material["errors"].append(_domain_message(exc, material=spec))
            else:
                messages.success(request, _("“%(material)s” is uploaded.") % {"material": material["label"]})
                return redirect(f"{reverse('apply-materials', args=[application.pk])}#{material['id']}")
        error_items += [{"href": f"#{m['id']}-file", "text": f"{m['label']}: {e}"}
                        for m in materials for e in m["errors"]]
    return render(request, "portal/apply_materials.html", {
        "application": application, "definition_name": localized(definition.one_thing.get("name")),
        "materials": materials, "error_items": error_items, "commitment_refused": refused,
    })


def _delivery_context(request: HttpRequest, application: Application, definition: Definition,
                      applicable: list[str], *, posted: dict | None = None, errors: dict | None = None) -> dict:
    """The question of how to receive physical results, when an applicable procedure issues any."""
    found = delivery_rules.options_for_draft(application, definition, applicable)
    form = delivery_form(found, posted=posted, errors=errors,
                         suggested=delivery_rules.suggested_address(application, request.user))
    if form is None:
        return {"delivery": None, "delivery_results": [], "delivery_error_items": []}
    items = []
    first = {"method": form["methods"][0]["id"] if form["methods"] else "delivery",
             "office": form["offices"][0]["id"] if form["offices"] else "delivery"}
    for key, messages_ in form["errors"].items():
        for message in messages_:
            items.append({"href": f"#{first.get(key, f'delivery-{key}')}", "text": message})
    results = [localized(r.get("label")) or r["code"] for code in found.procedures
               for r in definition.physical_results_of(code)]
    return {"delivery": form, "delivery_results": results, "delivery_error_items": items}


def _check_context(request: HttpRequest, application: Application, definition: Definition, *,
                   errors: dict | None = None, missing_materials: Iterable[str] = (), submitted: bool = False,
                   place_errors: Iterable[str] = (), delivery_posted: dict | None = None,
                   delivery_errors: dict | None = None, deferral_posted: dict | None = None,
                   deferral_errors: dict | None = None) -> dict:
    data = application.data or {}
    documents = _documents(application)
    report = readiness(definition, data, documents)
    applicable = list(report.applicable)
    if errors is None and not submitted:
        # Shown before the citizen presses submit, so nothing comes as a surprise.
        errors, missing_materials = report.errors, report.missing_materials
    errors = errors or {}
    form_url = reverse("apply-form", args=[application.pk])
    guide_url = reverse("apply-guide", args=[application.pk])
    rows_by_section = []
    if definition.guide:
        rows_by_section.append({"title": _("Your situation"), "rows": [
            _row(definition, code, data, errors, f"{guide_url}#{qa.input_id(code)}") for code in definition.guide]})
    for title, department, codes in qa.sections(definition, applicable):
        rows_by_section.append({"title": title, "department": department, "rows": [
            _row(definition, code, data, errors, f"{form_url}#{qa.input_id(code)}") for code in codes]})
    materials = _materials_for(definition, applicable, documents)
    materials_url = reverse("apply-materials", args=[application.pk])
    place = check_row(application, definition, place_errors)
    error_items = [{"href": place["change_url"] or "#place", "text": f"{place['label']}: {message}"}
                   for message in place["errors"]]
    for section in rows_by_section:
        for row in section["rows"]:
            for message in row["errors"]:
                error_items.append({"href": row["change_url"], "text": f"{row['label']}: {message}"})
    deferral_offer = _deferral_offer(application, materials, report.missing_materials, deferral_posted,
                                     deferral_errors)
    may_follow = set(deferral_offer["codes"]) if deferral_offer["offered"] and not submitted else set()
    for material in materials:
        if material["code"] in set(missing_materials) and material["code"] not in may_follow:
            material["errors"].append(_("Upload this material."))
            error_items.append({"href": f"{materials_url}#{material['id']}",
                                "text": f"{material['label']}: {_('Upload this material.')}"})
    error_items += [{"href": "#deferral", "text": message} for message in deferral_offer["errors"]]
    delivery = _delivery_context(request, application, definition, applicable, posted=delivery_posted,
                                 errors=delivery_errors)
    error_items += delivery.pop("delivery_error_items")
    if not applicable:
        error_items.insert(0, {"href": guide_url, "text": _("None of the procedures applies to your answers.")})
    return {**delivery,
        "application": application, "definition_name": localized(definition.one_thing.get("name")),
        "sections": rows_by_section, "materials": materials, "materials_url": materials_url,
        "error_items": error_items, "submitted": submitted, "submit_key": uuid.uuid4().hex,
        "decision": _decision(definition, applicable), "has_guide": bool(definition.guide), "place": place,
        "deferral": deferral_offer,
    }


def _deferral_offer(application: Application, materials: list[dict], missing: Iterable[str],
                    posted: dict | None, errors: dict | None) -> dict:
    """容缺受理 on the check page: the missing materials that may follow (``web.deferral_choice``)."""
    missing = set(missing)
    offer = [m for m in materials if m["deferrable_days"] and m["code"] in missing]
    return deferral_choice(application, offer, posted=posted, errors=errors)



@login_required
@require_safe
@_on_draft
def apply_check(request: HttpRequest, application: Application, definition: Definition) -> HttpResponse:
    return render(request, "portal/apply_check.html", _check_context(request, application, definition))


@login_required
@require_POST
def apply_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    key = request.POST.get("submit_key", "")[:200] or None
    if application.status != ApplicationStatus.DRAFT and key and application.submit_key == key:
        return redirect("receipt", pk=application.pk)  # a double click: the first one won
    try:
        chosen = deferral_from_post(request.POST)
        application = submitting.application_submit(application=application, user=request.user, idempotency_key=key,
                                                  delivery=delivery_from_post(request.POST),
                                                  defer=chosen["defer"], accept_deferral_terms=chosen["accept"])
    except InvalidInput as exc:
        errors = exc.errors if isinstance(exc.errors, dict) else {}
        definition = _definition(application)
        context = _check_context(request, application, definition, errors=errors.get("data") or {},
                                 missing_materials=errors.get("materials") or [], submitted=True,
                                 place_errors=refusal_messages(exc, definition),
                                 delivery_posted=delivery_from_post(request.POST),
                                 delivery_errors=errors.get("delivery"),
                                 deferral_posted=deferral_from_post(request.POST),
                                 deferral_errors={k: errors[k] for k in ("defer", "accept_deferral_terms")
                                                  if isinstance(errors.get(k), list)})
        if not context["error_items"]:
            context["error_items"] = [{"href": "#submit", "text": _("The application is not complete.")}]
        return render(request, "portal/apply_check.html", context, status=400)
    except DomainError as exc:
        messages.error(request, _domain_message(exc))
        return redirect("application", pk=application.pk)
    return redirect("receipt", pk=application.pk)


@login_required
@require_safe
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    if application.status == ApplicationStatus.DRAFT:
        return redirect("apply-check", pk=application.pk)
    return render(request, "portal/receipt.html", {
        "application": application, **receipt_context(request, application),
    })
