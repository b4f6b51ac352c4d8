"""容缺受理 at the service-hall counter: the check page offers the deferrable materials the walk-in
applicant has not brought, with the terms in full to read to and with them; the clerk ticks the
materials to follow and records that the applicant accepted the terms at the counter. The rules
(which materials may follow, the refusal list, what the acceptance records) are the domain's
(``applications/deferral.py``); this module only shapes the page."""
from __future__ import annotations

from collections.abc import Iterable

from govflow import web
from govflow.applications import deferral
from govflow.applications.models import Application
from govflow.catalog.definition import Definition


def deferral_choice(application: Application, definition: Definition, applicable: Iterable[str],
                    materials: list[dict], missing: Iterable[str], *, posted: dict | None = None,
                    errors: dict | None = None) -> dict:
    """The deferral section of the counter's check page: the deferrable materials the applicant
    has not brought, each with its days (``web.deferral_choice`` does the rest)."""
    days = deferral.deferrable(definition, applicable)
    missing = set(missing)
    offer = [{**m, "days": days[m["code"]]} for m in materials if m["code"] in days and m["code"] in missing]
    return web.deferral_choice(application, offer, posted=posted, errors=errors)
