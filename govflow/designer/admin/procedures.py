"""The admin of procedures, with their fields, materials and outputs as inlines."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from govflow.catalog.models import (
    Department,
    OneThing,
    Output,
    Procedure,
    ProcedureField,
    ProcedureMaterial,
    localized,
)

from ..forms.procedures import OutputForm, ProcedureForm
from .common import FollowParentPermissions, catalog_scope, count_of

# ---------------------------------------------------------------------------------------------
# Procedures


class _CatalogItemInline(FollowParentPermissions, admin.TabularInline):
    """A procedure's rows that each name an item of the catalog (``item``: the foreign key), picked
    by search and read with the item in one query."""

    item = ""
    extra = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.autocomplete_fields = (cls.item,)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related(self.item)


class ProcedureFieldInline(_CatalogItemInline):
    model, item = ProcedureField, "field"
    fields = ("field", "required", "position")
    verbose_name = _("field")
    verbose_name_plural = _("fields (asked once in the merged form, in this order)")


class ProcedureMaterialInline(_CatalogItemInline):
    model, item = ProcedureMaterial, "material"
    fields = ("material", "required", "deferrable_days", "commitment", "position")
    verbose_name = _("material")
    verbose_name_plural = _("materials (uploaded once per application)")


class OutputInline(FollowParentPermissions, admin.TabularInline):
    model = Output
    form = OutputForm
    fields = ("code", "label", "type", "pattern", "hint", "example", "position")
    extra = 0
    verbose_name = _("output")
    verbose_name_plural = _("outputs (what the clerk enters when approving)")


class OwnDepartmentFilter(admin.SimpleListFilter):
    title = _("editable by me")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        if catalog_scope(request.user) is None:
            return []
        return [("1", _("My departments"))]

    def queryset(self, request: HttpRequest, queryset):
        scope = catalog_scope(request.user)
        if self.value() == "1" and scope is not None:
            return queryset.filter(department_id__in=scope)
        return queryset


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureForm
    change_form_template = "admin/catalog/procedure/change_form.html"
    list_display = ("code", "name_text", "department", "statutory_days", "committed_days", "field_count",
                    "material_count", "output_codes")
    list_filter = (OwnDepartmentFilter, "department")
    search_fields = ("code", "name", "department__code")
    list_select_related = ("department",)
    inlines = [ProcedureFieldInline, ProcedureMaterialInline, OutputInline]
    readonly_fields = ("used_in",)
    fieldsets = (
        (None, {"fields": ("code", "department", "name", "description")}),
        (_("Service guide"), {"fields": ("legal_basis", "fees")}),
        (_("Time limits (working days)"), {"fields": ("statutory_days", "committed_days")}),
        (_("Where it is handled"), {"fields": ("level",)}),
        (_("Inputs from other procedures"), {"fields": ("needs_outputs",)}),
        (_("Automation"), {"classes": ("collapse",), "fields": ("automatic",)}),
        (_("Proactive services (offered or granted without an application)"),
         {"classes": ("collapse",), "fields": ("triggers",)}),
        (_("Physical results (pick-up or post)"), {"fields": ("physical_results",)}),
        (_("Deferred materials"), {"fields": ("deferral_conditional_approval", "deferral_on_missed",
                                                        "deferral_clock")}),
        (_("Remedies named when it is refused"), {"fields": ("reconsideration_body", "reconsideration_days",
                                                              "litigation_court", "litigation_months")}),
        (_("Retention"), {"fields": ("retention_years",)}),
        (_("Where it is used"), {"fields": ("used_in",)}),
    )

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(
            n_fields=count_of(ProcedureField, "procedure"), n_materials=count_of(ProcedureMaterial, "procedure"),
        ).prefetch_related("outputs")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        scope = catalog_scope(request.user)
        if scope is None:
            return form
        departments = Department.objects.filter(pk__in=scope)

        class ScopedProcedureForm(form):
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, departments=departments, **inner)

        return ScopedProcedureForm

    def _in_scope(self, request: HttpRequest, obj: Procedure | None) -> bool:
        scope = catalog_scope(request.user)
        return obj is None or scope is None or obj.department_id in scope

    def has_add_permission(self, request: HttpRequest) -> bool:
        scope = catalog_scope(request.user)
        return super().has_add_permission(request) and (scope is None or bool(scope))

    def has_change_permission(self, request: HttpRequest, obj: Procedure | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Procedure | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    @admin.display(description=_("name"), ordering="code")
    def name_text(self, obj: Procedure) -> str:
        return localized(obj.name)

    @admin.display(description=_("fields"), ordering="n_fields")
    def field_count(self, obj: Procedure) -> int:
        return obj.n_fields

    @admin.display(description=_("materials"), ordering="n_materials")
    def material_count(self, obj: Procedure) -> int:
        return obj.n_materials

    @admin.display(description=_("outputs"))
    def output_codes(self, obj: Procedure) -> str:
        return ", ".join(o.code for o in obj.outputs.all())

    @admin.display(description=_("steps of one things"))
    def used_in(self, obj: Procedure) -> str:
        if obj.pk is None:
            return "—"
        one_things = OneThing.objects.filter(steps__procedure=obj).distinct().order_by("code")
        if not one_things:
            return _("Not a step of any one thing yet.")
        return format_html_join(", ", '<a href="{}">{}</a>', (
            (reverse("admin:catalog_onething_change", args=[o.pk]), str(o)) for o in one_things))
