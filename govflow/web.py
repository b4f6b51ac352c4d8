"""Small helpers the server-rendered interfaces (portal, workbench) share."""
from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

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
