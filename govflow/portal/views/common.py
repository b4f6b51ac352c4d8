"""What the portal's pages share: the draft they work on, its questions and materials, and a domain
error in the citizen's words.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from govflow.applications import selectors as app_selectors
from govflow.applications.models import Application, ApplicationStatus, Document
from govflow.catalog import questions as qa
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.fieldtypes import field_type
from govflow.catalog.models import localized
from govflow.catalog.questions import procedure_name
from govflow.errors import (
    Busy,
    DomainError,
    InvalidInput,
    InvalidState,
    UnsupportedFileType,
    UploadTooLarge,
)
from govflow.text import join_list
from govflow.web import question_error_items

from ..selectors import definition_materials, procedure_infos

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
    return question_error_items(questions)


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
    return _("%(first)s or %(last)s") % {"first": join_list(names[:-1]), "last": names[-1]}


def _draft_or_redirect(request: HttpRequest, pk: Any) -> tuple[Application | None, HttpResponse | None]:
    application = app_selectors.application_for_citizen(request.user, pk)
    if application.status != ApplicationStatus.DRAFT:
        messages.info(request, _("This application has been submitted; its answers can no longer be changed here."))
        return None, redirect("application", pk=application.pk)
    return application, None


def _questions(definition: Definition, codes: Iterable[str], data: dict, *, required: set[str],
               errors: dict[str, list[str]] | None = None, raw: dict[str, str] | None = None,
               prefilled: dict[str, Any] | None = None, marked: Iterable[str] = (),
               sources: dict[str, str] | None = None) -> list[qa.Question]:
    """The questions of ``codes``; ``sources`` names the certificate a pre-filled answer is from."""
    errors = errors or {}
    marked = set(marked)
    prefilled = prefilled or {}
    sources = sources or {}
    result = []
    for code in codes:
        spec = definition.fields[code]
        value = data.get(code)
        question = qa.question(
            spec, value=value, required=code in required, errors=errors.get(code),
            raw=raw.get(code) if raw is not None and code in raw else None,
            prefilled=code in prefilled and value is not None and prefilled[code] == value,
            marked=code in marked,
        )
        if question.prefilled and code in sources:
            question.prefilled_from = sources[code]
        result.append(question)
    return result


def _decision(definition: Definition, applicable: list[str]) -> dict:
    """What the guide answers decided: the procedures that apply and those that do not."""
    infos = procedure_infos(definition)
    return {"applies": [i for i in infos if i.code in applicable],
            "skipped": [i for i in infos if i.code not in applicable]}


def _materials_for(definition: Definition, applicable: list[str], documents: dict[str, Document]) -> list[dict]:
    required = definition.required_materials(applicable)
    deferrable = definition.deferrable_materials(applicable)  # 容缺受理: may follow after submission
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
            "deferrable_days": deferrable.get(material["code"]),
            "errors": [],
        })
    return result


def _documents(application: Application) -> dict[str, Document]:
    return {d.material_code: d for d in Document.objects.filter(application=application)}



def _row(definition: Definition, code: str, data: dict, errors: dict, change_url: str) -> dict:
    spec = definition.fields[code]
    return {"code": code, "label": localized(spec.get("label")) or code,
            "value": qa.display_value(spec, data.get(code)), "errors": [str(m) for m in errors.get(code, [])],
            "change_url": change_url, "multiline": field_type(spec).multiline}
