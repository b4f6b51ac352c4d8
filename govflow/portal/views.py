"""The citizen portal: find a one thing, apply once, follow it, correct it, finish it.

Server-rendered, works without JavaScript. Every write goes through the domain services (the same
ones the API calls); every application is fetched through ``application_for_citizen``, so another
citizen's application is a 404 here as in the API.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from govflow.accounts import services as account_services
from govflow.accounts.limits import RateLimited
from govflow.applications import selectors as app_selectors
from govflow.applications import services
from govflow.applications.errors import (
    Busy,
    DomainError,
    InvalidInput,
    InvalidState,
    UnsupportedFileType,
    UploadTooLarge,
)
from govflow.applications.models import Application, ApplicationStatus, CaseStatus, Document, Outcome
from govflow.applications.timeline import citizen_text
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.models import localized
from govflow.web import client_address, safe_next

from . import answers as qa
from .forms import (
    EvaluationForm,
    FilterForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetCodeForm,
    SetPasswordForm,
)
from .selectors import (
    card,
    definition_materials,
    department_name_of,
    latest_draft,
    one_thing_name,
    prefill_answers,
    procedure_infos,
    procedure_name,
    published_one_thing,
    published_one_thing_choices,
    published_one_things,
    savings,
)
from .services import profile_update
from .templatetags.portal import tone

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2
PAGE_SIZE = 20
FILE_TYPE_NAMES = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG", "jpg": "JPEG"}
FILE_TYPE_ACCEPT = {"pdf": ".pdf,application/pdf", "png": ".png,image/png",
                    "jpeg": ".jpg,.jpeg,image/jpeg", "jpg": ".jpg,.jpeg,image/jpeg"}


# -- helpers -------------------------------------------------------------------------------------

def _definition(application: Application) -> Definition:
    return get_definition(application.version)


def _applicable(definition: Definition, data: dict) -> list[str]:
    return definition.applicable_procedures(data if isinstance(data, dict) else {})


def _required_message(question: qa.Question) -> str:
    if question.widget in ("radios", "select", "yesno"):
        return _("Select an answer.")
    return _("Enter an answer.")


def _error_items(questions: Iterable[qa.Question]) -> list[dict]:
    """Error-summary entries: each links to the field it is about."""
    return [{"href": f"#{q.anchor}", "text": f"{q.label}: {message}"}
            for q in questions for message in q.errors]


def _service_field_errors(exc: InvalidInput, codes: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """``InvalidInput.errors`` → (field errors for ``codes``, other messages)."""
    errors = exc.errors if isinstance(exc.errors, dict) else {}
    data = errors.get("data")
    codes = set(codes)
    fields: dict[str, list[str]] = {}
    other: list[str] = []
    if isinstance(data, dict):
        for code, messages_ in data.items():
            if code in codes:
                fields[code] = [str(m) for m in messages_]
            else:
                other.append(_("Some answers elsewhere in the form are not valid."))
    if not fields and not other:
        other.append(_("Some answers are not valid. Check them and try again."))
    return fields, list(dict.fromkeys(other))


def _domain_message(exc: DomainError, *, material: dict | None = None) -> str:
    if isinstance(exc, Busy):
        return _("Someone else is changing this application right now. Try again in a moment.")
    if isinstance(exc, UploadTooLarge):
        size = (material or {}).get("max_size_mb", 10)
        return _("The file is larger than %(size)s MB. Upload a smaller file.") % {"size": size}
    if isinstance(exc, UnsupportedFileType):
        return _("This type of file is not accepted. Upload %(types)s.") % {
            "types": _types_text((material or {}).get("accepted_types", []))}
    if isinstance(exc, InvalidState):
        return _("This application can no longer be changed in this way.")
    return _("Something in the request was not valid. Check it and try again.")


def _types_text(types: Iterable[str]) -> str:
    names = list(dict.fromkeys(FILE_TYPE_NAMES.get(t, t.upper()) for t in types))
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return _("%(first)s or %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _draft_or_redirect(request: HttpRequest, pk: Any) -> tuple[Application | None, HttpResponse | None]:
    application = app_selectors.application_for_citizen(request.user, pk)
    if application.status != ApplicationStatus.DRAFT:
        messages.info(request, _("This application has been submitted; its answers can no longer be changed here."))
        return None, redirect("application", pk=application.pk)
    return application, None


def _questions(definition: Definition, codes: Iterable[str], data: dict, *, required: set[str],
               errors: dict[str, list[str]] | None = None, raw: dict[str, str] | None = None,
               prefilled: dict[str, Any] | None = None, marked: Iterable[str] = ()) -> list[qa.Question]:
    errors = errors or {}
    marked = set(marked)
    prefilled = prefilled or {}
    result = []
    for code in codes:
        spec = definition.fields[code]
        value = data.get(code)
        result.append(qa.question(
            spec, value=value, required=code in required, errors=errors.get(code),
            raw=raw.get(code) if raw is not None and code in raw else None,
            prefilled=code in prefilled and value is not None and prefilled[code] == value,
            marked=code in marked,
        ))
    return result


def _decision(definition: Definition, applicable: list[str]) -> dict:
    """What the guide answers decided: the procedures that apply and those that do not."""
    infos = procedure_infos(definition)
    return {"applies": [i for i in infos if i.code in applicable],
            "skipped": [i for i in infos if i.code not in applicable]}


def _materials_for(definition: Definition, applicable: list[str], documents: dict[str, Document]) -> list[dict]:
    required = definition.required_materials(applicable)
    result = []
    for material in definition_materials(definition):
        users = [p for p in material["procedures"] if p in applicable]
        if not users:
            continue
        types = material.get("accepted_types", [])
        result.append({
            "code": material["code"],
            "id": f"m-{material['code']}",
            "label": localized(material.get("label")) or material["code"],
            "required": material["code"] in required,
            "procedures": [procedure_name(definition, p) for p in users],
            "types": _types_text(types),
            "accept": ",".join(dict.fromkeys(FILE_TYPE_ACCEPT.get(t, f".{t}") for t in types)),
            "max_size_mb": material.get("max_size_mb", 10),
            "document": documents.get(material["code"]),
            "errors": [],
        })
    return result


def _documents(application: Application) -> dict[str, Document]:
    return {d.material_code: d for d in Document.objects.filter(application=application)}


# -- find ----------------------------------------------------------------------------------------

@require_safe
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    cards = [card(one_thing) for one_thing in published_one_things()]
    if query:
        cards = [c for c in cards if c.matches(query)]
    return render(request, "portal/home.html", {"one_things": cards, "query": query})


@require_safe
def one_thing_detail(request: HttpRequest, code: str) -> HttpResponse:
    one_thing = published_one_thing(code)
    if one_thing is None:
        raise Http404("No such one thing.")
    definition = get_definition(one_thing.current_version)
    materials = []
    for material in definition_materials(definition):
        materials.append({
            "label": localized(material.get("label")) or material["code"],
            "required": material["required"],
            "procedures": [procedure_name(definition, p) for p in material["procedures"]],
            "types": _types_text(material.get("accepted_types", [])),
            "max_size_mb": material.get("max_size_mb", 10),
        })
    draft = latest_draft(request.user, code) if request.user.is_authenticated else None
    return render(request, "portal/one_thing.html", {
        "one_thing": card(one_thing), "procedures": procedure_infos(definition), "materials": materials,
        "savings": savings(definition), "has_guide": bool(definition.guide), "draft": draft,
    })


# -- apply ---------------------------------------------------------------------------------------

def _guide_context(definition: Definition, questions: list[qa.Question], *, action: str, application=None,
                   one_thing_code: str, data: dict | None = None) -> dict:
    decision = _decision(definition, _applicable(definition, data)) if application is not None else None
    return {"definition_name": localized(definition.one_thing.get("name")), "questions": questions,
            "error_items": _error_items(questions), "action": action, "application": application,
            "one_thing_code": one_thing_code, "decision": decision}


def _form_context(definition: Definition, data: dict, *, action: str, application=None, one_thing_code: str,
                  errors=None, raw=None, prefilled=None, other_errors=(), saved_with_errors=False) -> dict:
    applicable = _applicable(definition, data)
    required = definition.required_fields(applicable) if applicable else set()
    groups = []
    all_questions: list[qa.Question] = []
    for title, department, codes in qa.sections(definition, applicable):
        questions = _questions(definition, codes, data, required=required, errors=errors, raw=raw,
                               prefilled=prefilled)
        all_questions.extend(questions)
        groups.append({"title": title, "department": department, "questions": questions})
    error_items = [{"href": "#main-form", "text": text} for text in other_errors] + _error_items(all_questions)
    return {"definition_name": localized(definition.one_thing.get("name")), "groups": groups,
            "error_items": error_items, "action": action, "application": application,
            "one_thing_code": one_thing_code, "has_guide": bool(definition.guide),
            "decision": _decision(definition, applicable) if definition.guide else None,
            "saved_with_errors": saved_with_errors}


def _save(request: HttpRequest, *, definition: Definition, one_thing_code: str, application: Application | None,
          codes: list[str]) -> tuple[Application | None, dict[str, list[str]], dict[str, str], list[str]]:
    """Parse and save the posted answers: ``(application, field errors, raw texts, other errors)``.

    Nothing is saved when any answer is malformed. A new draft starts with what is known
    already (profile, wallet), under what the citizen typed.
    """
    parsed, errors, raw = qa.parse_answers(definition, codes, request.POST)
    if errors:
        return application, errors, raw, []
    try:
        if application is None:
            known = {k: v for k, v in prefill_answers(request.user, definition).items() if k not in codes}
            data = {**known, **{k: v for k, v in parsed.items() if v is not None}}
            application = services.application_create(user=request.user, one_thing_code=one_thing_code, data=data)
        else:
            application = services.application_update(application=application, user=request.user, data=parsed)
    except InvalidInput as exc:
        field_errors, other = _service_field_errors(exc, codes)
        return application, field_errors, raw, other
    except DomainError as exc:
        return application, {}, raw, [_domain_message(exc)]
    return application, {}, raw, []


def _missing_required(definition: Definition, application: Application, codes: list[str]) -> dict[str, list[str]]:
    data = application.data or {}
    applicable = _applicable(definition, data)
    required = definition.required_fields(applicable) if applicable else set()
    missing: dict[str, list[str]] = {}
    for code in codes:
        if code in required and data.get(code) in (None, ""):
            spec = definition.fields[code]
            missing[code] = [_required_message(qa.question(spec))]
    return missing


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    """Start or resume: a citizen's draft for this one thing resumes; else the first step."""
    one_thing = published_one_thing(code)
    if one_thing is None:
        raise Http404("No such one thing.")
    definition = get_definition(one_thing.current_version)
    draft = latest_draft(request.user, code)
    if request.method != "POST":
        if draft is not None:
            return redirect("application", pk=draft.pk)
        known = prefill_answers(request.user, definition)
        if definition.guide:
            questions = _questions(definition, definition.guide, known, required=set(definition.guide))
            return render(request, "portal/apply_guide.html",
                          _guide_context(definition, questions, action=request.path, one_thing_code=code))
        return render(request, "portal/apply_form.html",
                      _form_context(definition, known, action=request.path, one_thing_code=code, prefilled=known))

    step = request.POST.get("step")
    if step == "guide" and definition.guide:
        return _post_guide(request, definition, code, draft)
    codes = [c for _t, _d, cs in qa.sections(definition, _applicable(definition, draft.data if draft else {}))
             for c in cs]
    return _post_form(request, definition, code, draft, codes)


