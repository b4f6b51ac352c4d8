"""Jurisdictions in the admin: administrative divisions, and the offices departments have at them.

A department's offices are listed on its page (add one by choosing its division); an office's page
holds its members (clerks and supervisors, given by superusers only) and an optional webhook that
replaces the department's for the office's cases. Divisions are usually loaded from a file
(``manage.py load_divisions``); here they can be corrected or added one at a time.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govflow.accounts.admin import RolesGrantedBySuperusers
from govflow.accounts.models import Membership
from govflow.catalog import jurisdictions
from govflow.catalog.models import Division, Office, localized

from .forms.inputs import BilingualField, BilingualFormMixin, CodeMixin


class DivisionForm(BilingualFormMixin, forms.ModelForm):
    name = BilingualField(label=_("Name"), max_length=200)

    class Meta:
        model = Division
        fields = ("code", "name", "level", "parent")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True  # a code is the division's identity in every document
            self.fields["parent"].queryset = Division.objects.exclude(path__startswith=self.instance.path)


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    form = DivisionForm
    list_display = ("code", "name_text", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    ordering = ("path",)

    @admin.display(description=_("name"), ordering="code")
    def name_text(self, obj: Division) -> str:
        return localized(obj.name)

    def save_model(self, request: HttpRequest, obj: Division, form: Any, change: bool) -> None:
        # Through the domain, which keeps the paths of the division and everything below it.
        jurisdictions.save_divisions([{"code": obj.code, "name": obj.name, "level": obj.level,
                                       "parent": obj.parent.code if obj.parent_id else None}])
        obj.pk = Division.objects.get(code=obj.code).pk


class OfficeForm(CodeMixin, BilingualFormMixin, forms.ModelForm):
    name = BilingualField(label=_("Name"), max_length=200, required=False,
                          help_text=_("Empty: the division's name before the department's."))
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, max_length=200, assume_scheme="https",
                                 help_text=_("Empty: the department's webhook receives this office's cases."))
    address = BilingualField(label=_("Address"), required=False, max_length=500,
                             help_text=_("Where people go (street, number, hall); shown in the service guide."))
    opening_hours = BilingualField(label=_("Opening hours"), required=False, max_length=500)

    class Meta:
        model = Office
        fields = ("code", "department", "division", "name", "address", "opening_hours", "phone", "webhook_url",
                  "webhook_secret")
        widgets = {"webhook_secret": forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"})}

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("name") and cleaned.get("department") and cleaned.get("division"):
            cleaned["name"] = jurisdictions.office_name(cleaned["department"], cleaned["division"])
        return cleaned


class OfficeMembershipInline(RolesGrantedBySuperusers, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role")
    autocomplete_fields = ("user",)
    verbose_name = _("member")
    verbose_name_plural = _("members (clerks and supervisors)")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("user")


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    form = OfficeForm
    list_display = ("code", "name_text", "department", "division", "has_webhook")
    list_filter = ("department", "division__level")
    search_fields = ("code", "name", "division__code")
    list_select_related = ("department", "division")
    autocomplete_fields = ("division",)
    inlines = [OfficeMembershipInline]
    fieldsets = (
        (None, {"fields": ("code", "department", "division", "name")}),
        (_("Where people go"), {"fields": ("address", "opening_hours", "phone")}),
        (_("Office system"), {"classes": ("collapse",), "fields": ("webhook_url", "webhook_secret"),
                              "description": _("Where this office's case changes are sent instead of the "
                                               "department's system (signed webhooks).")}),
    )

    @admin.display(description=_("name"), ordering="code")
    def name_text(self, obj: Office) -> str:
        return obj.display_name

    @admin.display(description=_("own webhook"), boolean=True)
    def has_webhook(self, obj: Office) -> bool:
        return bool(obj.webhook_url)


class OfficeInlineForm(CodeMixin, forms.ModelForm):
    class Meta:
        model = Office
        fields = ("code", "division")


class OfficeInline(admin.TabularInline):
    """A department's offices on its page: where its cases are handled. Members and an office's own
    webhook are on the office's page."""

    model = Office
    form = OfficeInlineForm
    extra = 0
    fields = ("code", "division")
    autocomplete_fields = ("division",)
    show_change_link = True
    verbose_name = _("office")
    verbose_name_plural = _("offices (where its cases are handled; members on each office's page)")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("division")


def name_new_offices(formset: Any, department: Any) -> None:
    """Give the offices added on a department's page the default name (division, then department)."""
    for office in formset.new_objects:
        if not office.name:
            office.name = jurisdictions.office_name(department, office.division)
            office.save(update_fields=["name"])
