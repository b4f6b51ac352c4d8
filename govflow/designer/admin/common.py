"""Who may change what in the designer, and the count annotations its lists share."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from govflow.accounts import selectors

# ---------------------------------------------------------------------------------------------
# Who may change what


def catalog_scope(user: Any) -> frozenset[int] | None:
    """Ids of the departments whose procedures ``user`` may change; ``None``: every department
    (the rule: :func:`govflow.accounts.selectors.catalog_departments`)."""
    return selectors.catalog_departments(user)


def count_of(model: type, field: str) -> Subquery:
    """How many ``model`` rows point at the outer row through ``field`` (one subquery, no join)."""
    rows = (model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
            .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class FollowParentPermissions:
    """An inline row may be changed by whoever may change the object it belongs to."""

    def _parent_admin(self) -> admin.ModelAdmin:
        return self.admin_site._registry[self.parent_model]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        parent = self._parent_admin()
        return parent.has_change_permission(request, obj) if obj is not None else parent.has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        parent = self._parent_admin()
        return parent.has_change_permission(request, obj) if obj is not None else parent.has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent_admin().has_view_permission(request, obj)