def _post_guide(request: HttpRequest, definition: Definition, code: str,
                application: Application | None) -> HttpResponse:
    parsed, errors, raw = qa.parse_answers(definition, definition.guide, request.POST)
    for field_code in definition.guide:
        if field_code not in errors and parsed.get(field_code) is None:
            errors[field_code] = [_required_message(qa.question(definition.fields[field_code]))]
    other: list[str] = []
    if not errors:
        application, errors, raw, other = _save(request, definition=definition, one_thing_code=code,
                                                application=application, codes=definition.guide)
    if errors or other:
        data = application.data if application is not None else {}
        questions = _questions(definition, definition.guide, data, required=set(definition.guide), errors=errors,
                               raw=raw)
        context = _guide_context(definition, questions, action=request.path, application=application,
                                 one_thing_code=code, data=data)
        context["error_items"] = [{"href": "#main-form", "text": t} for t in other] + context["error_items"]
        return render(request, "portal/apply_guide.html", context)
    return redirect("apply-form", pk=application.pk)


def _post_form(request: HttpRequest, definition: Definition, code: str, application: Application | None,
               codes: list[str]) -> HttpResponse:
    action = request.POST.get("action", "continue")
    application, errors, raw, other = _save(request, definition=definition, one_thing_code=code,
                                            application=application, codes=codes)
    form_action = reverse("apply-form", args=[application.pk]) if application is not None else request.path
    if errors or other:
        data = dict(application.data) if application is not None else {}
        return render(request, "portal/apply_form.html",
                      _form_context(definition, data, action=form_action, application=application,
                                    one_thing_code=code, errors=errors, raw=raw, other_errors=other))
    if action == "save":
        messages.success(request, _("Your draft is saved. You can come back to it at any time from "
                                    "“My applications”."))
        return redirect("application", pk=application.pk)
    missing = _missing_required(definition, application, codes)
    if missing:
        return render(request, "portal/apply_form.html",
                      _form_context(definition, dict(application.data), action=form_action,
                                    application=application, one_thing_code=code, errors=missing,
                                    saved_with_errors=True))
    return redirect("apply-materials", pk=application.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply_guide(request: HttpRequest, pk: int) -> HttpResponse:
    application, response = _draft_or_redirect(request, pk)
    if response:
        return response
    definition = _definition(application)
    if not definition.guide:
        return redirect("apply-form", pk=application.pk)
    if request.method == "POST":
        return _post_guide(request, definition, application.one_thing.code, application)
    questions = _questions(definition, definition.guide, application.data, required=set(definition.guide))
    return render(request, "portal/apply_guide.html",
                  _guide_context(definition, questions, action=request.path, application=application,
                                 one_thing_code=application.one_thing.code, data=application.data))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply_form(request: HttpRequest, pk: int) -> HttpResponse:
    application, response = _draft_or_redirect(request, pk)
    if response:
        return response
    definition = _definition(application)
    if definition.guide and any(application.data.get(c) is None for c in definition.guide):
        return redirect("apply-guide", pk=application.pk)
    if request.method == "POST":
        codes = [c for _t, _d, cs in qa.sections(definition, _applicable(definition, application.data)) for c in cs]
        return _post_form(request, definition, application.one_thing.code, application, codes)
    known = prefill_answers(request.user, definition)
    return render(request, "portal/apply_form.html",
                  _form_context(definition, dict(application.data), action=request.path, application=application,
                                one_thing_code=application.one_thing.code, prefilled=known))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply_materials(request: HttpRequest, pk: int) -> HttpResponse:
    application, response = _draft_or_redirect(request, pk)
    if response:
        return response
    definition = _definition(application)
    applicable = _applicable(definition, application.data)
    error_items: list[dict] = []
    materials = _materials_for(definition, applicable, _documents(application))
    if request.method == "POST":
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
                services.document_upload(application=application, user=request.user, material_code=material["code"],
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
        "materials": materials, "error_items": error_items,
    })


