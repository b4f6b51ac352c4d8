"""Small helpers the server-rendered interfaces share (portal, workbench), and the error summaries' entries
of the portal, the workbench and the admin (the ``govflow_forms`` template library)."""
from __future__ import annotations

from collections.abc import Iterable

import segno
from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from govflow.applications import deferral, papers, refusal_list
from govflow.text import has_bad_text


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` the request names (POST, else GET) if it stays on this site, else ``default``:
    never an open redirect. Only a path counts (``redirect()`` would take ``"0"`` for a view name
    and fail), and never one with control characters (a header may not hold them)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and not has_bad_text(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def client_address(request: HttpRequest) -> str:
    """The client address every limit and the login lockout use: REMOTE_ADDR as axes reads it,
    which the WSGI entry point sets from X-Forwarded-For only for ``GOVFLOW_TRUSTED_PROXY_COUNT``
    trusted proxies (govflow/wsgi.py)."""
    from axes.helpers import get_client_ip_address

    request = getattr(request, "_request", request)  # a DRF request wraps Django's
    return get_client_ip_address(request) or "unknown"


# -- papers (docs/papers.md): what the portal's and the counter's receipts show ---------------------

def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI, for an ``<img>`` (the CSP allows ``data:`` images)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def receipt_verify_url(request: HttpRequest, token: str) -> str:
    """The public verification address of a receipt, on the host the request came to."""
    return request.build_absolute_uri(reverse("verify-receipt", args=[token]))


def receipt_context(request: HttpRequest, application) -> dict:
    """An application's acceptance receipt (``applications.papers.receipt``) with its verification
    address and QR code, for the receipt templates."""
    receipt = papers.receipt(application)
    url = receipt_verify_url(request, receipt.token)
    return {"receipt": receipt, "verify_url": url, "verify_qr": qr_data_uri(url)}


# -- error summaries (GOV.UK "There is a problem") ---------------------------------------------------
# One model for every page of the portal, the workbench and the admin: a list of
# ``{"href": "#<the field's id>", "text": "<label>: <message>"}``, rendered as a summary on top of the
# page whose links move focus to the field. ``register`` makes these the ``govflow_forms`` template
# library (settings.TEMPLATES).

register = template.Library()

#: Widgets whose id names a group: the link goes to the first input (``id_x_0``).
_GROUP_INPUTS = ("radio", "checkbox")


def _field_anchor(field) -> str | None:
    """The id an error link moves focus to (``None`` for a hidden field: nothing to focus)."""
    widget = field.field.widget
    if widget.is_hidden:
        return None
    multiple = getattr(widget, "allow_multiple_selected", False) or getattr(widget, "input_type", None) == "radio"
    if multiple and getattr(widget, "input_type", None) in _GROUP_INPUTS:
        return f"{field.auto_id}_0"
    return field.auto_id


@register.simple_tag
def form_error_items(form, top: str = "#main-form", prefix: str = "") -> list[dict]:
    """Error-summary entries of a Django form, each linking to its field: the form's own errors
    (linked to ``top``, the form or its row), then every field's, in the form's field order.
    ``prefix`` names the form where a page has several (an inline's row)."""
    if form is None or not form.errors:
        return []
    top = top or "#main-form"
    lead = f"{prefix}: " if prefix else ""
    items = [{"href": top, "text": f"{lead}{message}"} for message in form.non_field_errors()]
    for name in [n for n in form.fields if n in form.errors] + [n for n in form.errors
                                                                   if n != "__all__" and n not in form.fields]:
        if name not in form.fields:  # an error added for a field the form does not have
            items += [{"href": top, "text": f"{lead}{message}"} for message in form.errors[name]]
            continue
        field = form[name]
        anchor = _field_anchor(field)
        for message in field.errors:
            items.append({"href": f"#{anchor}" if anchor else top, "text": f"{lead}{field.label}: {message}"})
    return items


def question_error_items(questions: Iterable) -> list[dict]:
    """Error-summary entries of the generated form's questions (:class:`govflow.catalog.questions.Question`),
    each linking to its input (the first radio of a group)."""
    return [{"href": f"#{q.anchor}", "text": f"{q.label}: {message}"} for q in questions for message in q.errors]


@register.simple_tag
def admin_error_items(adminform, inline_admin_formsets: Iterable = (), top: str = "#content-main") -> list[dict]:
    """Every error of an admin change form: the main form's, then each inline's (its own errors,
    linked to its group, and each row's, named by the inline and the row's number)."""
    items = form_error_items(getattr(adminform, "form", None), top=top) if adminform else []
    for inline in inline_admin_formsets or ():
        formset = inline.formset
        name = str(inline.opts.verbose_name_plural or inline.opts.verbose_name).capitalize()
        group = f"#{formset.prefix}-group"
        items += [{"href": group, "text": f"{name}: {message}"} for message in formset.non_form_errors()]
        for index, form in enumerate(formset.forms):
            items += form_error_items(form, top=f"#{formset.prefix}-{index}", prefix=f"{name} #{index + 1}")
    return items


# -- how to receive physical results (the portal's check page and the counter's) ---------------

#: The form's names for the submit service's ``delivery`` keys.
DELIVERY_INPUTS = {"method": "delivery_method", "office": "delivery_office", "recipient": "delivery_recipient",
                   "phone": "delivery_phone", "address": "delivery_address"}


def delivery_from_post(post) -> dict | None:
    """The submit service's ``delivery`` from a submitted form (``None`` when nothing was chosen)."""
    choice = {key: post.get(name, "") for key, name in DELIVERY_INPUTS.items()}
    return choice if any(choice.values()) else None


def delivery_form(options, *, posted: dict | None = None, errors: dict | None = None,
                  suggested: dict | None = None) -> dict | None:
    """What the delivery question shows: the methods and offices offered, the values (what was
    posted, else the suggestion from the profile) and the errors by input (``None``: nothing physical)."""
    from govflow.applications.models import DeliveryMethod

    if not options.needed:
        return None
    posted = posted or {}
    errors = errors if isinstance(errors, dict) else {}
    values = {key: posted.get(key) or "" for key in DELIVERY_INPUTS}
    if not posted:
        values.update({k: v for k, v in (suggested or {}).items() if k in ("recipient", "phone", "address")})
    labels = dict(DeliveryMethod.choices)
    messages = {key: [str(m) for m in (errors.get(key) or [])] for key in DELIVERY_INPUTS}
    address_inputs = [
        {"key": key, "id": f"delivery-{key}", "name": DELIVERY_INPUTS[key], "label": label, "value": values[key],
         "errors": messages[key], "autocomplete": autocomplete, "kind": kind}
        for key, label, autocomplete, kind in (
            ("recipient", _("Recipient"), "name", "text"),
            ("phone", _("Recipient's mobile phone"), "tel-national", "phone"),
            ("address", _("Postal address"), "street-address", "textarea"))]
    return {
        "methods": [{"value": m, "label": labels.get(m, m), "checked": values["method"] == m,
                     "id": f"delivery-{m}"} for m in options.methods],
        "offices": [{"code": o.code, "name": o.display_name, "checked": values["office"] == o.code,
                     "id": f"delivery-office-{o.code}"} for o in options.offices],
        "values": values,
        "errors": messages,
        "address_inputs": address_inputs,
        "names": DELIVERY_INPUTS,
        "has_errors": any(errors.get(key) for key in DELIVERY_INPUTS),
    }


# -- 容缺受理 on a check page (the portal's and the counter's) ------------------------------------


def deferral_from_post(post) -> dict:
    """What a check page posted: the materials to follow and whether the terms were accepted."""
    return {"defer": [c for c in post.getlist("defer") if isinstance(c, str)][:50],
            "accept": post.get("accept_deferral_terms") == "1"}


def deferral_choice(application, offer: list[dict], *, posted: dict | None = None,
                    errors: dict | None = None) -> dict:
    """The deferral section of a check page: ``offer``, the missing materials that may follow; the
    terms in full; the refusal list's reason when the applicant may not (one query, only when a
    material may follow); the submission's deferral errors."""
    errors = errors or {}
    messages = [str(m) for m in (*errors.get("defer", []), *errors.get("accept_deferral_terms", []))]
    if not offer:
        return {"offered": False, "codes": [], "materials": [], "errors": messages}
    refused = refusal_list.reason_for(application)
    chosen = set((posted or {}).get("defer") or [])
    return {"offered": not refused, "refused_reason": refused, "codes": [m["code"] for m in offer],
            "materials": [{**m, "checked": m["code"] in chosen} for m in offer],
            "accepted": bool((posted or {}).get("accept")), "terms": str(deferral.TERMS),
            "terms_version": deferral.TERMS_VERSION, "errors": messages}
