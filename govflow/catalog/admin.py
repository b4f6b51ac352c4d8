"""Catalog administration (the full designer is issue #6): dictionaries, procedures,
one things, published versions (read-only) and the working-day calendar."""
from __future__ import annotations

from django.contrib import admin

from .models import (
    CalendarDay,
    Department,
    Field,
    Material,
    OneThing,
    OneThingVersion,
    Output,
    Procedure,
    ProcedureField,
    ProcedureMaterial,
    Step,
    localized,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "display_name")
    search_fields = ("code", "name")


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("code", "label_text", "type")
    list_filter = ("type",)
    search_fields = ("code", "label")

    @admin.display(description="label")
    def label_text(self, obj: Field) -> str:
        return localized(obj.label)


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("code", "label_text", "max_size_mb")
    search_fields = ("code", "label")

    @admin.display(description="label")
    def label_text(self, obj: Material) -> str:
        return localized(obj.label)


class ProcedureFieldInline(admin.TabularInline):
    model = ProcedureField
    autocomplete_fields = ("field",)
    extra = 0


class ProcedureMaterialInline(admin.TabularInline):
    model = ProcedureMaterial
    autocomplete_fields = ("material",)
    extra = 0


class OutputInline(admin.TabularInline):
    model = Output
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name_text", "department", "statutory_days", "committed_days")
    list_filter = ("department",)
    search_fields = ("code", "name")
    list_select_related = ("department",)
    inlines = [ProcedureFieldInline, ProcedureMaterialInline, OutputInline]

    @admin.display(description="name")
    def name_text(self, obj: Procedure) -> str:
        return localized(obj.name)


class StepInline(admin.TabularInline):
    model = Step
    autocomplete_fields = ("procedure",)
    extra = 0


@admin.register(OneThing)
class OneThingAdmin(admin.ModelAdmin):
    list_display = ("code", "name_text", "committed_days", "is_published", "current_version")
    list_filter = ("is_published",)
    search_fields = ("code", "name")
    readonly_fields = ("current_version",)
    inlines = [StepInline]

    @admin.display(description="name")
    def name_text(self, obj: OneThing) -> str:
        return localized(obj.name)


@admin.register(OneThingVersion)
class OneThingVersionAdmin(admin.ModelAdmin):
    """Published versions are immutable: visible, never editable."""

    list_display = ("one_thing", "number", "published_at", "published_by")
    list_filter = ("one_thing",)
    readonly_fields = ("one_thing", "number", "definition", "digest", "published_at", "published_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Exceptions to the Monday–Friday week: public holidays and make-up working days (调休)."""

    list_display = ("date", "is_working_day", "name")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"
    search_fields = ("name",)