def _check_context(request: HttpRequest, application: Application, definition: Definition, *,
                   errors: dict | None = None, missing_materials: Iterable[str] = (), submitted: bool = False) -> dict:
    data = application.data or {}
    applicable = _applicable(definition, data)
    documents = _documents(application)
    if errors is None and not submitted:
        # Shown before the citizen presses submit, so nothing comes as a surprise.
        needed = definition.fields_for(applicable)
        errors = definition.validate({k: v for k, v in data.items() if k in needed},
                                     required=definition.required_fields(applicable)) if applicable else {}
        missing_materials = sorted(definition.required_materials(applicable) - set(documents)) if applicable else []
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
    error_items = []
    for section in rows_by_section:
        for row in section["rows"]:
            for message in row["errors"]:
                error_items.append({"href": row["change_url"], "text": f"{row['label']}: {message}"})
    for material in materials:
        if material["code"] in set(missing_materials):
            material["errors"].append(_("Upload this material."))
            error_items.append({"href": f"{materials_url}#{material['id']}",
                                "text": f"{material['label']}: {_('Upload this material.')}"})
    if not applicable:
        error_items.insert(0, {"href": guide_url, "text": _("None of the procedures applies to your answers.")})
    return {
        "application": application, "definition_name": localized(definition.one_thing.get("name")),
        "sections": rows_by_section, "materials": materials, "materials_url": materials_url,
        "error_items": error_items, "submitted": submitted, "submit_key": uuid.uuid4().hex,
        "decision": _decision(definition, applicable), "has_guide": bool(definition.guide),
    }


