"""Read-only support views of applications, cases, the timeline and evaluations, and the list
of workflow tasks stuck in an error state (with a retry).

Support staff look, they never edit: every admin here refuses add, change and delete, and the
timeline is append-only in the model as well (its ``save``/``delete`` and queryset ``update``/``delete``
raise). Personal data (PIPL): applicants appear by account and masked id number, answers are not
shown. viewflow's own Process and Task admins are made read-only as well. The one write is
**Retry** on a stuck task (``applications.recovery.task_retry``), which needs
``viewflow.change_task``; seeing the list needs ``viewflow.view_task``.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from viewflow.workflow import admin as viewflow_admin
from viewflow.workflow.models import Process, Task

from govflow.accounts.models import mask_id_number
from govflow.adminkit import LookOnly, ReasonForPersonalData
from govflow.catalog.models import localized
from govflow.errors import DomainError
from govflow.text import join_list

from . import certificate_templates, papers, recovery
from .models import (
    Application,
    Case,
    Certificate,
    CertificateTemplate,
    Commitment,
    CorrectionRequest,
    DataExport,
    Delivery,
    Evaluation,
    Offer,
    PurgeRecord,
    RefusalEntry,
    RefusalKind,
    TimelineEntry,
    Verification,
)


class ReadOnlyAdmin(LookOnly, admin.ModelAdmin):
    """Look, never touch: no add, change or delete, hence no bulk actions either."""

    actions = None


class ReadOnlyInline(LookOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class CaseInline(ReadOnlyInline):
    model = Case
    fields = ("procedure_code", "department", "status", "owner", "due_date", "decided_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("department", "owner")


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("code", "method", "pickup_office", "state", "tracking_number", "updated_at")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("pickup_office")


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    fields = ("at", "kind", "department", "actor", "message")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = _("timeline")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("department", "actor")


@admin.register(Application)
class ApplicationAdmin(ReasonForPersonalData, ReadOnlyAdmin):
    change_list_template = "admin/applications/application/change_list.html"
    list_display = ("number_or_draft", "one_thing", "version_number", "applicant_display", "channel", "status",
                    "outcome", "submitted_at", "expected_finish")
    list_filter = ("status", "outcome", "channel", "one_thing")
    search_fields = ("=number", "applicant__username", "=organisation__uscc")
    list_select_related = ("one_thing", "version", "applicant", "organisation")
    date_hierarchy = "submitted_at"
    inlines = [CaseInline, DeliveryInline, TimelineInline]
    fields = ("number", "one_thing", "version", "applicant_display", "submitted_by", "authorisation", "channel",
              "counter_office", "status", "outcome", "created_at",
              "submitted_at", "completed_at", "expected_finish", "delivery_method", "pickup_office", "process")
    readonly_fields = fields

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("stuck-tasks/", wrap(self.stuck_tasks_view), name=f"{prefix}_stuck_tasks"),
            path("stuck-tasks/<int:task_id>/retry/", wrap(self.retry_view), name=f"{prefix}_retry_task"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if _can_see_tasks(request):
            extra_context["stuck_count"] = recovery.stuck_tasks().count()
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("number"), ordering="number")
    def number_or_draft(self, obj: Application) -> str:
        return str(obj)

    @admin.display(description=_("version"), ordering="version__number")
    def version_number(self, obj: Application) -> int:
        return obj.version.number

    @admin.display(description=_("applicant"), ordering="applicant__username")
    def applicant_display(self, obj: Application) -> str:
        if obj.organisation_id:
            return f"{obj.organisation.name} ({obj.organisation.uscc})"
        applicant = obj.applicant
        masked = applicant.masked_id_number
        return f"{applicant.username} ({masked})" if masked else applicant.username

    # -- stuck tasks ---------------------------------------------------------------------------

    def stuck_tasks_view(self, request: HttpRequest) -> HttpResponse:
        """Workflow tasks in ERROR with their exception; a retry button each."""
        if not _can_see_tasks(request):
            raise PermissionDenied
        page = Paginator(recovery.stuck_tasks(), 50).get_page(request.GET.get("p"))
        tasks = list(page.object_list)
        applications = {a.process_id: a for a in Application.objects.filter(
            process_id__in=[t.process_id for t in tasks]).select_related("one_thing")}
        rows = []
        for task in tasks:
            application = applications.get(task.process_id)
            rows.append({
                "task": task,
                "node": task.flow_task.name if task.flow_task else "?",
                "exception": recovery.exception_of(task),
                "application": application,
                "one_thing": localized(application.one_thing.name) if application else "",
                "application_url": reverse("admin:applications_application_change", args=[application.pk])
                if application else "",
                "retry_url": reverse("admin:applications_application_retry_task", args=[task.pk]),
            })
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": _("Workflow tasks stuck in an error state"),
            "rows": rows,
            "page": page,
            "can_retry": _can_retry(request),
        }
        return TemplateResponse(request, "admin/applications/stuck_tasks.html", context)

    def retry_view(self, request: HttpRequest, task_id: int) -> HttpResponse:
        return _retry(self, request, task_id)


def _can_see_tasks(request: HttpRequest) -> bool:
    return request.user.has_perm("viewflow.view_task") or _can_retry(request)


def _can_retry(request: HttpRequest) -> bool:
    return request.user.has_perm("viewflow.change_task")


def _retry(model_admin: ApplicationAdmin, request: HttpRequest, task_id: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _can_retry(request):
        raise PermissionDenied
    task = Task.objects.filter(pk=task_id).select_related("process").first()
    if task is None:
        raise Http404
    back = reverse("admin:applications_application_stuck_tasks")
    try:
        revived = recovery.task_retry(task=task, user=request.user)
    except DomainError as exc:
        messages.warning(request, str(exc))
    except Exception as exc:  # noqa: BLE001 - the node failed again: report it, the task stays as it was
        messages.error(request, _("Task %(task)s failed again and stays in error: %(error)s") % {
            "task": task_id, "error": exc})
    else:
        messages.success(request, _("Task %(task)s retried: its step ran again as task %(new)s (%(status)s).") % {
            "task": task_id, "new": revived.pk, "status": revived.status})
    return HttpResponseRedirect(back)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "procedure_code", "department", "status", "owner", "due_date", "decided_at")
    list_filter = ("status", "department")
    search_fields = ("=application__number", "procedure_code")
    list_select_related = ("application", "department", "owner")
    date_hierarchy = "queued_at"
    exclude = ("corrections", "outputs")
    readonly_fields = ("application", "procedure_code", "procedure", "department", "position", "after",
                       "committed_days", "status", "task", "owner", "reviewer", "queued_at", "due_date",
                       "paused_at", "paused_working_days", "sla_warned_at", "escalated_at", "decided_at",
                       "decided_by", "comment", "claimed_at", "working_days_used", "on_time",
                       "prerequisite_working_days", "queue_working_days")


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    """The audit trail: append-only, so never editable or deletable here either."""

    list_display = ("at", "application", "kind", "department", "actor", "message")
    list_filter = ("kind", "department")
    search_fields = ("=application__number", "kind")
    list_select_related = ("application", "department", "actor")
    date_hierarchy = "at"
    readonly_fields = ("application", "case", "department", "at", "kind", "actor", "message", "data")


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("application", "score", "needs_follow_up", "followed_up_at", "created_at")
    list_filter = ("score", "needs_follow_up")
    search_fields = ("=application__number",)
    list_select_related = ("application",)
    readonly_fields = ("application", "score", "comment", "created_at", "needs_follow_up", "follow_up_note",
                       "followed_up_by", "followed_up_at", "citizen_contacted", "contacted_at", "contact_channel")


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    list_display = ("case", "requested_by", "requested_at", "resolved_at")
    list_select_related = ("case__application", "requested_by")
    search_fields = ("=case__application__number",)
    readonly_fields = ("case", "requested_by", "fields", "materials", "message", "requested_at", "resolved_at")



@admin.register(CertificateTemplate)
class CertificateTemplateAdmin(admin.ModelAdmin):
    """The templates of electronic certificates, one per output; checked on save
    (``certificate_templates.check_template``): an unknown name or a tag that is not allowed is refused, saying which."""

    list_display = ("title", "output", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("title", "output__code")
    fields = ("output", "title", "body", "is_active")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("output")

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body" and formfield is not None:
            formfield.help_text = _body_help()
        return formfield


def _body_help_now() -> SafeString:
    # The names and tags are code the administrator types, not words of the page: shown as code.
    def code(text: str) -> str:
        return format_html("<code>{}</code>", text)

    text = conditional_escape(_("The certificate's text. Insert a value with %(tag)s: %(names)s. %(if)s, %(for)s and "
                                "filters work; other tags do not."))
    return mark_safe(text % {  # noqa: S308 - the sentence was escaped above, every part below by format_html
        "tag": code("{{ name }}"), "names": join_list(code(name) for name in certificate_templates.TEMPLATE_FIELDS),
        "if": code("{% if %}"), "for": code("{% for %}"),
    })


_body_help = lazy(_body_help_now, SafeString)


@admin.register(RefusalEntry)
class RefusalEntryAdmin(admin.ModelAdmin):
    """The refusal list an administrator keeps: who may not defer a material nor sign a commitment
    instead of proving it, and why (shown to them). Entries are never deleted: lift one by setting
    *lifted at*, so the record of who was refused, when and why stays."""

    # PIPL: a person's ID number masked in the list (a USCC is public); in full on the change form.
    list_display = ("identifier_display", "name", "kind", "source", "starts_on", "ends_on", "lifted_at")
    list_filter = ("kind", "source", ("lifted_at", admin.EmptyFieldListFilter))
    search_fields = ("=identifier", "name")
    fields = ("kind", "identifier", "name", "reason", "source", "application", "starts_on", "ends_on",
              "created_by", "created_at", "lifted_at")
    readonly_fields = ("source", "application", "created_by", "created_at")
    raw_id_fields = ("application",)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("identifier"), ordering="identifier")
    def identifier_display(self, obj: RefusalEntry) -> str:
        return mask_id_number(obj.identifier) if obj.kind == RefusalKind.PERSON else obj.identifier

    def save_model(self, request: HttpRequest, obj: RefusalEntry, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        if obj.lifted_at and not obj.lifted_by_id:
            obj.lifted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Issued certificates: looked at, never edited (their text is frozen at issue); the one write is
    **Revoke**, which needs ``applications.change_certificate`` and goes on the timeline."""

    list_display = ("serial", "title", "office", "issued_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("serial",)
    fields = ("serial", "title", "office", "issued_at", "body", "show_name", "revoked_at", "revoked_reason")
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("office", "output")

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("applications.change_certificate")

    @admin.action(description=_("Revoke the selected certificates"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        done = 0
        for certificate in queryset:
            try:
                papers.certificate_revoke(certificate=certificate, user=request.user,
                                          reason=str(_("Revoked by an administrator")))
            except DomainError:
                continue
            done += 1
        self.message_user(request, _("%(count)d certificates revoked.") % {"count": done}, messages.SUCCESS)


# viewflow registers its own Process and Task admins, which let staff edit a task's status, owner
# or data behind the engine's back. Here they are look-only too: the one way to act on a task from
# the admin is the retry of a stuck task above, which goes through the engine.
# Their columns are described here for administrators, in their language: viewflow's own are
# attribute names ("Pk", "Brief", "Participants") and engine codes (a flow's dotted path).
#: The flow's nodes (govflow/applications/flows.py) as administrators call them.
STEP_NAMES = {
    "start": _("Submission"), "fan_out": _("Start of the cases that are ready"), "review": _("Clerk review"),
    "route": _("Routing after a review"), "correction": _("Citizen correction"),
    "deliver": _("Delivery of the results"), "end": _("End"),
}


class TaskColumns:
    """The columns a task shows wherever the admin lists it: its step by name, its token."""

    @admin.display(description=_("step"))
    def step(self, obj: Task) -> str:
        node = obj.flow_task
        return str(STEP_NAMES.get(node.name, node)) if node is not None else "—"

    @admin.display(description=_("token"))
    def path(self, obj: Task):
        return format_html("<code>{}</code>", obj.token)


class TaskInline(TaskColumns, LookOnly, viewflow_admin.TaskInline):
    fields = readonly_fields = ["step", "status", "owner", "path"]


class ReadOnlyProcessAdmin(LookOnly, viewflow_admin.ProcessAdmin):
    inlines = [TaskInline]
    list_display = ["number", "created", "flow", "status", "participants"]
    list_display_links = ["number", "created"]
    readonly_fields = fields = ["flow", "status", "created", "finished"]

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: Process) -> int:
        return obj.pk

    @admin.display(description=_("flow"), ordering="flow_class")
    def flow(self, obj: Process) -> str:
        return str(obj.flow_class.process_title) if obj.flow_class else "—"

    @admin.display(description=_("participants"))
    def participants(self, obj: Process) -> str:
        return super().participants(obj)


class ReadOnlyTaskAdmin(TaskColumns, LookOnly, viewflow_admin.TaskAdmin):
    list_display = ["number", "created", "process", "step", "status", "owner", "started", "finished"]
    list_filter = ["status"]
    list_display_links = ["number", "created"]
    readonly_fields = fields = ["process", "step", "status", "owner", "created", "started", "finished", "path"]

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: Task) -> int:
        return obj.pk


for _model, _model_admin in ((Process, ReadOnlyProcessAdmin), (Task, ReadOnlyTaskAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)


# -- 告知承诺制: signed commitments and their verifications (docs/commitments.md), looked at only ----


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    """Commitments applicants signed instead of a material: what, by whom, when (the PDF is the document)."""

    list_display = ("application", "material_code", "signer_name", "signed_at")
    search_fields = ("=application__number", "material_code", "signer_name")
    fields = ("application", "material_code", "signer_name", "signer_id_number", "signed_at", "text", "document")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("application", "document")


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    """Verifications after approval (事后核查); the office's clerks record the outcome in the workbench."""

    list_display = ("case", "material_code", "office", "due_date", "outcome", "overdue_at", "checked_at")
    list_filter = ("outcome", ("overdue_at", admin.EmptyFieldListFilter))
    search_fields = ("=case__application__number", "material_code")
    fields = ("case", "commitment", "office", "material_code", "created_at", "due_date", "outcome", "note",
              "checked_by", "checked_at", "overdue_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("case", "office", "checked_by")
@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    """Proactive services (免申即享, docs/proactive.md): what each event offered or granted, to whom,
    and what became of it. Look only: offers are made by events and answered by their people."""

    list_display = ("one_thing", "applicant", "organisation", "mode", "state", "event_source", "event_id",
                    "created_at", "expires_at", "decided_at")
    list_filter = ("mode", "state", "one_thing")
    search_fields = ("event_id", "event_source", "applicant__username", "organisation__name")
    list_select_related = ("one_thing", "applicant", "organisation")
    fields = ("one_thing", "applicant", "organisation", "mode", "state", "event_source", "event_id",
              "event_data", "answers", "application", "note", "created_at", "expires_at", "decided_at")
    readonly_fields = fields


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    """"Download my data" requests (applications/export.py): the record of each request, build,
    download and expiry. The archive itself is never served here: only its owner downloads it."""

    list_display = ("requested_at", "user", "status", "ready_at", "expires_at", "downloads", "downloaded_at")
    list_filter = ("status",)
    search_fields = ("user__username",)
    fields = ("user", "status", "requested_at", "ready_at", "expires_at", "downloads", "downloaded_at", "size",
              "counts", "error")


@admin.register(PurgeRecord)
class PurgeRecordAdmin(ReadOnlyAdmin):
    """What the retention sweep deleted (applications/retention.py): ids and counts, no personal data."""

    list_display = ("at", "reason", "application_id_ref", "application_number", "one_thing_code", "documents",
                    "files")
    list_filter = ("reason",)
    search_fields = ("=application_number", "=application_id_ref")
