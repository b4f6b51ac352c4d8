"""Citizen-facing pages (the full portal comes in a later issue) and the health check."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_safe

from govflow.catalog.models import OneThing, localized

from .selectors import published_one_things

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class OneThingCard:
    """What the home page shows of one published one thing, taken from its published version."""

    code: str
    name: str
    description: str
    committed_days: int | None
    procedure_count: int


def _card(one_thing: OneThing) -> OneThingCard:
    # Citizens see the published snapshot, not the draft an administrator may be editing.
    definition = one_thing.current_version.definition if one_thing.current_version else {}
    entries = definition.get("one_things") if isinstance(definition, dict) else None
    published = entries[0] if entries and isinstance(entries[0], dict) else {}
    steps = published.get("steps")
    return OneThingCard(
        code=one_thing.code,
        name=localized(published.get("name") or one_thing.name),
        description=localized(published.get("description") or one_thing.description),
        committed_days=published.get("committed_days", one_thing.committed_days),
        procedure_count=len(steps) if isinstance(steps, list) else 0,
    )


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    cards = [_card(one_thing) for one_thing in published_one_things()]
    return render(request, "portal/home.html", {"one_things": cards})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz: database check failed")
        return "error"
    return "ok"


def _check_broker() -> str:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) or not getattr(settings, "CELERY_BROKER_URL", ""):
        return "eager"
    from govflow.celery import app

    try:
        with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("healthz: broker check failed")
        return "error"
    return "ok"


# csrf_exempt: the view changes nothing and takes GET only, so any other method must answer
# 405 rather than the CSRF middleware's 403.
@csrf_exempt
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and monitoring: no auth, GET only."""
    database = _check_database()
    broker = _check_broker()
    healthy = database == "ok" and broker in ("ok", "eager")
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
