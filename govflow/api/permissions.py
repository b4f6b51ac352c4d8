"""Role gates for whole endpoints; object access lives in the selectors' access helpers."""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from govflow.applications.selectors import is_clerk


class IsClerk(BasePermission):
    """Department members only: a citizen on /tasks/ gets 403."""

    message = "Only department staff can use tasks."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and is_clerk(request.user))
