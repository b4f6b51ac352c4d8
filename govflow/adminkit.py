"""What the domains' admin pages share. Imports nothing of the project."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class LookOnly:
    """Mixed into an admin or an inline: no add, change or delete (the services write)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
