"""The service-hall counter (一窗受理) in the workbench: a counter clerk identifies a walk-in
person or company, sees their earlier applications (only then; each read recorded by the
domain), picks a one thing they may apply for, fills the one form with them, uploads the
scanned materials, checks and submits, and prints the receipt with its one-time code.

Interface only: every rule is ``govflow.applications.counter``'s or the application services'.
The party identified is kept in the clerk's session (never in a URL: a counter clerk sees a
person's file only by identifying them); so is the receipt code, until the next walk-in, because
only its hash is stored.
"""
from __future__ import annotations

from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govflow.applications import counter as domain
from govflow.applications import delivery as delivery_rules
from govflow.applications.models import Application, ApplicationStatus, Document
from govflow.applications.readiness import readiness
from govflow.applications.services import drafting, submitting, uploading
from govflow.catalog import questions as qa
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.fieldtypes import field_type
from govflow.catalog.identifiers import USCC_INPUT_PATTERN
from govflow.catalog.models import localized
from govflow.errors import DomainError, InvalidInput
from govflow.web import (
    deferral_from_post,
    delivery_form,
    delivery_from_post,
    question_error_items,
    receipt_context,
)

from .counter_deferral import deferral_choice
from .views import _context, _failure, staff_required

PARTY_KEY = "counter_party"
RECEIPT_KEY = "counter_receipt"

#: The domain's English messages, as the clerk reads them.
MESSAGES = {
    "Enter a valid resident ID number.": gettext_lazy("Enter a valid resident ID number."),
    "This field is required.": gettext_lazy("This field is required."),
    "Enter a valid mobile phone number.": gettext_lazy("Enter a valid mobile phone number."),
    "The name does not match the ID number's record.": gettext_lazy("The name does not match the ID number's record."),
    "This record is closed.": gettext_lazy("This ID number's record is closed."),
    "Enter a valid unified social credit code (18 characters, check character included).":
        gettext_lazy("Enter a valid unified social credit code (18 characters, check character included)."),
    "No organisation with this code is registered: enter its name and legal representative.":
        gettext_lazy("No organisation with this code is registered: enter its name and legal representative "
                     "to register it."),
    "Choose a one thing this applicant may apply for.": gettext_lazy("Choose a one thing this applicant may apply for."),
}


def _say(message: Any) -> str:
    return str(MESSAGES.get(str(message), message))


# -- forms -----------------------------------------------------------------------------------------


class PersonForm(forms.Form):
    id_number = forms.CharField(label=gettext_lazy("Resident ID number"), max_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    name = forms.CharField(label=gettext_lazy("Name (as on the ID card)"), max_length=100)
    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    prefix = "person"


class OrganisationForm(forms.Form):
    uscc = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=18,
                           widget=forms.TextInput(attrs={"pattern": USCC_INPUT_PATTERN, "autocomplete": "off",
                                                         "spellcheck": "false"}))
    name = forms.CharField(label=gettext_lazy("Name (only to register a new organisation)"), max_length=200,
                           required=False)
    legal_representative_name = forms.CharField(label=gettext_lazy("Legal representative (to register)"),
                                                max_length=100, required=False)
    address = forms.CharField(label=gettext_lazy("Registered address (to register)"), max_length=200, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("Contact phone (to register)"), max_length=20, required=False)
    prefix = "org"


def _add_errors(form: forms.Form, exc: InvalidInput) -> None:
    errors = exc.errors if isinstance(exc.errors, dict) else {}
    placed = False
    for field, messages_ in errors.items():
        for message in messages_ if isinstance(messages_, list) else [messages_]:
            form.add_error(field if field in form.fields else None, _say(message))
            placed = True
    if not placed:
        form.add_error(None, _say(exc.message))


# -- access ----------------------------------------------------------------------------------------


def _office(request: HttpRequest):
    """The counter the clerk works (the first of theirs; a clerk of several picks on the first page)."""
    offices = list(domain.counter_offices(request.user))
    if not offices:
        raise PermissionDenied(_("The counter is for service-hall counter clerks."))
    wanted = request.POST.get("office") or (request.session.get(PARTY_KEY) or {}).get("office")
    chosen = next((o for o in offices if str(o.pk) == str(wanted) or o.code == wanted), offices[0])
    return chosen, offices


