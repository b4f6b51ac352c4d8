"""The catalog designer in the Django admin (issue #6).

Administrators compose one things here without writing code or JSON:

* **Dictionaries**: departments (with their members), fields and materials, each defined once and
  shared by every procedure that needs them.
* **Procedures**: fields, materials and outputs as inlines; ``needs_outputs`` chosen among other
  procedures' outputs; days checked against each other.
* **One things**: steps as an inline (procedure, prerequisites among the other steps, condition),
  guide questions among the fields. Editing changes the *draft* only; the change form shows what
  must be fixed before publishing next to the step it concerns.
* **Preview** (diagram, critical path, the merged form, savings, a dry run of sample answers),
  **Publish…** (all checks plus the diff against the published version; creates an immutable
  version), **Unpublish** (no new applications; running ones finish on their version),
  **Import/Export** of ``govflow.catalog/1`` JSON (the same functions as the management commands).
* **Calendar**: holidays and make-up working days, with a year view.

Permissions are Django's model permissions: only staff holding them change definitions. Publishing
and unpublishing need ``catalog.change_onething``; importing needs add and change on every catalog
model. Superusers and whoever may change departments (``catalog.change_department``) administer
the whole catalog. Anyone else is limited in two independent ways (the rules are
:mod:`govflow.accounts.selectors`):

* a *department administrator* changes only the procedures of the departments they belong to
  (``accounts.Membership``), and sees the others read-only (:func:`catalog_scope`);
* a *catalog editor of a division* (``accounts.User.catalog_division``, set by a superuser on the
  user's page) adds, changes, publishes and unpublishes only the one things offered at that
  division or below it (a local catalog: e.g. Xihu's), chooses only such divisions for them, and
  sees every other one thing (e.g. the province-wide ones) read-only. They compose steps from the
  existing procedures; whether they may change procedures, fields, materials or departments is up
  to their model permissions, as for anyone. They may not import a catalog: an import may change
  and republish one things anywhere.
"""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from govflow.accounts import selectors
from govflow.accounts.models import Membership
from govflow.applications.models import Application
from govflow.catalog import jurisdictions, services
from govflow.catalog.design import diff_documents
from govflow.catalog.models import (
    CalendarDay,
    Department,
    Field,
    Material,
    Office,
    OneThing,
    OneThingVersion,
    Output,
    Procedure,
    ProcedureField,
    ProcedureMaterial,
    Step,
    localized,
)
from govflow.catalog.services import unpublish_one_thing

from .builder import builder_data, condition_view
from .diagram import step_diagram
from .forms.dictionaries import DepartmentForm, FieldForm, MaterialForm
from .forms.onethings import OneThingForm, StepForm, StepFormSet
from .forms.procedures import OutputForm, ProcedureForm
from .places import OfficeInline, name_new_offices
from .views import calendar_year, common, preview, publishing, transfer

# ---------------------------------------------------------------------------------------------
# Who may change what


def catalog_scope(user: Any) -> frozenset[int] | None:
    """Ids of the departments whose procedures ``user`` may change; ``None``: every department
    (the rule: :func:`govflow.accounts.selectors.catalog_departments`)."""
    return selectors.catalog_departments(user)


def _count(model: type, field: str) -> Subquery:
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
            n_procedures=_count(Procedure, "department"), n_members=_count(Membership, "department"))

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
        return super().get_queryset(request).annotate(n_used=_count(ProcedureField, "field"))

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
        return super().get_queryset(request).annotate(n_used=_count(ProcedureMaterial, "material"))

    @admin.display(description=_("label"), ordering="code")
    def label_text(self, obj: Material) -> str:
        return localized(obj.label)

    @admin.display(description=_("accepted file types"))
    def types(self, obj: Material) -> str:
        return ", ".join(obj.accepted_types or [])

    @admin.display(description=_("used by procedures"), ordering="n_used")
    def used_by(self, obj: Material) -> int:
        return obj.n_used


# ---------------------------------------------------------------------------------------------
# Procedures


class ProcedureFieldInline(FollowParentPermissions, admin.TabularInline):
    model = ProcedureField
    fields = ("field", "required", "position")
    autocomplete_fields = ("field",)
    extra = 0
    verbose_name = _("field")
    verbose_name_plural = _("fields (asked once in the merged form, in this order)")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("field")


class ProcedureMaterialInline(FollowParentPermissions, admin.TabularInline):
    model = ProcedureMaterial
    fields = ("material", "required", "deferrable_days", "commitment", "position")
    autocomplete_fields = ("material",)
    extra = 0
    verbose_name = _("material")
    verbose_name_plural = _("materials (uploaded once per application)")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("material")


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
        (_("Physical results (pick-up or post)"), {"fields": ("physical_results",)}),
        (_("Deferred materials"), {"fields": ("deferral_conditional_approval", "deferral_on_missed",
                                                        "deferral_clock")}),
        (_("Remedies named when it is refused"), {"fields": ("reconsideration_body", "reconsideration_days",
                                                              "litigation_court", "litigation_months")}),
        (_("Where it is used"), {"fields": ("used_in",)}),
    )

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(
            n_fields=_count(ProcedureField, "procedure"), n_materials=_count(ProcedureMaterial, "procedure"),
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
                .annotate(n_steps=_count(Step, "one_thing")))

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
        return super().get_queryset(request).annotate(n_applications=_count(Application, "version"))

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
        import json

        return format_html('<pre class="govflow-json">{}</pre>',
                           json.dumps(obj.definition, ensure_ascii=False, indent=2))


# ---------------------------------------------------------------------------------------------
# The working-day calendar


class CalendarYearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Exceptions to the Monday–Friday week: public holidays and make-up working days (调休)."""

    change_list_template = "admin/catalog/calendarday/change_list.html"
    list_display = ("date", "weekday", "is_working_day", "name")
    list_filter = (CalendarYearFilter, "is_working_day")
    date_hierarchy = "date"
    search_fields = ("name",)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view

        def year(request: HttpRequest, year: int | None = None):
            return calendar_year.calendar_year_view(self, request, year)

        return [
            path("year/", wrap(year), name=f"{prefix}_year"),
            path("year/<int:year>/", wrap(year), name=f"{prefix}_year"),
            *super().get_urls(),
        ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        if "is_working_day" in request.GET:
            initial["is_working_day"] = request.GET["is_working_day"] in ("1", "true", "True")
        return initial

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        from django.utils.dates import WEEKDAYS

        return str(WEEKDAYS[obj.date.weekday()])
