"""Role gates for whole endpoints; object access lives in the selectors' access helpers."""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from govflow.applications.selectors import office_ids_for


class IsClerk(BasePermission):
    """Office members only: a citizen on /tasks/ gets 403."""

    message = "Only department staff can use tasks."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        # Kept for the view: the task queue filters by these ids (one query for both).
        request.govflow_office_ids = office_ids_for(request.user)
        return bool(request.govflow_office_ids)
