"""How an applicant receives what procedures issue physically (a seal, a card, a paper licence).

The rules, once: which delivery methods an application offers (those every physical result of its
procedures allows, :meth:`Definition.delivery_methods`), where it may be picked up, what a
complete choice is, and how a delivery moves from one state to the next. The submit service
validates the choice with :func:`clean_choice`; the delivery service moves a delivery along
:data:`NEXT_STATE`; the portal, the counter, the workbench and the API only show and send these.

Where: the offices of the divisions from the application's division up to the competent division
of every physical procedure (the division whose office handles it, :mod:`govflow.catalog.jurisdictions`),
so a result is picked up near the applicant, at a service hall or an office of a division that
handles it, never in another district.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from govflow.catalog import jurisdictions
from govflow.catalog.definition import Definition
from govflow.catalog.identifiers import is_valid_phone
from govflow.catalog.models import Division, DivisionLevel, Office
from govflow.errors import InvalidInput
from govflow.text import has_bad_text, invalid_text_message

from . import routing
from .models import DeliveryMethod, DeliveryState

#: The longest recipient name and address kept.
RECIPIENT_MAX = 100
ADDRESS_MAX = 300
#: A carrier's tracking number: letters, digits and '-', 6 to 40 characters.
TRACKING_MIN, TRACKING_MAX = 6, 40

#: (method, state) -> the one state a clerk may move a delivery to next.
NEXT_STATE: dict[tuple[str, str], str] = {
    (DeliveryMethod.PICKUP, DeliveryState.PREPARING): DeliveryState.READY,
    (DeliveryMethod.PICKUP, DeliveryState.READY): DeliveryState.COLLECTED,
    (DeliveryMethod.POST, DeliveryState.PREPARING): DeliveryState.POSTED,
    (DeliveryMethod.POST, DeliveryState.POSTED): DeliveryState.DELIVERED,
}
FINAL_STATES = frozenset({DeliveryState.COLLECTED, DeliveryState.DELIVERED})


@dataclass(frozen=True)
class Options:
    """What an application may choose: the methods, and the offices where it may pick up."""

    procedures: tuple[str, ...]  # the physical ones
    methods: tuple[str, ...]
    offices: tuple[Office, ...] = field(default=())

    @property
    def needed(self) -> bool:
        return bool(self.procedures)


def pickup_divisions(definition: Definition, procedures: Iterable[str], division: Division) -> list[Division]:
    """The divisions whose offices may hand over every physical result of ``procedures``: from
    ``division`` up to the lowest competent division among them (one query)."""
    chain = jurisdictions.ancestors(division)
    reach = len(chain)
    for code in procedures:
        level = definition.procedures[code].get("level") or DivisionLevel.COUNTY
        competent = jurisdictions.competent_division(division, level, chain)
        position = next((i for i, d in enumerate(chain) if d.pk == competent.pk), 0)
        reach = min(reach, position + 1)
    return chain[:reach]


def options(definition: Definition, procedures: Iterable[str], division: Division | None) -> Options:
    """The delivery choice for an application of ``division`` whose ``procedures`` apply (two
    queries when something is physical and may be picked up, none otherwise)."""
    physical = tuple(definition.physical_procedures(procedures))
    if not physical:
        return Options(procedures=(), methods=())
    methods = definition.delivery_methods(physical)
    offices: tuple[Office, ...] = ()
    if DeliveryMethod.PICKUP in methods and division is not None:
        divisions = pickup_divisions(definition, physical, division)
        rank = {d.pk: i for i, d in enumerate(divisions)}
        found = Office.objects.filter(division__in=divisions).select_related("division", "department")
        offices = tuple(sorted(found, key=lambda o: (rank[o.division_id], o.code)))
    return Options(procedures=physical, methods=methods, offices=offices)


def _text(value: Any, *, limit: int, missing: str) -> tuple[str, list[str]]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "", [missing]
    if not isinstance(value, str):
        return "", [_("Must be text.")]
    value = value.strip()
    if len(value) > limit:
        return "", [_("At most %(n)d characters.") % {"n": limit}]
    if has_bad_text(value):
        return "", [invalid_text_message()]
    return value, []


def clean_choice(choice: Any, found: Options) -> dict:
    """A valid choice as the application's fields (``delivery_method``, ``pickup_office``,
    ``delivery_address``), or ``InvalidInput`` with ``errors["delivery"]`` by key. Nothing
    physical: no choice is kept, whatever was sent."""
    empty = {"delivery_method": "", "pickup_office": None, "delivery_address": {}}
    if not found.needed:
        return empty
    if not isinstance(choice, Mapping) or not choice.get("method"):
        message = _("Choose how to receive what is issued on paper or as an object.")
        raise InvalidInput(message, errors={"delivery": {"method": [message]}})
    method = choice.get("method")
    if method not in found.methods:
        message = _("Choose one of the ways offered.")
        raise InvalidInput(message, errors={"delivery": {"method": [message]}})
    errors: dict[str, list[str]] = {}
    if method == DeliveryMethod.PICKUP:
        code = choice.get("office")
        office = next((o for o in found.offices if isinstance(code, str) and o.code == code), None)
        if office is None:
            errors["office"] = [_("Choose one of the service halls offered.") if code
                                else _("Choose where to pick it up.")]
        if errors:
            raise InvalidInput(_("The way to receive the results is incomplete."), errors={"delivery": errors})
        return {**empty, "delivery_method": method, "pickup_office": office}
    recipient, errors["recipient"] = _text(choice.get("recipient"), limit=RECIPIENT_MAX,
                                           missing=_("Enter the recipient's name."))
    address, errors["address"] = _text(choice.get("address"), limit=ADDRESS_MAX,
                                       missing=_("Enter the postal address."))
    phone = choice.get("phone")
    phone = phone.replace(" ", "").replace("-", "") if isinstance(phone, str) else phone
    if not phone:
        errors["phone"] = [_("Enter the recipient's mobile phone number.")]
    elif not is_valid_phone(phone):
        errors["phone"] = [_("Enter a valid mainland China mobile number (11 digits).")]
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise InvalidInput(_("The way to receive the results is incomplete."), errors={"delivery": errors})
    return {**empty, "delivery_method": method,
            "delivery_address": {"recipient": recipient, "phone": phone, "address": address}}


def check_tracking_number(value: Any) -> str:
    """A carrier's tracking number, or ``InvalidInput`` naming ``tracking_number``."""
    text = value.strip() if isinstance(value, str) else ""
    if not (TRACKING_MIN <= len(text) <= TRACKING_MAX) or not all(c.isascii() and (c.isalnum() or c == "-")
                                                                  for c in text):
        message = _("Enter the carrier's tracking number: %(min)d to %(max)d letters, digits or hyphens.") % {
            "min": TRACKING_MIN, "max": TRACKING_MAX}
        raise InvalidInput(message, errors={"tracking_number": [message]})
    return text


