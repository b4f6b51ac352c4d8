"""Template helpers of the citizen portal."""
from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()

STATUS_TONES = {
    "draft": "grey", "submitted": "blue", "in_progress": "blue", "correction_requested": "orange",
    "completed": "green", "withdrawn": "grey",
    "waiting": "grey", "queued": "blue", "in_review": "blue", "approved": "green", "rejected": "red",
    "cancelled": "grey", "partially_approved": "orange",
}


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


@register.simple_tag
def form_error_items(form) -> list[dict]:
    """Error-summary entries of a Django form, each linking to its field."""
    items = [{"href": "#main-form", "text": message} for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        field = form[name]
        is_radio = getattr(field.field.widget, "input_type", None) == "radio"
        anchor = f"{field.auto_id}_0" if is_radio else field.auto_id
        for message in errors:
            items.append({"href": f"#{anchor}", "text": f"{field.label}: {message}"})
    return items


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
