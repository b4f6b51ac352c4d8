"""The admin of one things (steps inline; preview, publish, unpublish, import and export pages) and
of their published versions.
"""
from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from govflow.accounts import selectors
from govflow.applications.models import Application
from govflow.catalog import jurisdictions, services
from govflow.catalog.diff import diff_documents
from govflow.catalog.models import (
    OneThing,
    OneThingVersion,
    Step,
    localized,
)
from govflow.catalog.services import unpublish_one_thing

from ..builder import builder_data, condition_view
from ..diagram import step_diagram
from ..forms.onethings import OneThingForm, StepForm, StepFormSet
from ..views import common, preview, publishing, transfer
from .common import FollowParentPermissions, count_of

# ---------------------------------------------------------------------------------------------
# One things


class StepInline(FollowParentPermissions, admin.TabularInline):
    model = Step
    form = StepForm
    formset = StepFormSet
    template = "admin/catalog/onething/steps_inline.html"  # five columns that fit; cards when narrow
    fields = ("procedure", "department_and_days", "after", "when", "position", "problems")
    readonly_fields = ("department_and_days", "problems")
    autocomplete_fields = ("procedure",)
    extra = 0
    verbose_name = _("step")
    verbose_name_plural = _("steps (procedures of this one thing)")
    report = None  # the draft's DesignReport, set per request by OneThingAdmin

    class Media:
        js = ("designer/steps.js",)  # new rows as prerequisites at once; the condition builder

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("procedure__department")

    @admin.display(description=_("department · days"))
    def department_and_days(self, obj: Step) -> str:
        if not obj.pk:
            return ""
        procedure = obj.procedure
        days = ngettext("%(days)d working day", "%(days)d working days", procedure.committed_days) % {
            "days": procedure.committed_days}
        return f"{localized(procedure.department.name)} · {days}"

    @admin.display(description=_("to fix before publishing"))
    def problems(self, obj: Step) -> str:
        if not obj.pk or self.report is None:
            return ""
        found = self.report.for_step(obj.procedure.code)
        if not found:
            return ""
        errors = [p for p in found if p in self.report.errors]
        warnings = [p for p in found if p not in self.report.errors]
        return format_html(
            "{}{}",
            format_html_join("", '<p class="errornote govflow-problem">{}{}</p>', (
                (f"{p.attribute}: " if p.attribute else "", p.message) for p in errors)),
            format_html_join("", '<p class="help govflow-warning">⚠ {}</p>', ((p.message,) for p in warnings)),
        )


class PublishedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("published", _("Published")), ("unpublished", _("Unpublished")),
                ("never", _("Never published"))]

    def queryset(self, request: HttpRequest, queryset):
        value = self.value()
        if value == "published":
            return queryset.filter(is_published=True)
        if value == "unpublished":
            return queryset.filter(is_published=False, current_version__isnull=False)
        if value == "never":
            return queryset.filter(current_version__isnull=True)
        return queryset


class OwnDivisionFilter(admin.SimpleListFilter):
    title = _("editable by me")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        scope = selectors.catalog_division(request.user)
        if scope is None:
            return []
        return [("1", _("%(division)s and below") % {"division": scope.display_name})]

    def queryset(self, request: HttpRequest, queryset):
        scope = selectors.catalog_division(request.user)
        if self.value() == "1" and scope is not None:
            return queryset.filter(jurisdictions.one_things_within(scope))
        return queryset