def _row(definition: Definition, code: str, data: dict, errors: dict, change_url: str) -> dict:
    spec = definition.fields[code]
    return {"code": code, "label": localized(spec.get("label")) or code,
            "value": qa.display_value(spec, data.get(code)), "errors": [str(m) for m in errors.get(code, [])],
            "change_url": change_url, "multiline": spec.get("type") == "text"}


@login_required
@require_safe
def apply_check(request: HttpRequest, pk: int) -> HttpResponse:
    application, response = _draft_or_redirect(request, pk)
    if response:
        return response
    definition = _definition(application)
    return render(request, "portal/apply_check.html", _check_context(request, application, definition))


@login_required
@require_POST
def apply_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    key = request.POST.get("submit_key", "")[:200] or None
    if application.status != ApplicationStatus.DRAFT and key and application.submit_key == key:
        return redirect("receipt", pk=application.pk)  # a double click: the first one won
    try:
        application = services.application_submit(application=application, user=request.user, idempotency_key=key)
    except InvalidInput as exc:
        errors = exc.errors if isinstance(exc.errors, dict) else {}
        definition = _definition(application)
        context = _check_context(request, application, definition, errors=errors.get("data") or {},
                                 missing_materials=errors.get("materials") or [], submitted=True)
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
    definition = _definition(application)
    cases = _case_rows(application, definition, list(application.cases.select_related("department")))
    return render(request, "portal/receipt.html", {
        "application": application, "definition_name": one_thing_name(application), "cases": cases,
    })


# -- follow --------------------------------------------------------------------------------------