def _party(request: HttpRequest):
    kept = request.session.get(PARTY_KEY) or {}
    return domain.counter_party(kind=kept.get("kind"), pk=kept.get("id")) if kept else None


def _application(request: HttpRequest, pk: int) -> Application:
    return domain.counter_application(request.user, pk)


def _render(request: HttpRequest, template: str, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, template, _context(request, **extra), status=status)


# -- identify --------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def counter_home(request: HttpRequest) -> HttpResponse:
    """Identify the walk-in: a person by ID number and name, or a company by its USCC."""
    office, offices = _office(request)
    person_form, org_form = PersonForm(), OrganisationForm()
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind")
        form = PersonForm(request.POST) if kind == "person" else OrganisationForm(request.POST)
        if kind == "person":
            person_form = form
        else:
            org_form = form
        if form.is_valid():
            try:
                if kind == "person":
                    party = domain.counter_identify_person(clerk=request.user, office=office, **form.cleaned_data)
                else:
                    party = domain.counter_identify_organisation(clerk=request.user, office=office,
                                                                 **form.cleaned_data)
            except InvalidInput as exc:
                _add_errors(form, exc)
            except DomainError as exc:
                _failure(request, exc)
                return redirect("workbench:counter")
            else:
                request.session[PARTY_KEY] = {**party.key(), "office": office.pk}
                request.session.pop(RECEIPT_KEY, None)
                return redirect("workbench:counter-party")
        status = 400
    return _render(request, "workbench/counter.html", status=status, title=_("Service-hall counter"),
                   office=office, offices=offices, person_form=person_form, org_form=org_form,
                   party=_party(request))


@require_POST
@staff_required
def counter_next(request: HttpRequest) -> HttpResponse:
    """The walk-in is served: forget them (and the last receipt code) before the next one."""
    request.session.pop(PARTY_KEY, None)
    request.session.pop(RECEIPT_KEY, None)
    messages.success(request, _("Ready for the next person."))
    return redirect("workbench:counter")


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def counter_party(request: HttpRequest) -> HttpResponse:
    """The identified person or company: their earlier applications and results (the read is
    recorded), and the one things they may apply for."""
    office, _offices = _office(request)
    party = _party(request)
    if party is None:
        return redirect("workbench:counter")
    error = ""
    if request.method == "POST":
        try:
            application = domain.counter_application_start(clerk=request.user, office=office, party=party,
                                                           one_thing_code=request.POST.get("one_thing", ""))
        except InvalidInput as exc:
            error = _say((exc.errors or {}).get("one_thing", [exc.message])[0])
        except DomainError as exc:
            _failure(request, exc)
            return redirect("workbench:counter")
        else:
            return redirect("workbench:counter-form", pk=application.pk)
    history = domain.counter_history(clerk=request.user, office=office, party=party)
    # The names the published versions carry (one narrow query: no snapshot decoded).
    choices = [(code, localized(published or name)) for code, name, published in
               domain.counter_one_things(office=office, party=party).values_list(
                   "code", "name", "current_version__definition__one_things__0__name")]
    rows = [{"application": a, "name": localized(a.one_thing.name),
             "outputs": history.outputs.get(a.pk, [])} for a in history.applications]
    return _render(request, "workbench/counter_party.html", status=400 if error else 200,
                   title=_("Applying for %(name)s") % {"name": party.name}, office=office, party=party,
                   rows=rows, choices=choices, error=error)


# -- the one form ----------------------------------------------------------------------------------


