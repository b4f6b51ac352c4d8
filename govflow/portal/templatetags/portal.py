"""Template helpers of the citizen portal."""
from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from govflow import web
from govflow.text import join_list

register = template.Library()

STATUS_TONES = {
    "draft": "grey", "submitted": "blue", "in_progress": "blue", "correction_requested": "orange",
    "completed": "green", "withdrawn": "grey",
    "waiting": "grey", "queued": "blue", "in_review": "blue", "approved": "green", "rejected": "red",
    "cancelled": "grey", "revoked": "red", "partially_approved": "orange",
}


@register.filter
def listing(items) -> str:
    """Items joined as the page's language lists them (``govflow.text.join_list``)."""
    return join_list(items or ())


@register.filter
def tone(status: str) -> str:
    """The colour family of a status tag."""
    return STATUS_TONES.get(str(status), "grey")


@register.filter
def accessible(field: BoundField) -> SafeString:
    """A Django form field's widget tied to its hint and error (``aria-describedby``, ``aria-invalid``)."""
    attrs = {}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.field.required:
        attrs["required"] = True
    return field.as_widget(attrs=attrs)


#: Error-summary entries of a Django form, each linking to its field (one helper for the portal,
#: the workbench and the admin: :func:`govflow.web.form_error_items`).
form_error_items = register.simple_tag(web.form_error_items, name="form_error_items")


@register.simple_tag(takes_context=True)
def acting_as(context):
    """The switcher's model: the request's principal and the choices (``None`` for a visitor).
    Computed once per request (two queries), shared with the view that asked first."""
    from ..acting import acting

    request = context.get("request")
    return acting(request) if request is not None else None


@register.filter
def localized_name(value) -> str:
    """A ``{"en": …, "zh-hans": …}`` name in the page's language."""
    from govflow.catalog.models import localized

    return localized(value)


@register.simple_tag(takes_context=True)
def staff_links(context) -> dict:
    """The staff links of the page's footer: the workbench for office members (clerks, supervisors,
    counter clerks) and for visitors (it asks them to sign in), the administration only for whom
    Django's admin site admits. A signed-in citizen gets neither, known from their session without a
    query; staff cost one query."""
    from django.contrib import admin

    from govflow.accounts.sessions import is_citizen_session
    from govflow.applications.selectors import is_clerk

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"workbench": True, "admin": False}
    if is_citizen_session(request):
        return {"workbench": False, "admin": False}
    return {"workbench": is_clerk(user), "admin": admin.site.has_permission(request)}
