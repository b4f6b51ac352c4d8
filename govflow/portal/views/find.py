"""Find a one thing: the home page and a one thing's page."""
from __future__ import annotations

from dataclasses import replace

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from govflow.catalog.definition import get_definition
from govflow.catalog.models import localized
from govflow.catalog.questions import procedure_name
from govflow.parties.selectors import refusal_for, served_in
from govflow.stats.ratings import public_ratings

from ..acting import current_principal
from ..selectors import (
    card,
    definition_materials,
    find_one_things,
    latest_draft,
    offered_one_thing,
    procedure_infos,
    savings,
    service_guide,
)
from .common import _types_text

# -- find ----------------------------------------------------------------------------------------

@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The one things offered where the person (or the organisation they act for) is, and above
    it; a visitor's: the province-wide ones. Those the principal may not apply for say why."""
    query = request.GET.get("q", "").strip()[:100]
    principal = current_principal(request)
    division = served_in(principal, request.user) if request.user.is_authenticated else None
    cards = [card(one_thing) for one_thing in find_one_things(division, query)]
    if request.user.is_authenticated:
        cards = [replace(c, refusal=refusal_for(principal, applicant_kind=c.applicant, one_thing_id=c.pk))
                 for c in cards]
    return render(request, "portal/home.html", {
        "one_things": cards, "query": query, "division": division, "principal": principal,
        "residence_set": bool(getattr(request.user, "residence_id", None)) or principal.kind != "self",
    })


@require_safe
def one_thing_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A one thing that is not offered to the person is not found, as it is not on their list."""
    principal = current_principal(request)
    division = served_in(principal, request.user) if request.user.is_authenticated else None
    one_thing = offered_one_thing(division, code)
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
    draft = latest_draft(request.user, code, principal) if request.user.is_authenticated else None
    shown = card(one_thing)
    refusal = (refusal_for(principal, applicant_kind=shown.applicant, one_thing_id=one_thing.pk)
               if request.user.is_authenticated else "")
    return render(request, "portal/one_thing.html", {
        "one_thing": shown, "procedures": procedure_infos(definition), "materials": materials,
        "savings": savings(definition), "has_guide": bool(definition.guide), "draft": draft, "refusal": refusal,
        "principal": principal,
    })


@require_safe
def one_thing_guide(request: HttpRequest, code: str) -> HttpResponse:
    """The printable service guide (办事指南) of a one thing offered to the person (else not found):
    where to go is the competent offices of their division; a visitor's, every office where it is offered."""
    principal = current_principal(request)
    division = served_in(principal, request.user) if request.user.is_authenticated else None
    one_thing = offered_one_thing(division, code)
    if one_thing is None:
        raise Http404("No such one thing.")
    guide = service_guide(one_thing, division)
    return render(request, "portal/one_thing_guide.html", {
        "guide": guide, "materials": [(m, _types_text(m.types)) for m in guide.materials],
        "personal": division is not None,
    })


@require_safe
def one_thing_ratings(request: HttpRequest, code: str) -> HttpResponse:
    """A one thing's ratings for everyone (好差评 公示): how many at each level and the share of bad
    ones answered; no names, comments or application numbers. Offered like its page (else not found)."""
    principal = current_principal(request)
    division = served_in(principal, request.user) if request.user.is_authenticated else None
    one_thing = offered_one_thing(division, code)
    if one_thing is None:
        raise Http404("No such one thing.")
    summary = public_ratings(one_thing)
    most = max(summary.counts.values(), default=0) or 1
    bars = [(level, n, round(n * 100 / most)) for level, n in sorted(summary.counts.items(), reverse=True)]
    return render(request, "portal/one_thing_ratings.html", {
        "one_thing": card(one_thing), "summary": summary, "bars": bars})
