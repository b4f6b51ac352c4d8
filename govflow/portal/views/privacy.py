"""The citizen's pages "who used my information" (谁查看了我的信息): every read of their data by
someone else, newest first, with the office and the purpose (``govflow.applications.access``), the same page of an organisation's data for its legal
representative, and "download my data" (``govflow.applications.export``)."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from govflow.applications import access
from govflow.applications import export as export_rules
from govflow.errors import DomainError, InvalidState, NotFound
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
# -- download my data (govflow.applications.export) --------------------------------------------------


def _export_message(exc: DomainError) -> str:
    if isinstance(exc, export_rules.TooSoon):
        return _("You asked for your data a short while ago. You can ask again %(minutes)s minutes after that.") % {
            "minutes": int(export_rules.rate_minutes())}
    if isinstance(exc, InvalidState):
        return _("Your data is already being prepared. We will tell you when it is ready.")
    return _("Something in the request was not valid. Check it and try again.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    """The person's archives of their data, and a button to ask for a new one (POST)."""
    status = 200
    if request.method == "POST":
        try:
            export_rules.request_export(user=request.user)
        except DomainError as exc:
            messages.error(request, _export_message(exc))
            status = exc.status
        else:
            messages.success(request, _("We are preparing your data. We will tell you when it is ready to "
                                        "download; it usually takes a few minutes."))
            return redirect("my-data")
    return render(request, "portal/my_data.html", {
        "exports": export_rules.exports_of(request.user), "now": timezone.now(),
        "valid_hours": int(export_rules.valid_hours())}, status=status)


@login_required
@require_safe
def my_data_file(request: HttpRequest, token: str) -> HttpResponse:
    """The archive, for its owner only (404 for anyone else), until it expires (410 after)."""
    try:
        found = export_rules.export_for_download(export_rules.export_by_token(request.user, token))
    except NotFound:
        raise Http404("Export not found.") from None
    except DomainError as exc:
        return render(request, "portal/my_data.html", {
            "exports": export_rules.exports_of(request.user), "now": timezone.now(), "gone": exc.status == 410,
            "valid_hours": int(export_rules.valid_hours())}, status=exc.status if exc.status in (409, 410) else 400)
    response = FileResponse(found.file.open("rb"), content_type="application/zip", as_attachment=True,
                            filename=export_rules.archive_filename(found))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