class _LocalDates:
    """What ``|date:"Y-m-d"`` and ``|date:"Y-m-d H:i"`` print (in the current time zone, as templates
    convert), with the time zone looked up once per page: the ``date`` filter costs ~20 µs a value."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def _local(self, value: Any) -> Any:
        if self.zone is not None and isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.zone)
        return value

    def day(self, value: Any) -> str:
        if not value:
            return ""
        value = self._local(value)
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"

    def minute(self, value: Any) -> str:
        if not value:
            return ""
        value = self._local(value)
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"


def _list_rows(applications: list[Application]) -> list[dict]:
    """The list's rows in display form: labels translated once per page, a one thing's name once per
    version, so that the template only prints strings (per-row template work was most of the page)."""
    statuses = {value: str(label) for value, label in ApplicationStatus.choices}
    outcomes = {value: str(label) for value, label in Outcome.choices}
    names: dict[int, str] = {}
    dates = _LocalDates()
    progress = app_selectors.case_progress([application.pk for application in applications])
    rows = []
    for application in applications:
        name = names.get(application.version_id)
        if name is None:
            name = names[application.version_id] = one_thing_name(application)
        status, outcome = application.status, application.outcome
        done, total = progress.get(application.pk, (0, 0))
        rows.append({
            "application": application, "name": name, "url": reverse("application", args=[application.pk]),
            "number": application.number,
            "status_label": statuses.get(status, status), "status_tone": tone(status),
            "outcome_label": outcomes.get(outcome, outcome) if outcome else "", "outcome_tone": tone(outcome),
            "submitted": dates.day(application.submitted_at),
            "saved": "" if application.submitted_at else dates.minute(application.updated_at),
            "expected_finish": dates.day(application.expected_finish),
            "done": done, "total": total,
            "needs_you": status == ApplicationStatus.CORRECTION_REQUESTED,
        })
    return rows


@login_required
@require_safe
def application_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, one_things=published_one_thing_choices())
    status = code = ""
    if form.is_valid():
        status, code = form.cleaned_data["status"], form.cleaned_data["one_thing"]
    queryset = app_selectors.applications_for_citizen(user=request.user, status=status or None)
    if code:
        queryset = queryset.filter(one_thing__code=code)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _list_rows(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portal/application_list.html", {
        "form": form, "rows": rows, "page": page, "filtered": bool(status or code), "query": query.urlencode(),
    })


def _holder(case, definition: Definition, department: str) -> str:
    if case.status == CaseStatus.WAITING:
        names = [procedure_name(definition, p) for p in case.after]
        return _("Starts when %(procedures)s is approved") % {"procedures": "、".join(names) or "—"}
    if case.status == CaseStatus.QUEUED:
        return _("%(department)s (waiting for a clerk)") % {"department": department}
    if case.status == CaseStatus.IN_REVIEW:
        return _("%(department)s (a clerk is reviewing it)") % {"department": department}
    if case.status == CaseStatus.CORRECTION_REQUESTED:
        return _("You: corrections are needed")
    return _("No one: finished")


def _case_rows(application: Application, definition: Definition, cases: list) -> list[dict]:
    rows = []
    for case in cases:
        department = localized(case.department.name) if case.department_id else department_name_of(
            definition, case.procedure_code)
        outputs = []
        labels = {o["code"]: localized(o.get("label")) or o["code"] for o in definition.outputs_of(case.procedure_code)} \
            if case.procedure_code in definition.procedures else {}
        for code, value in (case.outputs or {}).items():
            outputs.append({"label": labels.get(code, code), "value": value})
        rows.append({
            "case": case, "procedure": procedure_name(definition, case.procedure_code), "department": department,
            "status": case.status, "status_label": case.get_status_display(), "due_date": case.due_date,
            "holder": _holder(case, definition, department), "outputs": outputs,
            "comment": case.comment if case.status == CaseStatus.REJECTED else "",
        })
    return rows


def _timeline_text(entry, cases_by_id: dict, definition: Definition) -> str:
    case = cases_by_id.get(entry.case_id)
    procedure = procedure_name(definition, case.procedure_code) if case is not None else ""
    department = localized(entry.department.name) if entry.department_id and entry.department else ""
    return citizen_text(entry.kind, procedure=procedure, department=department)


def _timeline_note(entry) -> str:
    """The words a citizen should read with an event: a clerk's reason or request."""
    if entry.kind in ("case.correction_requested", "case.rejected", "case.approved"):
        return entry.message
    if entry.kind == "application.submitted":
        return entry.message  # the application number
    return ""


def _correction_state(application: Application, definition: Definition, cases: list) -> dict | None:
    waiting = [c for c in cases if c.status == CaseStatus.CORRECTION_REQUESTED]
    if not waiting:
        return None
    fields: list[str] = []
    materials: list[str] = []
    requests = []
    for case in waiting:
        corrections = case.corrections or {}
        fields += [f for f in corrections.get("fields", []) if f in definition.fields and f not in fields]
        materials += [m for m in corrections.get("materials", []) if m not in materials]
        requests.append({"procedure": procedure_name(definition, case.procedure_code),
                         "department": localized(case.department.name), "message": corrections.get("message", ""),
                         "fields": [localized(definition.fields[f].get("label")) or f
                                    for f in corrections.get("fields", []) if f in definition.fields],
                         "materials": [localized(definition.materials.get(m, {}).get("label")) or m
                                       for m in corrections.get("materials", [])],
                         "since": case.paused_at})
    return {"fields": fields, "materials": materials, "requests": requests, "cases": waiting}


