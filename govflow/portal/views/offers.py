"""Proactive services (免申即享) on the portal: the offers waiting for the citizen, and one page per
offer with what is filled in already, one "confirm and submit" button and "decline"."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from govflow.applications import proactive
from govflow.applications.models import OfferState
from govflow.catalog import questions as qa
from govflow.catalog.definition import get_definition
from govflow.catalog.models import localized
from govflow.errors import InvalidInput, InvalidState, NotFound


def _offer(request: HttpRequest, pk: int):
    try:
        return proactive.offer_for(request.user, pk)
    except NotFound:
        raise Http404("Offer not found.") from None


def filled_rows(offer) -> list[dict]:
    """What the offer's draft has filled in, as the check-your-answers page shows answers."""
    app = offer.application
    if app is None:
        return []
    definition = get_definition(app.version)
    rows = []
    for code in definition.asked_fields:
        if code in (app.data or {}):
            spec = definition.fields.get(code, {})
            rows.append({"label": localized(spec.get("label")) or code, "value": qa.display_value(spec, app.data[code])})
    return rows


@login_required
@require_safe
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)
    return render(request, "portal/offer_detail.html", {
        "offer": offer, "name": localized(offer.one_thing.name),
        "description": localized(offer.one_thing.description), "rows": filled_rows(offer),
        "waiting": offer.current_state == OfferState.OFFERED,
        "expired": offer.current_state == OfferState.EXPIRED,
    })


@login_required
@require_POST
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)
    try:
        app = proactive.offer_accept(offer=offer, user=request.user)
    except InvalidInput:
        # Something the state did not know is still needed: the draft is the citizen's to complete.
        messages.info(request, _("Some answers or materials are still needed. Complete them, then submit."))
        return redirect("apply-form", pk=offer.application_id)
    except InvalidState as exc:
        messages.error(request, str(exc))
        return redirect("offer", pk=offer.pk)
    return redirect(reverse("receipt", args=[app.pk]))


@login_required
@require_POST
def offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)
    try:
        proactive.offer_decline(offer=offer, user=request.user)
    except InvalidState as exc:
        messages.error(request, str(exc))
        return redirect("offer", pk=offer.pk)
    messages.success(request, _("You declined the offer. Nothing was submitted."))
    return redirect("applications")
