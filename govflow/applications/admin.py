"""Read-only support views of applications; the timeline can never be edited or deleted."""
from __future__ import annotations

from django.contrib import admin

from .models import Application, Case, Evaluation, TimelineEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CaseInline(admin.TabularInline):
    model = Case
    fields = ("procedure_code", "department", "status", "owner", "due_date", "decided_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("id", "number", "one_thing", "status", "outcome", "submitted_at", "expected_finish")
    list_filter = ("status", "outcome", "one_thing")
    search_fields = ("number",)
    list_select_related = ("one_thing",)
    inlines = [CaseInline]
    exclude = ("data",)


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "application", "kind", "department", "actor")
    list_filter = ("kind", "department")
    search_fields = ("application__number",)
    list_select_related = ("application", "department", "actor")


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("application", "score", "needs_follow_up", "created_at")
    list_filter = ("score", "needs_follow_up")