def _detail_context(request: HttpRequest, application: Application, *, correction_errors=None, raw=None,
                    material_errors=None, other_errors=()) -> dict:
    definition = _definition(application)
    cases = list(application.cases.select_related("department"))
    cases_by_id = {c.pk: c for c in cases}
    documents = _documents(application)
    data = application.data or {}
    applicable = [c.procedure_code for c in cases] or _applicable(definition, data)
    correction = _correction_state(application, definition, cases)
    marked_fields = set(correction["fields"]) if correction else set()
    marked_materials = set(correction["materials"]) if correction else set()

    sections = []
    if definition.guide:
        sections.append({"title": _("Your situation"), "rows": [
            {**_row(definition, c, data, {}, ""), "marked": False} for c in definition.guide]})
    for title, department, codes in qa.sections(definition, applicable):
        sections.append({"title": title, "department": department, "rows": [
            {**_row(definition, c, data, {}, f"#{qa.input_id(c)}"), "marked": c in marked_fields} for c in codes]})
    materials = _materials_for(definition, applicable, documents)
    for material in materials:
        material["marked"] = material["code"] in marked_materials
        material["errors"] = list((material_errors or {}).get(material["code"], []))

    correction_questions: list[qa.Question] = []
    if correction:
        required = definition.required_fields(applicable) if applicable else set()
        correction_questions = _questions(definition, correction["fields"], data, required=required,
                                          errors=correction_errors, raw=raw, marked=correction["fields"])
    error_items = [{"href": "#correction", "text": t} for t in other_errors] + _error_items(correction_questions)
    error_items += [{"href": f"#{m['id']}-file", "text": f"{m['label']}: {e}"} for m in materials for e in m["errors"]]

    timeline = [{"at": e.at, "kind": e.kind, "text": _timeline_text(e, cases_by_id, definition),
                 "note": _timeline_note(e)} for e in app_selectors.application_timeline(application)]
    try:
        evaluation = application.evaluation
    except Application.evaluation.RelatedObjectDoesNotExist:
        evaluation = None
    return {
        "application": application, "definition_name": one_thing_name(application),
        "cases": _case_rows(application, definition, cases), "timeline": timeline, "sections": sections,
        "materials": materials, "correction": correction, "correction_questions": correction_questions,
        "error_items": error_items, "evaluation": evaluation,
        "evaluation_form": EvaluationForm() if application.status == ApplicationStatus.COMPLETED and not evaluation
        else None,
        "results": [(row["procedure"], row["outputs"]) for row in _case_rows(application, definition, cases)
                    if row["outputs"]],
        "is_draft": application.status == ApplicationStatus.DRAFT,
        "task_list": _task_list(application, definition, documents) if application.status == ApplicationStatus.DRAFT
        else None,
    }


def _task_list(application: Application, definition: Definition, documents: dict) -> list[dict]:
    """The draft's steps and how far each is (GOV.UK "task list")."""
    data = application.data or {}
    applicable = _applicable(definition, data)
    tasks = []
    if definition.guide:
        done = all(data.get(c) is not None for c in definition.guide)
        tasks.append({"name": _("Answer the questions about your situation"),
                      "url": reverse("apply-guide", args=[application.pk]),
                      "status": "done" if done else "todo"})
    codes = [c for _t, _d, cs in qa.sections(definition, applicable) for c in cs]
    required = definition.required_fields(applicable) if applicable else set()
    answered = [c for c in codes if data.get(c) not in (None, "")]
    form_done = bool(codes) and all(data.get(c) not in (None, "") for c in codes if c in required)
    tasks.append({"name": _("Fill in the form"), "url": reverse("apply-form", args=[application.pk]),
                  "status": "done" if form_done else ("started" if answered else "todo"),
                  "detail": _("%(done)s of %(total)s questions answered") % {"done": len(answered),
                                                                            "total": len(codes)}})
    needed = definition.required_materials(applicable) if applicable else set()
    uploaded = [m for m in definition.materials_for(applicable) if m in documents]
    tasks.append({"name": _("Upload the materials"), "url": reverse("apply-materials", args=[application.pk]),
                  "status": "done" if needed <= set(documents) else ("started" if uploaded else "todo"),
                  "detail": _("%(done)s of %(total)s uploaded") % {"done": len(uploaded),
                                                                   "total": len(definition.materials_for(applicable))}})
    tasks.append({"name": _("Check your answers and submit"), "url": reverse("apply-check", args=[application.pk]),
                  "status": "todo"})
    return tasks


@login_required
@require_safe
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    return render(request, "portal/application_detail.html", _detail_context(request, application))


