"""The citizen's page "who used my information" (谁查看了我的信息): every read of their data by
someone else, newest first, with the office and the purpose (``govflow.applications.access``);
and the same page of an organisation's data for its legal representative."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from govflow.applications import access
from govflow.errors import NotFound
from govflow.parties import selectors

PAGE_SIZE = 20


@login_required
@require_safe
def access_records(request: HttpRequest) -> HttpResponse:
    """Filtered by one of their applications (``?application=<id>``); a malformed id is a 400."""
    raw = request.GET.get("application", "")
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return render(request, "portal/access_records.html", {"bad_filter": True, "rows": [], "choices": []},
                      status=400)
    application_id = int(raw) if raw else None
    page, rows = access.citizen_page(request.user, application_id=application_id, page=request.GET.get("page"),
                                     size=PAGE_SIZE)
    return render(request, "portal/access_records.html", {
        "page": page, "rows": rows, "choices": access.applications_read(request.user),
        "application_id": application_id, "query": urlencode({"application": raw}) if raw else ""})


@login_required
@require_safe
def organisation_access_records(request: HttpRequest, pk: int) -> HttpResponse:
    """The reads of an organisation's data, for its legal representative (404 for anyone else)."""
    try:
        organisation = selectors.represented_organisation(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    page, rows = access.organisation_page(organisation.pk, page=request.GET.get("page"), size=PAGE_SIZE)
    return render(request, "portal/organisation_access_records.html",
                  {"organisation": organisation, "page": page, "rows": rows, "query": ""})
