"""Notification texts, rendered in the recipient's language.

Templates live in ``templates/notifications/<language>/``: ``<event>.txt`` is the email (first
line the subject, a blank line, then the body) and ``<event>.sms.txt`` the SMS. Languages are
``zh-hans`` (any ``zh…`` language) and ``en`` (any other); a missing template falls back to
the other language. A project can override any template in ``govflow/templates/notifications/``.
They are plain text and rendered without HTML escaping (``'``, ``<``, ``&`` arrive as they are).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist
from django.urls import NoReverseMatch, reverse

from govflow.catalog.definition import get_definition
from govflow.catalog.remedies import remedies_for

from .channels import PermanentChannelError
from .sites import site_url

LANGUAGES = ("zh-hans", "en")
APP_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str
    sms: str


def language_of(user: Any) -> str:
    value = (getattr(user, "language", "") or settings.LANGUAGE_CODE or "zh-hans").lower()
    return "zh-hans" if value.startswith("zh") else "en"


@cache
def _engine() -> Engine:
    dirs = [Path(settings.BASE_DIR) / "govflow" / "templates", APP_TEMPLATES]
    return Engine(dirs=[str(d) for d in dirs], app_dirs=False, autoescape=False)


def _render(names: list[str], context: dict) -> str:
    """Render the first template found. Plain text (``.txt``, ``.sms.txt``) is not HTML-escaped:
    a ``Context`` escapes by default whatever its engine says, so it is told not to. Only an
    ``.html`` template would be escaped."""
    template = _engine().select_template(names)
    html = str(template.origin.name).endswith(".html")
    return template.render(Context(context, autoescape=html)).strip()


def _label(labels: Any, language: str) -> str:
    if not isinstance(labels, dict) or not labels:
        return ""
    if language == "zh-hans" and labels.get("zh-hans"):
        return labels["zh-hans"]
    return labels.get("en") or next(iter(labels.values()), "")


def _format_date(value: Any, language: str) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, date):
        return ""
    if language == "zh-hans":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%d %B %Y").lstrip("0")


def _url(base: str, name: str, *args: Any) -> str:
    try:
        return base + reverse(name, args=args)
    except NoReverseMatch:
        return base + "/"


def context_for(message: Any, recipient: Any, language: str) -> dict[str, Any]:
    """Everything the templates may use, looked up in the application's own published version.
    Links start with the site's address (``sites.site_url``: GOVFLOW_SITE_URL, else the address the
    request that wrote the row came to); ``payload.site_url`` is the same, for older templates."""
    base = site_url(getattr(message, "site_url", "") or "")
    payload = {**(message.payload or {}), "site_url": base}
    app = message.application
    ctx: dict[str, Any] = {
        "name": getattr(recipient, "name", "") or getattr(recipient, "username", ""),
        "event": message.event,
        "event_id": str(message.pk),
        "number": payload.get("number") or (app.number if app is not None else ""),
        "payload": payload,
        "site_url": base,
    }
    secret = payload.get("secret") or {}
    if secret.get("uid") and secret.get("token"):
        ctx["reset_url"] = _url(base, "password-reset-confirm", secret["uid"], secret["token"])
    if secret.get("code"):
        ctx["code"] = secret["code"]
    ctx["valid_minutes"] = payload.get("valid_minutes", "")
    if app is None:
        # Events about no application (roles, authorisations) name what they are about themselves.
        if "one_thing_name" in payload:
            ctx["one_thing"] = _label(payload["one_thing_name"], language) or payload.get("one_thing", "")
        if "expires_on" in payload:
            ctx["expires_on"] = _format_date(payload["expires_on"], language)
        if "offer" in payload:  # a proactive offer (application.offered): its page
            ctx["url"] = _url(base, "offer", payload["offer"])
        return ctx
    definition = get_definition(app.version)
    ctx["one_thing"] = _label(definition.one_thing.get("name"), language)
    ctx["url"] = _url(base, "application", app.pk)
    ctx["expected_finish"] = _format_date(app.expected_finish, language)
    procedure_code = payload.get("procedure")
    procedure = definition.procedures.get(procedure_code) if procedure_code else None
    if procedure is not None:
        ctx["procedure"] = _label(procedure.get("name"), language)
        department = definition.departments.get(procedure.get("department"), {})
        ctx["department"] = _label(department.get("name"), language)
    if "fields" in payload:
        ctx["fields"] = [_label(definition.fields.get(c, {}).get("label"), language) or c for c in payload["fields"]]
    if "materials" in payload:
        ctx["materials"] = [_label(definition.materials.get(c, {}).get("label"), language) or c
                            for c in payload["materials"]]
    if "material" in payload:  # 容缺受理 (material.*): the deferred material, and what followed a missed deadline
        ctx["material"] = _label(definition.materials.get(payload["material"], {}).get("label"), language) \
            or payload["material"]
        ctx["action"] = payload.get("action", "")
    if "result" in payload:  # a physical result on its way (delivery.*)
        ctx["result"] = _label(payload.get("label"), language) or payload["result"]
        office = payload.get("office") if isinstance(payload.get("office"), dict) else {}
        ctx["pickup_office"] = _label(office.get("name"), language) or office.get("code", "")
        ctx["tracking_number"] = payload.get("tracking_number", "")
    if procedure is not None and payload.get("decided_on"):
        try:
            decided_on = date.fromisoformat(payload["decided_on"])
        except (TypeError, ValueError):
            decided_on = None
        if decided_on is not None:
            remedies = remedies_for(definition, procedure_code, decided_on)
            ctx["decided_on"] = _format_date(decided_on, language)
            ctx["remedy"] = {
                "body": _label(remedies.reconsideration_body, language),
                "days": remedies.reconsideration_days,
                "body_until": _format_date(remedies.reconsideration_until, language),
                "court": _label(remedies.litigation_court, language),
                "months": remedies.litigation_months,
                "court_until": _format_date(remedies.litigation_until, language),
            }
    ctx["message"] = payload.get("message", "")
    ctx["reason"] = payload.get("reason", "")
    ctx["outcome"] = payload.get("outcome", "")
    outputs = []
    for procedure_outputs in (payload.get("outputs") or {}).values():
        if not isinstance(procedure_outputs, dict):
            continue
        for code, value in procedure_outputs.items():
            issuer = definition.output_issuer.get(code)
            spec = next((o for o in definition.outputs_of(issuer) if o["code"] == code), {}) if issuer else {}
            outputs.append({"label": _label(spec.get("label"), language) or code, "value": value})
    ctx["outputs"] = outputs
    if "due_date" in payload:
        ctx["due_date"] = _format_date(payload["due_date"], language)
    if payload.get("task"):
        ctx["task_url"] = _url(base, "workbench:task", payload["task"])
    ctx["board_url"] = _url(base, "workbench:board")
    ctx["holder"] = payload.get("holder", "")
    ctx["working_days_late"] = payload.get("working_days_late", 0)
    return ctx


def render(message: Any, recipient: Any) -> Rendered:
    """The email subject and body and the SMS text of ``message`` for ``recipient``."""
    language = language_of(recipient)
    order = [language] + [lang for lang in LANGUAGES if lang != language]
    context = context_for(message, recipient, language)
    try:
        email = _render([f"notifications/{lang}/{message.event}.txt" for lang in order], context)
        sms = _render([f"notifications/{lang}/{message.event}.sms.txt" for lang in order], context)
    except TemplateDoesNotExist as exc:
        raise PermanentChannelError(f"no notification template for {message.event!r}: {exc}") from exc
    subject, _, body = email.partition("\n")
    return Rendered(language=language, subject=subject.strip(), body=body.strip() + "\n", sms=sms)