@login_required
@require_POST
def application_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a correction request: only the marked fields and materials change; then resubmit."""
    application = app_selectors.application_for_citizen(request.user, pk)
    if application.status != ApplicationStatus.CORRECTION_REQUESTED:
        messages.error(request, _("No correction is requested for this application."))
        return redirect("application", pk=application.pk)
    definition = _definition(application)
    cases = list(application.cases.select_related("department"))
    correction = _correction_state(application, definition, cases)
    codes = correction["fields"]
    parsed, errors, raw = qa.parse_answers(definition, codes, request.POST)
    applicable = [c.procedure_code for c in cases]
    required = definition.required_fields(applicable)
    for code in codes:
        if code not in errors and code in required and parsed.get(code) is None:
            errors[code] = [_required_message(qa.question(definition.fields[code]))]
    other: list[str] = []
    material_errors: dict[str, list[str]] = {}
    if not errors and codes:
        try:
            application = services.application_update(application=application, user=request.user, data=parsed)
        except InvalidInput as exc:
            errors, other = _service_field_errors(exc, codes)
        except DomainError as exc:
            other = [_domain_message(exc)]
    if not errors and not other:
        for code in correction["materials"]:
            upload = request.FILES.get(f"file-{code}")
            if upload is None:
                continue
            if len(request.FILES.getlist(f"file-{code}")) > 1:
                material_errors[code] = [_("Upload one file at a time.")]
                continue
            try:
                services.document_upload(application=application, user=request.user, material_code=code,
                                         file=upload, filename=upload.name)
            except DomainError as exc:
                material_errors[code] = [_domain_message(exc, material=definition.materials.get(code))]
    if not errors and not other and not material_errors and request.POST.get("action") == "resubmit":
        try:
            services.application_resubmit(application=application, user=request.user)
        except InvalidInput as exc:
            # The service names the materials still to upload (marked ones not uploaded again).
            found = exc.errors.get("materials") if isinstance(exc.errors, dict) else None
            for code in found or []:
                material_errors[code] = [_("Upload a corrected file.")]
            if not material_errors or (exc.errors or {}).get("data"):
                errors, other = _service_field_errors(exc, codes)
        except DomainError as exc:
            other = [_domain_message(exc)]
        else:
            messages.success(request, _("Your corrections are sent. The departments carry on with your "
                                        "application."))
            return redirect("application", pk=application.pk)
    if errors or other or material_errors:
        application.refresh_from_db()
        context = _detail_context(request, application, correction_errors=errors, raw=raw,
                                  material_errors=material_errors, other_errors=other)
        return render(request, "portal/application_detail.html", context, status=400)
    messages.success(request, _("Your corrections are saved. Send them when you are ready."))
    return redirect(f"{reverse('application', args=[application.pk])}#correction")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    if not application.is_open:
        messages.error(request, _("Only an application that is still being handled can be withdrawn."))
        return redirect("application", pk=application.pk)
    if request.method == "POST":
        try:
            services.application_withdraw(application=application, user=request.user)
        except DomainError as exc:
            messages.error(request, _domain_message(exc))
            return redirect("application", pk=application.pk)
        messages.success(request, _("Your application is withdrawn. Every department has stopped working on it."))
        return redirect("application", pk=application.pk)
    return render(request, "portal/confirm_withdraw.html",
                  {"application": application, "definition_name": one_thing_name(application)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def application_delete(request: HttpRequest, pk: int) -> HttpResponse:
    application, response = _draft_or_redirect(request, pk)
    if response:
        return response
    if request.method == "POST":
        services.application_delete(application=application, user=request.user)
        messages.success(request, _("Your draft is deleted."))
        return redirect("applications")
    return render(request, "portal/confirm_delete.html",
                  {"application": application, "definition_name": one_thing_name(application)})


@login_required
@require_POST
def application_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, application)
        context["evaluation_form"] = form
        context["error_items"] = [{"href": "#id_score_0" if name == "score" else f"#id_{name}", "text": message}
                                  for name, errs in form.errors.items() for message in errs]
        return render(request, "portal/application_detail.html", context, status=400)
    try:
        services.evaluation_create(application=application, user=request.user, score=form.cleaned_data["score"],
                                   comment=form.cleaned_data["comment"])
    except DomainError as exc:
        messages.error(request, _("This application cannot be rated: it is not finished, or you rated it "
                                  "already.") if isinstance(exc, InvalidState) else _domain_message(exc))
        return redirect("application", pk=application.pk)
    messages.success(request, _("Thank you for your rating."))
    return redirect("application", pk=application.pk)


@login_required
@require_safe
def document_file(request: HttpRequest, pk: int, doc_pk: int) -> FileResponse:
    """A document's bytes for its owner only (never from a public media URL)."""
    document = app_selectors.document_for_user(request.user, pk, doc_pk)
    if document.application.applicant_id != request.user.pk:
        raise Http404("Document not found.")
    inline = document.content_type in ("application/pdf", "image/png", "image/jpeg")
    response = FileResponse(document.file.open("rb"), content_type=document.content_type or
                            "application/octet-stream", as_attachment=not inline, filename=document.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# -- accounts ------------------------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """Without a ``next``: clerks go to their workbench, citizens to their applications."""
        if app_selectors.is_clerk(self.request.user):
            try:
                return reverse("workbench:queue")
            except NoReverseMatch:
                pass
        return reverse("applications")


class LogoutView(auth_views.LogoutView):
    next_page = "home"


@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Registration; the answer to an accepted form is the same whether the ID number was new or
    already had an account (whose owner the service notifies): sign in next."""
    if request.user.is_authenticated:
        return redirect("profile")
    if request.method == "POST":
        try:
            account_services.registration_attempt(client_address=client_address(request))
        except RateLimited as exc:
            text = _("Too many registrations from your address. Try again in %(minutes)d minutes.") % {
                "minutes": max(1, -(-exc.wait // 60))}
            response = render(request, "portal/register.html",
                              {"form": RegisterForm(), "next": safe_next(request, ""),
                               "limit_errors": [{"href": "#main-form", "text": text}]}, status=429)
            response["Retry-After"] = str(exc.wait)
            return response
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.citizen_register(
                username=data["username"], password=data["password1"], name=data["name"],
                id_number=data["id_number"], phone=data["phone"], email=data["email"])
        except InvalidInput as exc:
            # Someone took the username in the meantime, or a rule the form missed.
            for name, _messages in (exc.errors or {}).items():
                target = {"password": "password1"}.get(name, name)
                if name == "username":
                    taken = account_services.USERNAME_TAKEN in _messages
                    message = form.error_messages["username_taken"] if taken else _messages[0]
                else:
                    message = _("Check this answer.")
                form.add_error(target if target in form.fields else None, message)
        else:
            messages.success(request, _("Registration received. If this ID number had no account yet, yours is "
                                        "ready: sign in with your username and password. If it already had one, "
                                        "we have told its owner."))
            login_url = reverse("login")
            target = safe_next(request, "")
            return redirect(f"{login_url}?{urlencode({'next': target})}" if target else login_url)
    return render(request, "portal/register.html", {"form": form, "next": safe_next(request, "")})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"phone": user.phone, "email": user.email})
    if request.method == "POST" and form.is_valid():
        profile_update(user=user, phone=form.cleaned_data["phone"], email=form.cleaned_data["email"])
        messages.success(request, _("Your contact details are saved."))
        return redirect("profile")
    return render(request, "portal/profile.html", {"form": form, "profile_user": user})


# -- passwords -----------------------------------------------------------------------------------
# The rules (current password, validators, tokens, codes, rate limits) are in
# govflow.accounts.services; these views only turn forms into calls and errors into messages.

RESET_IDENTIFIER = "govflow_password_reset_identifier"


def _new_password_errors(form, exc: InvalidInput) -> dict[str, list[str]]:
    """Put a service's ``new_password`` errors (the validators' own, translated, messages) on the form;
    return the other errors."""
    errors = dict(exc.errors or {})
    for message in errors.pop("new_password", []):
        form.add_error("new_password1", message)
    return errors


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.change_password(user=request.user, old_password=form.cleaned_data["old_password"],
                                                    new_password=form.cleaned_data["new_password1"])
        except InvalidInput as exc:
            if _new_password_errors(form, exc):
                form.add_error("old_password", _("Your current password is not correct."))
        else:
            update_session_auth_hash(request, user)  # this session stays; every other one ends
            messages.success(request, _("Your password is changed. You are signed out on your other devices."))
            return redirect("profile")
    status = 400 if form.errors else 200
    return render(request, "portal/password_change.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_forgot(request: HttpRequest) -> HttpResponse:
    form = ForgotPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        identifier, channel = form.cleaned_data["identifier"].strip(), form.cleaned_data["channel"]
        wait = account_services.request_password_reset(
            identifier=identifier, channel=channel, client=client_address(request))
        if wait is None:
            # The same answer whether an account matched or not.
            if channel == "sms":
                request.session[RESET_IDENTIFIER] = identifier
                return redirect("password-reset-code")
            return redirect("password-forgot-sent")
        form.add_error(None, _("Too many requests from your address. Try again in %(minutes)d minutes.")
                       % {"minutes": max(1, -(-wait // 60))})
        status = 429
    elif form.errors:
        status = 400
    response = render(request, "portal/password_forgot.html", {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


@never_cache
@require_safe
def password_forgot_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_forgot_sent.html",
                  {"valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = account_services.user_for_reset_link(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "portal/password_reset_invalid.html", status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.reset_password_with_link(uidb64=uidb64, token=token,
                                                      new_password=form.cleaned_data["new_password1"])
        except InvalidInput as exc:
            if _new_password_errors(form, exc):  # the link was used meanwhile
                return render(request, "portal/password_reset_invalid.html", status=400)
        else:
            messages.success(request, _("Your password is changed. Sign in with your new password."))
            return redirect("login")
    return render(request, "portal/password_reset_confirm.html", {"form": form, "username": user.username},
                  status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset_code(request: HttpRequest) -> HttpResponse:
    form = ResetCodeForm(request.POST or None, initial={"identifier": request.session.get(RESET_IDENTIFIER, "")})
    if request.method == "POST" and form.is_valid():
        try:
            account_services.reset_password_with_code(
                identifier=form.cleaned_data["identifier"], code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"])
        except InvalidInput as exc:
            if _new_password_errors(form, exc):
                form.add_error("code", _("This code is wrong, used or expired. Check it, or ask for a new code."))
        else:
            request.session.pop(RESET_IDENTIFIER, None)
            messages.success(request, _("Your password is changed. Sign in with your new password."))
            return redirect("login")
    return render(request, "portal/password_reset_code.html",
                  {"form": form, "valid_minutes": account_services.reset_code_minutes()},
                  status=400 if form.errors else 200)


# -- health --------------------------------------------------------------------------------------

def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz: database check failed")
        return "error"
    return "ok"


def _check_broker() -> str:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) or not getattr(settings, "CELERY_BROKER_URL", ""):
        return "eager"
    from govflow.celery import app

    try:
        with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("healthz: broker check failed")
        return "error"
    return "ok"


# csrf_exempt: the view changes nothing and takes GET only, so any other method must answer
# 405 rather than the CSRF middleware's 403.
@csrf_exempt
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and monitoring: no auth, GET only."""
    database = _check_database()
    broker = _check_broker()
    healthy = database == "ok" and broker in ("ok", "eager")
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
