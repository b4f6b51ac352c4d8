"""容缺受理 at the service-hall counter: the check page offers the deferrable materials the walk-in
applicant has not brought, with the terms in full to read to and with them; the clerk ticks the
materials to follow and records that the applicant accepted the terms at the counter. The rules
(which materials may follow, the refusal list, what the acceptance records) are the domain's
(``applications/deferral.py``); this module only shapes the page."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from govflow.applications import deferral, refusal_list
from govflow.applications.models import Application
from govflow.catalog.definition import Definition


def deferral_from_post(post: Any) -> dict:
    """What the check page posted: the materials to follow and whether the terms were accepted."""
    return {"defer": [c for c in post.getlist("defer") if isinstance(c, str)][:50],
            "accept": post.get("accept_deferral_terms") == "1"}


def deferral_choice(application: Application, definition: Definition, applicable: Iterable[str],
                    materials: list[dict], missing: Iterable[str], *, posted: dict | None = None,
                    errors: dict | None = None) -> dict:
    """The deferral section of the counter's check page (one query for the refusal list, only
    when a missing material may follow)."""
    days = deferral.deferrable(definition, applicable)
    missing = set(missing)
    offer = [{**m, "days": days[m["code"]]} for m in materials if m["code"] in days and m["code"] in missing]
    errors = errors or {}
    messages = [str(m) for m in (*errors.get("defer", []), *errors.get("accept_deferral_terms", []))]
    if not offer:
        return {"offered": False, "codes": [], "materials": [], "errors": messages}
    refused = refusal_list.reason_for(application)
    posted = posted or {}
    chosen = set(posted.get("defer") or [])
    return {"offered": not refused, "refused_reason": refused, "codes": [m["code"] for m in offer],
            "materials": [{**m, "checked": m["code"] in chosen} for m in offer],
            "accepted": bool(posted.get("accept")), "terms": str(deferral.TERMS),
            "terms_version": deferral.TERMS_VERSION, "errors": messages}
