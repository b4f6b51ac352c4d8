"""What the domains' admin pages share. Imports nothing of the project."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

#: Words of the libraries the admin shows that their own Chinese catalogs leave out (Django 5.2's
#: newer admin strings; viewflow and django-axes, which have no Chinese catalog). Listed here so that
#: ``makemessages`` puts them in the project's catalog, which wins over the libraries' own.
LIBRARY_MESSAGES = (
    # django.contrib.admin and auth
    gettext_noop("Model name"), gettext_noop("Add link"), gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    # viewflow.workflow
    gettext_noop("Workflow"), gettext_noop("Process"), gettext_noop("Process list"), gettext_noop("Task"),
    gettext_noop("Tasks"), gettext_noop("Flow"), gettext_noop("Status"), gettext_noop("Created"),
    gettext_noop("Finished"), gettext_noop("Type"), gettext_noop("Assigned"), gettext_noop("Started"),
    gettext_noop("Scheduled"), gettext_noop("Previous"), gettext_noop("Token"), gettext_noop("External Task ID"),
    gettext_noop("Owner"), gettext_noop("Permission"),
    pgettext_lazy("STATUS", "Assigned"), pgettext_lazy("STATUS", "Canceled"), pgettext_lazy("STATUS", "Done"),
    pgettext_lazy("STATUS", "Error"), pgettext_lazy("STATUS", "New"), pgettext_lazy("STATUS", "Revived"),
    pgettext_lazy("STATUS", "Scheduled"), pgettext_lazy("STATUS", "Started"),
    # django-axes
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("access failure"),
    gettext_noop("access failures"), gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"), gettext_noop("Access lock out"), gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"), gettext_noop("Clean up expired attempts"), gettext_noop("Expires At"),
    gettext_noop("Failed Logins"), gettext_noop("Form Data"), gettext_noop("GET Data"), gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"), gettext_noop("Locked Out"), gettext_noop("Logout Time"), gettext_noop("Meta Data"),
    gettext_noop("Not set"), gettext_noop("POST Data"), gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."), gettext_noop("User Agent"),
    gettext_noop("Username"),
)


class LookOnly:
    """Mixed into an admin or an inline: no add, change or delete (the services write)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# -- personal data in the admin: a reason first (issue 20) -------------------------------------------

#: Called as ``hook(user, obj, reason)`` when a change page of personal data is shown; the
#: applications app registers the access recorder here when ready (this module imports nothing
#: of the project).
ADMIN_READ_HOOKS: list[Callable[[Any, Any, str], None]] = []
REASON_SESSION_KEY = "govflow_admin_reason"


def on_admin_read(hook: Callable[[Any, Any, str], None]) -> None:
    if hook not in ADMIN_READ_HOOKS:
        ADMIN_READ_HOOKS.append(hook)


def current_reason(request: HttpRequest) -> str | None:
    """The support ticket and reason the administrator typed, while still valid."""
    stored = request.session.get(REASON_SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("user") != request.user.pk:
        return None
    if not isinstance(stored.get("until"), (int, float)) or stored["until"] < time.time():
        return None
    return f"{stored.get('ticket', '')}: {stored.get('reason', '')}"


class ReasonForm(forms.Form):
    ticket = forms.CharField(label=_("Support ticket"), max_length=60, strip=True)
    reason = forms.CharField(label=_("Reason"), max_length=200, strip=True, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        for name in ("ticket", "reason"):
            value = data.get(name) or ""
            if any(ord(c) < 32 and c not in "\n\t" for c in value):
                self.add_error(name, _("Remove the control characters."))
        return data


class ReasonForPersonalData:
    """Mixed into an admin whose change page shows a person's or an organisation's data: the
    administrator types a support ticket and a reason first (kept in the session for
    ``GOVFLOW_ADMIN_REASON_MINUTES``), and each page shown is recorded with it."""

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if current_reason(request) is None:
            return self._ask_reason(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def _ask_reason(self, request: HttpRequest) -> HttpResponse:
        form = ReasonForm(request.POST if request.method == "POST" and "_access_reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            minutes = getattr(settings, "GOVFLOW_ADMIN_REASON_MINUTES", 15)
            request.session[REASON_SESSION_KEY] = {"user": request.user.pk, "ticket": form.cleaned_data["ticket"],
                                                   "reason": form.cleaned_data["reason"],
                                                   "until": time.time() + 60 * minutes}
            return HttpResponseRedirect(request.get_full_path())
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": _("Why do you need this person's data?"),
                   "minutes": getattr(settings, "GOVFLOW_ADMIN_REASON_MINUTES", 15)}
        return TemplateResponse(request, "admin/access_reason.html", context, status=400 if form.is_bound else 200)

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:
            reason = current_reason(request) or ""
            for hook in ADMIN_READ_HOOKS:
                hook(request.user, obj, reason)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
