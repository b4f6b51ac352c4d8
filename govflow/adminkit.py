"""What the domains' admin pages share. Imports nothing of the project."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
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