def _on_draft(view):
    """A step of the counter's draft: the view is called with the application while it is a draft;
    once submitted, the step shows its receipt instead."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
        application = _application(request, pk)
        if application.status != ApplicationStatus.DRAFT:
            return redirect("workbench:counter-receipt", pk=application.pk)
        return view(request, application)

    return wrapper


def _codes(definition: Definition, data: dict) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    applicable = definition.applicable_procedures(data)
    sections = qa.sections(definition, applicable)
    return list(definition.guide) + [c for _t, _d, codes in sections for c in codes], sections


def _groups(definition: Definition, data: dict, *, errors: dict | None = None, raw: dict | None = None) -> list[dict]:
    errors = errors or {}
    applicable = definition.applicable_procedures(data)
    required = set(definition.guide) | (definition.required_fields(applicable) if applicable else set())

    def questions(codes: list[str]) -> list[qa.Question]:
        return [qa.question(definition.fields[c], value=data.get(c), required=c in required, errors=errors.get(c),
                            raw=raw.get(c) if raw and c in raw else None) for c in codes]

    groups = []
    if definition.guide:
        groups.append({"title": _("The applicant's situation"), "department": "",
                       "questions": questions(list(definition.guide))})
    for title, department, codes in qa.sections(definition, applicable):
        groups.append({"title": title, "department": department, "questions": questions(codes)})
    return groups


def _error_items(groups: list[dict]) -> list[dict]:
    return question_error_items(q for group in groups for q in group["questions"])


def _required_message(spec: dict) -> str:
    return _("Select an answer.") if field_type(spec).widget(spec).name in ("radios", "select", "yesno") \
        else _("Enter an answer.")


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@_on_draft
def counter_form(request: HttpRequest, application: Application) -> HttpResponse:
    """The one form, filled in with the applicant: situation questions first, then every question
    of the procedures that apply, each asked once."""
    definition = get_definition(application.version)
    errors: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    notice = ""
    status = 200
    if request.method == "POST":
        codes, _sections = _codes(definition, application.data)
        parsed, errors, raw = qa.parse_answers(definition, codes, request.POST)
        if errors:  # refused: the blanks this page leaves are said in the same round
            would_be = {**application.data, **{c: v for c, v in parsed.items() if c not in errors}}
            missing = readiness(definition, {c: v for c, v in would_be.items() if v is not None}, ()).missing_fields
            errors = {c: errors.get(c) or [_required_message(definition.fields[c])]
                      for c in codes if c in errors or c in missing}
        else:
            try:
                application = drafting.application_update(application=application, user=request.user,
                                                              data=parsed)
            except InvalidInput as exc:
                data_errors = (exc.errors or {}).get("data") if isinstance(exc.errors, dict) else None
                errors = ({c: [str(m) for m in ms] for c, ms in data_errors.items() if c in definition.fields}
                          if isinstance(data_errors, dict) else {})
                if not errors:
                    messages.error(request, _("Some answers are not valid. Check them and try again."))
            except DomainError as exc:
                _failure(request, exc)
                return redirect("workbench:counter-form", pk=application.pk)
        if not errors:
            now_codes, _sections = _codes(definition, application.data)
            if set(now_codes) - set(codes):
                notice = _("These answers bring more questions: answer them below.")
            else:
                missing = readiness(definition, application.data, ()).missing_fields
                errors = {c: [_required_message(definition.fields[c])] for c in now_codes if c in missing}
                if not errors:
                    return redirect("workbench:counter-materials", pk=application.pk)
        status = 400 if errors else 200
    groups = _groups(definition, application.data, errors=errors, raw=raw if errors else None)
    return _render(request, "workbench/counter_form.html", status=status, title=_("Fill in the form"),
                   application=application, definition_name=localized(definition.one_thing.get("name")),
                   groups=groups, error_items=_error_items(groups), notice=notice)


# -- materials -------------------------------------------------------------------------------------


def _materials(definition: Definition, data: dict, documents: dict[str, Document]) -> list[dict]:
    applicable = definition.applicable_procedures(data)
    required = definition.required_materials(applicable)
    rows = []
    for material in definition.materials_asked:
        if not any(p in applicable for p in material["procedures"]):
            continue
        types = material.get("accepted_types", [])
        rows.append({"code": material["code"], "id": f"m-{material['code']}",
                     "label": localized(material.get("label")) or material["code"],
                     "required": material["code"] in required,
                     "types": " / ".join(dict.fromkeys(t.upper().replace("JPG", "JPEG") for t in types)),
                     "accept": ",".join(f".{t}" for t in types), "max_size_mb": material.get("max_size_mb", 10),
                     "document": documents.get(material["code"]), "errors": []})
    return rows


def _upload_message(exc: DomainError, material: dict) -> str:
    if exc.status == 413:
        return _("The file is larger than %(size)s MB.") % {"size": material["max_size_mb"]}
    if exc.status == 415:
        return _("This type of file is not accepted. Upload %(types)s.") % {"types": material["types"]}
    return _("This material can no longer be changed.")


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@_on_draft
def counter_materials(request: HttpRequest, application: Application) -> HttpResponse:
    """Scan or upload each material once."""
    definition = get_definition(application.version)
    documents = {d.material_code: d for d in Document.objects.filter(application=application)}
    materials = _materials(definition, application.data, documents)
    status = 200
    if request.method == "POST":
        material = next((m for m in materials if m["code"] == request.POST.get("material")), None)
        upload = request.FILES.get("file")
        if material is None:
            messages.error(request, _("Choose which material this file is."))
            return redirect("workbench:counter-materials", pk=application.pk)
        if upload is None or len(request.FILES.getlist("file")) != 1:
            material["errors"].append(_("Choose one file to upload."))
        else:
            try:
                uploading.document_upload(application=application, user=request.user,
                                             material_code=material["code"], file=upload, filename=upload.name)
            except DomainError as exc:
                if exc.status == 404:
                    _failure(request, exc)
                material["errors"].append(_upload_message(exc, material))
            else:
                messages.success(request, _("“%(material)s” is uploaded.") % {"material": material["label"]})
                return redirect(f"{reverse('workbench:counter-materials', args=[application.pk])}#{material['id']}")
        status = 400
    error_items = [{"href": f"#{m['id']}-file", "text": f"{m['label']}: {e}"} for m in materials for e in m["errors"]]
    return _render(request, "workbench/counter_materials.html", status=status, title=_("Materials"),
                   application=application, definition_name=localized(definition.one_thing.get("name")),
                   materials=materials, error_items=error_items)


# -- check, submit, receipt -------------------------------------------------------------------------


def _delivery(application: Application, definition: Any, applicable: Any, *, posted: dict | None = None,
              errors: dict | None = None) -> tuple[dict | None, list[str], list[dict]]:
    """How the applicant receives physical results (the portal's question, asked by the clerk):
    the form, the results' names, the error summary's items."""
    found = delivery_rules.options_for_draft(application, definition, applicable)
    # The walk-in person's profile (for an organisation, its contact), never the clerk's.
    form = delivery_form(found, posted=posted, errors=errors, suggested=delivery_rules.suggested_address(application))
    if form is None:
        return None, [], []
    results = [localized(r.get("label")) or r["code"] for code in found.procedures
               for r in definition.physical_results_of(code)]
    first = {"method": form["methods"][0]["id"] if form["methods"] else "delivery",
             "office": form["offices"][0]["id"] if form["offices"] else "delivery"}
    items = [{"href": f"#{first.get(key, f'delivery-{key}')}", "text": message}
             for key, messages_ in form["errors"].items() for message in messages_]
    return form, results, items


def _check(request: HttpRequest, application: Application, *, errors: dict | None = None,
           missing: list | None = None, status: int = 200, delivery_posted: dict | None = None,
           delivery_errors: dict | None = None, deferral_posted: dict | None = None,
           deferral_errors: dict | None = None) -> HttpResponse:
    definition = get_definition(application.version)
    documents = {d.material_code: d for d in Document.objects.filter(application=application)}
    report = readiness(definition, application.data, documents)
    errors = report.errors if errors is None else errors
    missing = list(report.missing_materials) if missing is None else missing
    form_url = reverse("workbench:counter-form", args=[application.pk])
    sections = []
    for group in _groups(definition, application.data):
        sections.append({"title": group["title"], "rows": [
            {"label": q.label, "value": qa.display_value(definition.fields[q.code], application.data.get(q.code)),
             "errors": [str(m) for m in errors.get(q.code, [])], "change_url": f"{form_url}#{q.anchor}"}
            for q in group["questions"]]})
    materials = _materials(definition, application.data, documents)
    materials_url = reverse("workbench:counter-materials", args=[application.pk])
    error_items = [{"href": row["change_url"], "text": f"{row['label']}: {m}"}
                   for section in sections for row in section["rows"] for m in row["errors"]]
    deferral = deferral_choice(application, definition, report.applicable, materials, report.missing_materials,
                               posted=deferral_posted, errors=deferral_errors)
    may_follow = set(deferral["codes"]) if deferral["offered"] else set()
    error_items += [{"href": f"{materials_url}#{m['id']}", "text": f"{m['label']}: {_('Upload this material.')}"}
                    for m in materials if m["code"] in missing and m["code"] not in may_follow]
    error_items += [{"href": "#deferral", "text": message} for message in deferral["errors"]]
    delivery, delivery_results, delivery_items = _delivery(application, definition, report.applicable,
                                                           posted=delivery_posted, errors=delivery_errors)
    error_items += delivery_items
    if not report.applicable:
        error_items.insert(0, {"href": form_url, "text": _("None of the procedures applies to these answers.")})
    return _render(request, "workbench/counter_check.html", status=status, title=_("Check and submit"),
                   application=application, definition_name=localized(definition.one_thing.get("name")),
                   sections=sections, materials=materials, error_items=error_items, materials_url=materials_url,
                   delivery=delivery, delivery_results=delivery_results, deferral=deferral)


@require_safe
@staff_required
@_on_draft
def counter_check(request: HttpRequest, application: Application) -> HttpResponse:
    return _check(request, application)


@require_POST
@staff_required
@_on_draft
def counter_submit(request: HttpRequest, application: Application) -> HttpResponse:
    """Submit, then issue the receipt code (kept in the clerk's session for the receipt only)."""
    chosen = deferral_from_post(request.POST)
    try:
        application = submitting.application_submit(
            application=application, user=request.user, delivery=delivery_from_post(request.POST),
            defer=chosen["defer"], accept_deferral_terms=chosen["accept"])
    except InvalidInput as exc:
        errors = exc.errors if isinstance(exc.errors, dict) else {}
        data = errors.get("data") if isinstance(errors.get("data"), dict) else {}
        return _check(request, application, errors=data, missing=list(errors.get("materials") or []), status=400,
                      delivery_posted=delivery_from_post(request.POST), delivery_errors=errors.get("delivery"),
                      deferral_posted=chosen, deferral_errors=errors)
    except DomainError as exc:
        _failure(request, exc)
        return redirect("workbench:counter-check", pk=application.pk)
    code = domain.counter_receipt_code(application=application, user=request.user)
    request.session[RECEIPT_KEY] = {"application": application.pk, "code": code}
    messages.success(request, _("%(number)s is submitted. Print the receipt for the applicant.")
                     % {"number": application.number})
    return redirect("workbench:counter-receipt", pk=application.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def counter_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable receipt: the number and the one-time code (shown while it is this session's;
    a lost receipt gets a new code, which replaces the old one)."""
    application = _application(request, pk)
    if application.status == ApplicationStatus.DRAFT:
        return redirect("workbench:counter-check", pk=application.pk)
    if request.method == "POST":
        try:
            code = domain.counter_receipt_code(application=application, user=request.user)
        except DomainError as exc:
            _failure(request, exc)
        else:
            request.session[RECEIPT_KEY] = {"application": application.pk, "code": code}
            messages.success(request, _("A new code is issued; the earlier one no longer works."))
        return redirect("workbench:counter-receipt", pk=application.pk)
    kept = request.session.get(RECEIPT_KEY) or {}
    code = kept.get("code") if kept.get("application") == application.pk and not application.claimed_at else ""
    definition = get_definition(application.version)
    return _render(request, "workbench/counter_receipt.html", title=_("Receipt"), application=application,
                   definition_name=localized(definition.one_thing.get("name")), **receipt_context(request, application),
                   code=domain.format_code(code) if code else "",
                   follow_url=request.build_absolute_uri(reverse("follow-receipt")))