def next_state(method: str, state: str) -> str | None:
    """The state a clerk may move a delivery to now (``None``: it is finished)."""
    return NEXT_STATE.get((method, state))


def options_for_draft(application: Any, definition: Definition, procedures: Iterable[str]) -> Options:
    """:func:`options` for a draft before it is submitted: at the division its answers route it to
    (the draft's own when they do not say, or say something the submission will refuse)."""
    if not definition.physical_procedures(procedures):
        return Options(procedures=(), methods=())
    try:
        division = routing.routing_division(definition, application.data or {}, application.division,
                                            application.one_thing.division)
    except InvalidInput:
        division = application.division
    return options(definition, procedures, division)


def suggested_address(application: Any, person: Any = None) -> dict:
    """A postal address to start from (once-only), from profiles: the name and phone of ``person``
    (who is filling it in; by default the applicant), and for an organisation its registered
    address and contact."""
    person = person if person is not None else (application.applicant if application.applicant_id else None)
    organisation = application.organisation if application.organisation_id else None
    suggested = {"recipient": getattr(person, "name", "") or "", "phone": getattr(person, "phone", "") or "",
                 "address": ""}
    if organisation is not None:
        suggested["address"] = organisation.address or ""
        suggested["recipient"] = suggested["recipient"] or organisation.contact_name or ""
        suggested["phone"] = suggested["phone"] or organisation.contact_phone or ""
    return suggested


def choice_summary(application: Any) -> dict | None:
    """An application's choice, to show: ``{"method", "method_label", "office", "address"}``."""
    if not application.delivery_method:
        return None
    return {"method": application.delivery_method, "method_label": application.get_delivery_method_display(),
            "office": application.pickup_office.display_name if application.pickup_office_id else "",
            "address": dict(application.delivery_address or {})}