@admin.register(OneThing)
class OneThingAdmin(admin.ModelAdmin):
    form = OneThingForm
    change_form_template = "admin/catalog/onething/change_form.html"
    change_list_template = "admin/catalog/onething/change_list.html"
    list_display = ("code", "name_text", "division", "step_count", "committed_days", "status", "design_links")
    list_filter = (OwnDivisionFilter, PublishedFilter)
    search_fields = ("code", "name")
    list_select_related = ("current_version", "division")
    inlines = [StepInline]
    actions = ["unpublish_selected"]
    fieldsets = (
        (None, {"fields": ("code", "name", "description", "keywords")}),
        (_("Where it is offered"), {"fields": ("division", "route_by")}),
        (_("Who may apply"), {"fields": ("applicant",)}),
        (_("Promise and guide"), {"fields": ("committed_days", "guide")}),
        (_("Proactive services (offered or granted without an application)"),
         {"classes": ("collapse",), "fields": ("triggers",)}),
    )

    def get_queryset(self, request: HttpRequest):
        # The division decides who may change a one thing; the list skips its own
        # ``list_select_related`` when the queryset already selects related rows.
        return (super().get_queryset(request).select_related("division", "current_version")
                .annotate(n_steps=count_of(Step, "one_thing")))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        scope = selectors.catalog_division(request.user)
        if scope is None:
            return form

        class ScopedOneThingForm(form):
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, within=scope, **inner)

        return ScopedOneThingForm

    def _in_scope(self, request: HttpRequest, obj: OneThing | None) -> bool:
        return obj is None or selectors.may_edit_one_thing(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: OneThing | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: OneThing | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": transfer.can_import(request)}
        return super().changelist_view(request, extra_context)

    def get_inline_instances(self, request: HttpRequest, obj: OneThing | None = None):
        inlines = super().get_inline_instances(request, obj)
        report = getattr(request, "_govflow_design_report", None)
        for inline in inlines:
            if isinstance(inline, StepInline):
                inline.report = report
        return inlines

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):

        obj = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if obj is not None and request.method == "GET":
            report = services.check_one_thing(obj)
            request._govflow_design_report = report
            extra_context.update(common.status_context(obj, report))
            scope = selectors.catalog_division(request.user)
            if scope is not None and not selectors.may_edit_one_thing(request.user, obj):
                extra_context["outside_scope"] = scope
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request: HttpRequest, context: dict, add: bool = False, change: bool = False,
                           form_url: str = "", obj: OneThing | None = None):
        # The condition builder and the live prerequisites, where the steps can be edited.
        if (obj is None and self.has_add_permission(request)) or (
                obj is not None and self.has_change_permission(request, obj)):
            context["condition_builder"] = builder_data(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:

        super().save_related(request, form, formsets, change)
        report = services.check_one_thing(form.instance)
        if report.errors:
            self.message_user(request, ngettext(
                "Draft saved. %(count)d problem must be fixed before it can be published (see the steps below).",
                "Draft saved. %(count)d problems must be fixed before it can be published (see the steps below).",
                len(report.errors)) % {"count": len(report.errors)}, messages.WARNING)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self._view(transfer.import_view)), name=f"{prefix}_import"),
            path("condition/", wrap(self._view(condition_view)), name=f"{prefix}_condition"),
            path("export/", wrap(self._view(transfer.export_view)), name=f"{prefix}_export_all"),
            path("<path:object_id>/preview/", wrap(self._view(preview.preview_view)),
                 name=f"{prefix}_preview"),
            path("<path:object_id>/publish/", wrap(self._view(publishing.publish_view)),
                 name=f"{prefix}_publish"),
            path("<path:object_id>/unpublish/", wrap(self._view(publishing.unpublish_view)),
                 name=f"{prefix}_unpublish"),
            path("<path:object_id>/export/", wrap(self._view(transfer.export_view)),
                 name=f"{prefix}_export"),
            *super().get_urls(),
        ]

    def _view(self, view):
        def bound(request: HttpRequest, *args: Any, **kwargs: Any):
            return view(self, request, *args, **kwargs)

        bound.__name__ = view.__name__
        return bound

    @admin.display(description=_("name"), ordering="code")
    def name_text(self, obj: OneThing) -> str:
        return localized(obj.name)

    @admin.display(description=_("steps"), ordering="n_steps")
    def step_count(self, obj: OneThing) -> int:
        return obj.n_steps

    @admin.display(description=_("status"))
    def status(self, obj: OneThing) -> str:
        if obj.current_version_id is None:
            return _("Draft, never published")
        if obj.is_published:
            return _("Published (version %(number)d)") % {"number": obj.current_version.number}
        return _("Unpublished (last version %(number)d)") % {"number": obj.current_version.number}

    @admin.display(description=_("design"))
    def design_links(self, obj: OneThing) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:catalog_onething_preview", args=[obj.pk]), _("Preview"),
            reverse("admin:catalog_onething_publish", args=[obj.pk]), _("Publish…"),
        )

    @admin.action(description=_("Unpublish the selected one things (no new applications)"),
                  permissions=["change"])
    def unpublish_selected(self, request: HttpRequest, queryset) -> None:
        scope = selectors.catalog_division(request.user)
        if scope is not None:
            outside = queryset.exclude(jurisdictions.one_things_within(scope)).count()
            if outside:
                self.message_user(request, ngettext(
                    "%(count)d selected one thing is outside %(division)s, the part of the catalog you edit: "
                    "it was left as it is.",
                    "%(count)d selected one things are outside %(division)s, the part of the catalog you edit: "
                    "they were left as they are.", outside) % {"count": outside, "division": scope.display_name},
                    messages.WARNING)
            queryset = queryset.filter(jurisdictions.one_things_within(scope))
        count = 0
        for one_thing in queryset.filter(is_published=True):
            unpublish_one_thing(one_thing=one_thing)
            self.log_change(request, one_thing, _("Unpublished."))
            count += 1
        self.message_user(request, ngettext(
            "%(count)d one thing unpublished: it takes no new applications; running ones finish on their version.",
            "%(count)d one things unpublished: they take no new applications; running ones finish on their version.",
            count) % {"count": count}, messages.SUCCESS)


@admin.register(OneThingVersion)
class OneThingVersionAdmin(admin.ModelAdmin):
    """Published versions are immutable: visible, never editable."""

    class Media:
        css = {"all": ("designer/admin.css",)}  # the diagram and the definition

    list_display = ("one_thing", "number", "published_at", "published_by", "application_count")
    list_filter = ("one_thing",)
    list_select_related = ("one_thing", "published_by")
    search_fields = ("one_thing__code",)
    fields = ("one_thing", "number", "published_at", "published_by", "digest", "diagram", "changes",
              "definition_json")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(n_applications=count_of(Application, "version"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("applications"), ordering="n_applications")
    def application_count(self, obj: OneThingVersion) -> int:
        return obj.n_applications

    @admin.display(description=_("steps"))
    def diagram(self, obj: OneThingVersion) -> str:
        return step_diagram(obj.definition)

    @admin.display(description=_("changes from the previous version"))
    def changes(self, obj: OneThingVersion) -> str:
        previous = (OneThingVersion.objects.filter(one_thing_id=obj.one_thing_id, number__lt=obj.number)
                    .order_by("-number").first())
        if previous is None:
            return _("First version.")
        found = diff_documents(previous.definition, obj.definition)
        if not found:
            return _("No changes.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li><strong>{}</strong>: {}</li>", (
            (c.subject, c.text) for c in found)))

    @admin.display(description=_("definition"))
    def definition_json(self, obj: OneThingVersion) -> str:
        return format_html('<pre class="govflow-json">{}</pre>',
                           json.dumps(obj.definition, ensure_ascii=False, indent=2))
