"""The citizen's page "who used my information" (谁查看了我的信息): every read of their data by
someone else, newest first, with the office and the purpose (``govflow.applications.access``)."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from govflow.applications import access

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
