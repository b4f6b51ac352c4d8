"""On whose behalf the signed-in person acts ("acting as": myself, an organisation, a person they
are authorised for): the chosen principal's key lives in the session; each request checks it
against what the person may act as now (``parties.selectors.principals_for``: two queries, once
per request). A key that no longer counts (a role or an authorisation revoked or expired) falls
back to "myself" at once, with a message saying so."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from govflow.parties.selectors import MYSELF, SELF_KEY, Principal, principals_for

SESSION_KEY = "govflow_acting_as"
SESSION_LABEL = "govflow_acting_as_label"
_CACHE = "_govflow_acting"


@dataclass(frozen=True)
class Acting:
    current: Principal
    choices: list[Principal]


def acting(request: HttpRequest) -> Acting | None:
    """The request's principal and the switcher's choices (``None`` for a visitor); computed once."""
    found = getattr(request, _CACHE, None)
    if found is not None or not request.user.is_authenticated:
        return found
    choices = principals_for(request.user)
    key = request.session.get(SESSION_KEY) or SELF_KEY
    current = next((p for p in choices if p.key == key), None)
    if current is None:
        label = request.session.get(SESSION_LABEL) or ""
        request.session.pop(SESSION_KEY, None)
        request.session.pop(SESSION_LABEL, None)
        messages.warning(request, _("You can no longer act for %(name)s: the role or authorisation has ended. "
                                    "You are acting as yourself.") % {"name": label or _("them")})
        current = MYSELF
    found = Acting(current=current, choices=choices)
    setattr(request, _CACHE, found)
    return found


def current_principal(request: HttpRequest) -> Principal:
    found = acting(request)
    return found.current if found is not None else MYSELF


def choose(request: HttpRequest, principal: Principal) -> None:
    """Act as ``principal`` from the next request on (the caller has checked it)."""
    if principal.kind == "self":
        request.session.pop(SESSION_KEY, None)
        request.session.pop(SESSION_LABEL, None)
    else:
        request.session[SESSION_KEY] = principal.key
        request.session[SESSION_LABEL] = principal.label
    if hasattr(request, _CACHE):
        delattr(request, _CACHE)
