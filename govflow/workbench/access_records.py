"""``/workbench/access-records/``: who read whose data, for supervisors (the offices they oversee)
and auditors (permission ``applications.view_accessrecord``), with the alerts on unusual reading
(issue 20). Interface only: the search, the scope and the alerts are
``govflow.applications.access_oversight``'s. A search of one person's reads is recorded as a read
of their data (purpose ``audit``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from govflow.applications import access, access_oversight
from govflow.applications.models import AccessRecord

from . import selectors
from .forms import PeriodForm, PlainSelect
from .supervision import _table

PAGE_SIZE = 50
#: Most rows one download holds.
MAX_CSV_ROWS = 50_000
#: Most days one search covers.
MAX_RANGE_DAYS = 366
ALERTS_SHOWN = 20
CSV_HEADER = ["at", "reader", "staff_number", "office", "whose", "application", "interface", "purpose", "answers",
              "materials", "reason"]


class AccessSearchForm(PeriodForm):
    """The search's filters; every text is matched exactly."""

    max_days = MAX_RANGE_DAYS
    field_order = ("reader", "office", "citizen", "date_from", "date_to", "interface", "purpose", "alert")

    reader = forms.CharField(label=gettext_lazy("Reader (username or staff number)"), required=False, max_length=150)
    office = forms.ChoiceField(label=gettext_lazy("Office"), required=False, widget=PlainSelect)
    citizen = forms.CharField(label=gettext_lazy("Whose data (ID number, USCC or username)"), required=False,
                              max_length=150)
    interface = forms.ChoiceField(label=gettext_lazy("Through"), required=False, widget=PlainSelect,
                                  choices=[("", gettext_lazy("Any")), *access.Interface.choices])
    purpose = forms.ChoiceField(label=gettext_lazy("Why"), required=False, widget=PlainSelect,
                                choices=[("", gettext_lazy("Any")), *access.Purpose.choices])
    alert = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, offices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = [("", _("All offices")), *offices]

    def filters(self) -> access_oversight.Filters:
        c = self.cleaned_data
        return access_oversight.Filters(
            reader=c["reader"].strip(), office=c["office"], citizen=c["citizen"].strip(), date_from=c["date_from"],
            date_to=c["date_to"], interface=c["interface"], purpose=c["purpose"], alert=c["alert"])


def _lines(rows: Iterable[AccessRecord]) -> Iterable[list[Any]]:
    for r in rows:
        yield [r.at.isoformat(), r.reader.username, r.reader.staff_number, r.office.code if r.office_id else "",
               access_oversight.subject_label(r), r.application.number if r.application_id and r.application else "",
               r.interface, r.purpose, " ".join(r.what.get("fields", [])), " ".join(r.what.get("materials", [])),
               r.reason]


@require_safe
@never_cache
def access_records(request: HttpRequest) -> HttpResponse:
    """Search the reads (newest first, 50 a page, CSV with ``download=csv``) and list the alerts."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    scope = access_oversight.office_scope(request.user)  # PermissionDenied → 403
    offices = list(access_oversight.visible_offices(scope))
    start, end = access_oversight.default_period()
    data = {"date_from": start.isoformat(), "date_to": end.isoformat(),
            **{k: v for k, v in request.GET.items() if k not in ("page", "download")}}
    form = AccessSearchForm(data, offices=[(o.code, o.display_name) for o in offices])
    staff = selectors.staff_for(request.user)
    context = {"staff": staff, "held_count": staff.held_count if staff else 0,
               "may_use_admin": admin.site.has_permission(request), "title": _("Access records"), "form": form,
               "may_audit": True}
    if not form.is_valid():
        return render(request, "workbench/access_records.html", {**context, "page": None}, status=400)
    filters = form.filters()
    rows = access_oversight.search(request.user, filters, scope)
    if request.GET.get("download") == "csv":
        response = _table(request, "access-records", form, CSV_HEADER, _lines(rows[:MAX_CSV_ROWS]))
        access_oversight.record_search(request.user, filters)
        return response
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [(r, access_oversight.subject_label(r)) for r in page.object_list]
    access_oversight.record_search(request.user, filters)  # after the search: it does not find itself
    query = urlencode({k: v for k, v in request.GET.items() if k not in ("page", "download")})
    alerts = list(access_oversight.alerts_for(request.user, scope)[:ALERTS_SHOWN])
    return render(request, "workbench/access_records.html", {
        **context, "page": page, "query": query, "alerts": alerts, "rows": shown,
        "csv_url": f"?{query}&download=csv" if query else "?download=csv"})
