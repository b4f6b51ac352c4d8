"""The admin of the catalog's dictionaries: departments (with their offices), fields and materials."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govflow.accounts.models import Membership
from govflow.catalog.models import (
    Department,
    Field,
    Material,
    Office,
    Procedure,
    ProcedureField,
    ProcedureMaterial,
    localized,
)

from ..forms.dictionaries import DepartmentForm, FieldForm, MaterialForm
from ..places import OfficeInline, name_new_offices
from .common import count_of

# ---------------------------------------------------------------------------------------------
# Departments


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ("code", "name_text", "procedure_count", "member_count", "has_webhook")
    search_fields = ("code", "name")
    inlines = [OfficeInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "access_reader_shown_as")}),
        (_("Department system"), {"classes": ("collapse",), "fields": ("webhook_url", "webhook_secret"),
                                  "description": _("Where case changes are sent (signed webhooks).")}),
    )

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(
            n_procedures=count_of(Procedure, "department"), n_members=count_of(Membership, "department"))

    @admin.display(description=_("name"), ordering="code")
    def name_text(self, obj: Department) -> str:
        return localized(obj.name)

    @admin.display(description=_("procedures"), ordering="n_procedures")
    def procedure_count(self, obj: Department) -> int:
        return obj.n_procedures

    @admin.display(description=_("members"), ordering="n_members")
    def member_count(self, obj: Department) -> int:
        return obj.n_members

    @admin.display(description=_("webhook"), boolean=True)
    def has_webhook(self, obj: Department) -> bool:
        return bool(obj.webhook_url)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Office:
            name_new_offices(formset, form.instance)


# ---------------------------------------------------------------------------------------------
# Fields and materials


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    form = FieldForm
    list_display = ("code", "label_text", "type", "used_by")
    list_filter = ("type",)
    search_fields = ("code", "label")
    fieldsets = (
        (None, {"fields": ("code", "label", "type", "help", "hint", "example")}),
        (_("What an answer must be"), {
            "fields": ("max_length", "pattern", "minimum", "maximum", "choices"),
            "description": _("Only the options of the chosen type apply: length and pattern for text, "
                             "minimum and maximum for numbers, choices for choice fields."),
        }),
    )

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(n_used=count_of(ProcedureField, "field"))

    @admin.display(description=_("label"), ordering="code")
    def label_text(self, obj: Field) -> str:
        return localized(obj.label)

    @admin.display(description=_("used by procedures"), ordering="n_used")
    def used_by(self, obj: Field) -> int:
        return obj.n_used


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    form = MaterialForm
    list_display = ("code", "label_text", "types", "max_size_mb", "used_by")
    search_fields = ("code", "label")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(n_used=count_of(ProcedureMaterial, "material"))

    @admin.display(description=_("label"), ordering="code")
    def label_text(self, obj: Material) -> str:
        return localized(obj.label)

    @admin.display(description=_("accepted file types"))
    def types(self, obj: Material) -> str:
        return ", ".join(obj.accepted_types or [])

    @admin.display(description=_("used by procedures"), ordering="n_used")
    def used_by(self, obj: Material) -> int:
        return obj.n_used
