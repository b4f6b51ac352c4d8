"""Applications, cases, documents, outputs, corrections, evaluations and the timeline."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.catalog import models as _catalog_models
from govflow.catalog.fieldtypes import FIELD_TYPES
from govflow.catalog.identifiers import is_valid_id_number, is_valid_uscc
from govflow.records import AppendOnly

from .certificate_templates import TemplateError, check_template, forget_template_codes


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_PROGRESS = "in_progress", _("In progress")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    PARTIALLY_APPROVED = "partially_approved", _("Partially approved")
    REJECTED = "rejected", _("Rejected")


#: How the applicant receives physical results (the catalog's methods: pick-up or post).
DeliveryMethod = _catalog_models.DeliveryMethod


class DeliveryState(models.TextChoices):
    """Where a physical result is on its way to the applicant."""

    PREPARING = "preparing", _("Being prepared")
    READY = "ready", _("Ready for pick-up")
    POSTED = "posted", _("Posted")
    COLLECTED = "collected", _("Collected")
    DELIVERED = "delivered", _("Delivered")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("Service-hall counter")
    API = "api", _("API")


class Origin(models.TextChoices):
    """Who started the application: the citizen, or the state before the citizen asked (免申即享)."""

    CITIZEN = "citizen", _("Applied for")
    OFFER = "offer", _("Offered, then accepted")
    GRANT = "grant", _("Granted without applying")


class DocumentStatus(models.TextChoices):
    """How a material stands in the application (the reform's instruments, 国发〔2024〕3号)."""

    PROVIDED = "provided", _("Provided")
    #: 容缺受理: accepted without it; the applicant hands it in by ``Document.due_date``.
    DEFERRED = "deferred", _("To follow (accepted without it)")
    #: 告知承诺制: replaced by the applicant's signed commitment (the file is the commitment's PDF).
    COMMITMENT = "commitment", _("Replaced by a signed commitment")


class Application(models.Model):
    """One request for a one thing (申请), by a person or an organisation.

    Exactly one of ``applicant`` (a person applying for themselves, or the person an agent applies
    for under ``authorisation``) and ``organisation`` is set. ``submitted_by`` is the person who
    acted (the applicant, an agent, the organisation's legal representative or agent, a counter
    clerk); ``channel`` says through which door it came, and ``counter_office`` which service-hall
    counter took it."""

    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("one thing"))
    version = models.ForeignKey("catalog.OneThingVersion", on_delete=models.PROTECT, related_name="applications",
                                verbose_name=_("version"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="applications", verbose_name=_("applicant (person)"))
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="applications", verbose_name=_("applicant (organisation)"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("submitted by"))
    authorisation = models.ForeignKey("parties.Authorisation", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="applications", verbose_name=_("authorisation"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.CITIZEN,
                              help_text=_("Applied for by the applicant, or offered or granted by the state "
                                          "without an application."))
    counter_office = models.ForeignKey("catalog.Office", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("counter"))
    division = models.ForeignKey("catalog.Division", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("division"),
                                 help_text=_("Where the application is handled: its cases go to the offices there."))
    number = models.CharField(_("number"), max_length=32, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    data = models.JSONField(_("answers"), default=dict, blank=True)
    process = models.OneToOneField("viewflow.Process", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="application", verbose_name=_("process"))
    submit_key = models.CharField(max_length=200, blank=True, verbose_name=_("submit key"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    # Fixed once at submission (engine.committed_finish): the submission day plus the one thing's
    # committed working days. Never moved afterwards, so it reads the same everywhere, reprints too.
    expected_finish = models.DateField(_("expected to finish by"), null=True, blank=True, editable=False)
    # "Apply again": the refused or withdrawn application this draft was started from
    # (services.application_apply_again); recorded on both timelines.
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 editable=False, verbose_name=_("started again from"))
    # The one-time code printed on a counter receipt (applications/counter.py): only its keyed hash
    # is kept; it lets the person follow the application and claim it once into an account.
    receipt_code_hash = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("receipt code hash"))
    receipt_code_issued_at = models.DateTimeField(null=True, blank=True, editable=False,
                                                  verbose_name=_("receipt code issued at"))
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("claimed at"))
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False, verbose_name=_("claimed by"))
    # How physical results reach the applicant, chosen at submission when a procedure issues any
    # (applications/delivery.py): picked up at ``pickup_office`` or posted to ``delivery_address``
    # ({"recipient", "phone", "address"}).
    delivery_method = models.CharField(_("delivery method"), max_length=10, choices=DeliveryMethod.choices,
                                       blank=True)
    pickup_office = models.ForeignKey("catalog.Office", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("pick-up office"))
    delivery_address = models.JSONField(_("postal address"), default=dict, blank=True)
    # Retention (applications/retention.py): when the reminder that an untouched draft will be
    # deleted went out; cleared when the draft is changed again.
    retention_reminded_at = models.DateTimeField(_("deletion reminder sent at"), null=True, blank=True,
                                                 editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(
            condition=Q(applicant__isnull=False, organisation__isnull=True)
            | Q(applicant__isnull=True, organisation__isnull=False), name="application_one_applicant")]
        indexes = [
            models.Index(fields=["applicant", "status"], name="app_applicant_status"),
            models.Index(fields=["organisation", "-created_at", "-id"], name="app_organisation_recent",
                         condition=Q(organisation__isnull=False)),
            models.Index(fields=["authorisation"], name="app_authorisation",
                         condition=Q(authorisation__isnull=False)),
            models.Index(fields=["counter_office", "-created_at", "-id"], name="app_counter_recent",
                         condition=Q(counter_office__isnull=False)),
            # "My applications", newest first: a page is read in order, however many one has.
            models.Index(fields=["applicant", "-created_at", "-id"], name="app_applicant_recent"),
            # Statistics count applications by submission day (drafts have none).
            models.Index(fields=["submitted_at"], name="app_submitted_at", condition=Q(submitted_at__isnull=False)),
            # Retention: drafts by their last change.
            models.Index(fields=["updated_at"], name="app_draft_updated", condition=Q(status="draft")),
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.number or _("draft #%(pk)s") % {"pk": self.pk}

    @property
    def applicant_kind(self) -> str:
        return "organisation" if self.organisation_id else "person"

    @property
    def applicant_party(self):
        """The organisation or the person the application is for."""
        return self.organisation if self.organisation_id else self.applicant

    def party_ref(self) -> dict:
        """``{"kind", "id", "name"}`` of whom the application is for (the API's ``applicant``)."""
        party = self.applicant_party
        name = party.name if self.organisation_id else (party.name or party.username)
        return {"kind": self.applicant_kind, "id": party.pk, "name": name}

    @property
    def is_open(self) -> bool:
        return self.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_PROGRESS,
                               ApplicationStatus.CORRECTION_REQUESTED)


class NumberSequence(models.Model):
    """Per-year counter behind GF-<year>-<6 digits>; the row is locked while a number is taken."""

    year = models.PositiveIntegerField(primary_key=True, verbose_name=_("year"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("last"))


    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CaseStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for prerequisites")
    QUEUED = "queued", _("Queued")
    IN_REVIEW = "in_review", _("In review")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    #: Approved, then the approval was withdrawn (applications/revocation.py).
    REVOKED = "revoked", _("Approval revoked")


OPEN_CASE_STATUSES = (CaseStatus.QUEUED, CaseStatus.IN_REVIEW, CaseStatus.CORRECTION_REQUESTED)
FINAL_CASE_STATUSES = (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CANCELLED, CaseStatus.REVOKED)


class Case(models.Model):
    """The part of an application routed to one procedure and its department (办件).

    ``task`` points at the open viewflow task (review or citizen correction); the
    case row doubles as the queue index, so queues never scan viewflow's task table.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="cases",
                                    verbose_name=_("application"))
    procedure_code = models.CharField(max_length=64, verbose_name=_("procedure code"))
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("procedure"))
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="cases",
                                   verbose_name=_("department"))
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="cases",
                               verbose_name=_("office"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    after = models.JSONField(default=list, blank=True, verbose_name=_("after"))
    committed_days = models.PositiveIntegerField( verbose_name=_("committed days"))
    status = models.CharField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.WAITING,
                              verbose_name=_("status"))
    task = models.ForeignKey("viewflow.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("task"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="held_cases", verbose_name=_("owner"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text=_("the clerk who asked for corrections"),
                                 verbose_name=_("reviewer"))
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    due_date = models.DateField(null=True, blank=True, verbose_name=_("due date"))
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    paused_working_days = models.PositiveIntegerField(default=0, verbose_name=_("paused working days"))
    # SLA sweep (govflow.applications.sla): when the holder was warned one working day before
    # the due date, and when the case was escalated to the department's supervisors as overdue
    # (cleared again if a resubmission moves the due date past today).
    sla_warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sla warned at"))
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("escalated at"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approval revoked at"))
    revocation_reason = models.TextField(blank=True, verbose_name=_("reason for revoking the approval"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    # Stored at the decision (govflow.applications.timing) so statistics never read a row per case.
    working_days_used = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("working days used"),
        help_text=_("from queued to decided, working days waiting for the citizen excluded"))
    on_time = models.BooleanField(null=True, blank=True, verbose_name=_("on time"),
                                  help_text=_("decided on or before its due date"))
    # Where the time went (also stored at the decision): the first time a clerk took the case
    # (claimed or assigned), the working days from submission to queued (waiting for the cases it
    # comes after) and from queued to that first claim (waiting in the queue).
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first claimed at"))
    prerequisite_working_days = models.PositiveIntegerField(null=True, blank=True,
                                                            verbose_name=_("working days waiting for prerequisites"))
    queue_working_days = models.PositiveIntegerField(null=True, blank=True,
                                                     verbose_name=_("working days in the queue"))
    outputs = models.JSONField(default=dict, blank=True, verbose_name=_("outputs"))
    comment = models.TextField(blank=True, verbose_name=_("comment"))
    corrections = models.JSONField(default=dict, blank=True, verbose_name=_("corrections"))
    # 容缺受理 (applications/deferral.py): approved while a deferred material was missing, and when the
    # deadline sweep found a material this case requires past its due date.
    conditional = models.BooleanField(_("approved conditionally"), default=False)
    material_overdue_at = models.DateTimeField(_("material overdue since"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["office", "due_date", "id"], name="case_open_queue",
                         condition=Q(status__in=["queued", "in_review"])),
            # The supervisor's board: per-procedure and per-clerk load, and the most overdue work,
            # answered from the index alone (the covered columns are what the board counts by).
            models.Index(fields=["office", "due_date", "id"], name="case_open_board",
                         include=["procedure_code", "owner", "status"],
                         condition=Q(status__in=["queued", "in_review"], task__isnull=False)),
            # The queues' first pages, read in queue order (due date, task, id) straight off these.
            models.Index(fields=["office", "due_date", "task", "id"], name="case_queued",
                         condition=Q(status="queued", task__isnull=False)),
            models.Index(fields=["owner", "due_date", "task", "id"], name="case_held_order",
                         condition=Q(status="in_review", task__isnull=False)),
            models.Index(fields=["office", "due_date", "id"], name="case_escalated",
                         condition=Q(status__in=["queued", "in_review"], escalated_at__isnull=False)),
            # Supervision statistics: decisions of a period, by office, answered from the index alone.
            models.Index(fields=["decided_at", "office"], name="case_decided",
                         include=["department", "procedure", "working_days_used", "on_time"],
                         condition=Q(decided_at__isnull=False)),
            models.Index(fields=["office", "decided_at"], name="case_decided_office",
                         condition=Q(decided_at__isnull=False)),
        ]
        constraints = [models.UniqueConstraint(fields=["application", "procedure_code"], name="uniq_case_step")]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"{self.application} / {self.procedure_code}"


def document_upload_to(instance: Document, filename: str) -> str:
    # Random names: nothing about the citizen or the original file name reaches the disk.
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Document(models.Model):
    """A material uploaded once for the whole application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents",
                                    verbose_name=_("application"))
    material_code = models.CharField(max_length=64, verbose_name=_("material code"))
    status = models.CharField(_("status"), max_length=12, choices=DocumentStatus.choices,
                              default=DocumentStatus.PROVIDED)
    # A deferred material has no file yet: only the working day it is due by.
    due_date = models.DateField(_("due by"), null=True, blank=True)
    file = models.FileField(upload_to=document_upload_to, max_length=200, blank=True, verbose_name=_("file"))
    filename = models.CharField(max_length=255, verbose_name=_("filename"))
    size = models.PositiveBigIntegerField( verbose_name=_("size"))
    sha256 = models.CharField(max_length=64, verbose_name=_("sha256"))
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    uploaded_at = models.DateTimeField(default=timezone.now, verbose_name=_("uploaded at"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    # 容缺受理: the terms the applicant accepted to defer it ({"version", "digest", "accepted_at"}),
    # kept when the material is handed in; and when the reminder before the due date went out.
    deferral_terms = models.JSONField(_("deferral terms accepted"), default=dict, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # Retention (applications/retention.py): the file was deleted when the procedures using it had
    # kept it as long as the catalog says; the row stays, with this date.
    purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["material_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "material_code"], name="uniq_document_material"),
            models.CheckConstraint(condition=~Q(status="deferred") | Q(due_date__isnull=False),
                                   name="document_deferred_has_due_date"),
        ]
        indexes = [
            # The deadline sweep reads the deferred materials due by a day.
            models.Index(fields=["due_date"], name="document_deferred_due",
                         condition=Q(status="deferred")),
        ]

    def __str__(self) -> str:
        return f"{self.material_code}: {self.filename}"


class IssuedOutput(models.Model):
    """An output a case issued; it feeds later cases and the citizen's wallet."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="issued_outputs",
                                    verbose_name=_("application"))
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="issued_outputs", verbose_name=_("case"))
    # The person or the organisation that holds it (the application's applicant).
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="wallet", verbose_name=_("holder"))
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="wallet", verbose_name=_("organisation"))
    code = models.CharField(max_length=64, verbose_name=_("code"))
    value = models.CharField(max_length=500, verbose_name=_("value"))
    issued_at = models.DateTimeField(default=timezone.now, verbose_name=_("issued at"))
    # The approval that issued it was revoked: no longer valid, never reused.
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("issued output")
        verbose_name_plural = _("issued outputs")
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["holder", "code"], name="output_holder_code"),
                   models.Index(fields=["organisation", "code"], name="output_organisation_code",
                                condition=Q(organisation__isnull=False))]

    def __str__(self) -> str:
        return f"{self.code}={self.value}"


class Delivery(models.Model):
    """One physical result of an approved case on its way to the applicant: made when the case is
    approved (being prepared), then moved by the office's clerks (ready for pick-up → collected, or
    posted with the carrier's tracking number → delivered). Every move is on the timeline."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="deliveries")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deliveries")
    code = models.CharField(_("code"), max_length=64)
    label = models.JSONField(_("label"), default=dict)
    method = models.CharField(_("delivery method"), max_length=10, choices=DeliveryMethod.choices)
    pickup_office = models.ForeignKey("catalog.Office", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("pick-up office"))
    state = models.CharField(_("state"), max_length=12, choices=DeliveryState.choices,
                             default=DeliveryState.PREPARING)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="uniq_delivery_result")]
        # The workbench's list of results to hand over: an office's unfinished ones.
        indexes = [models.Index(fields=["case", "id"], name="delivery_open",
                                condition=Q(state__in=["preparing", "ready", "posted"]))]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.application} / {self.code}: {self.state}"


class CorrectionRequest(models.Model):
    """A clerk's field-level correction request (补正, 一次性告知)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="correction_requests", verbose_name=_("case"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    fields = models.JSONField(default=list, verbose_name=_("fields"))
    materials = models.JSONField(default=list, verbose_name=_("materials"))
    message = models.TextField( verbose_name=_("message"))
    requested_at = models.DateTimeField(default=timezone.now, verbose_name=_("requested at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    # What the marked items were when the clerk asked, so the clerk sees old and new side by side:
    # each marked field's answer (null when unanswered), and each marked material's file the
    # citizen's first new upload replaced ({"file": storage name, "filename", "size",
    # "content_type", "sha256", "uploaded_at"}; that file is kept, the rest of the round's are not).
    answers_before = models.JSONField(_("answers before the correction"), default=dict, blank=True)
    documents_before = models.JSONField(_("files before the correction"), default=dict, blank=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"correction of {self.case_id}"


class ContactChannel(models.TextChoices):
    """How a bad rating's follow-up reached the citizen."""

    PHONE = "phone", _("By phone")
    SMS = "sms", _("By text message")
    VISIT = "visit", _("In person")
    ONLINE = "online", _("By online message")


class Evaluation(models.Model):
    """The citizen's 1–5 rating of a finished application (好差评)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="evaluation",
                                       verbose_name=_("application"))
    score = models.PositiveSmallIntegerField( verbose_name=_("score"))
    comment = models.TextField(blank=True, verbose_name=_("comment"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    needs_follow_up = models.BooleanField(default=False, verbose_name=_("needs follow up"))
    follow_up_note = models.TextField(blank=True, verbose_name=_("follow up note"))
    followed_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", verbose_name=_("followed up by"))
    followed_up_at = models.DateTimeField(null=True, blank=True, verbose_name=_("followed up at"))
    # Whether the follow-up reached the citizen (GB/T 39734 回访): recorded with the answer; ``None``
    # for answers recorded before it was asked, or when the supervisor left it unsaid.
    citizen_contacted = models.BooleanField(null=True, blank=True, verbose_name=_("citizen contacted"))
    contacted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("contacted at"))
    contact_channel = models.CharField(max_length=10, blank=True, choices=ContactChannel.choices,
                                       verbose_name=_("contacted by"))

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="evaluation_score_1_5")]
        # The supervisor's board lists the low ratings waiting for an answer (oldest first) and the
        # latest answered ones: both read a few rows of these small partial indexes in order,
        # however many ratings the years have piled up.
        indexes = [
            models.Index(fields=["created_at", "id"], name="evaluation_follow_up_open",
                         condition=Q(needs_follow_up=True, followed_up_at__isnull=True)),
            models.Index(fields=["-followed_up_at", "-id"], name="evaluation_follow_up_done",
                         condition=Q(needs_follow_up=True, followed_up_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.score}"


class TimelineEntry(AppendOnly):
    """An append-only record of one state change (audit trail)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="timeline",
                                    verbose_name=_("application"))
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="timeline",
                             verbose_name=_("case"))
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("actor"))
    message = models.TextField(blank=True, verbose_name=_("message"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))

    append_only_message = "Timeline entries are append-only."

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"



class CounterLookupWhat(models.TextChoices):
    HISTORY = "history", _("Earlier applications and results")
    PREFILL = "prefill", _("Answers filled in from the profile and the wallet")


class CounterLookup(AppendOnly):
    """An append-only record of one read a service-hall counter clerk made of an identified
    person's or organisation's earlier applications, results or profile (once-only reuse)."""

    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("clerk"))
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("person"))
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("organisation"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))
    what = models.CharField(max_length=20, choices=CounterLookupWhat.choices, verbose_name=_("what"))
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    help_text=_("the application the read answers were for (prefill)"),
                                    verbose_name=_("application"))

    append_only_message = "Counter lookups are append-only."

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(
            condition=Q(person__isnull=False, organisation__isnull=True)
            | Q(person__isnull=True, organisation__isnull=False), name="counter_lookup_one_party")]
        verbose_name = _("counter lookup")
        verbose_name_plural = _("counter lookups")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.what}"



# -- papers: electronic certificates (applications/papers.py) ---------------------------------


class CertificateTemplate(models.Model):
    """How the certificate of one output looks (电子证照模板): a title and a body written in a
    restricted Django template language (:func:`govflow.applications.certificate_templates.check_template`),
    edited by administrators. A certificate freezes the text it was made from."""

    output = models.OneToOneField("catalog.Output", on_delete=models.CASCADE, related_name="certificate_template",
                                  verbose_name=_("output"))
    title = models.CharField(_("title"), max_length=100, help_text=_("Printed large at the top, e.g. 营业执照."))
    body = models.TextField(
        _("body"), max_length=4000,
        help_text=_("The certificate's text. Insert a value with {{ name }}: holder_name, output_label, "
                    "output_value, authority, issue_date, serial, one_thing, procedure, application_number. "
                    "{% if %}, {% for %} and filters work; other tags do not."))
    is_active = models.BooleanField(_("issue certificates"), default=True,
                                    help_text=_("Off: approvals of this output issue no certificate."))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("certificate template")
        verbose_name_plural = _("certificate templates")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        forget_template_codes()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        forget_template_codes()
        return result

    def clean(self) -> None:
        super().clean()
        try:
            check_template(self.title, self.body)
        except TemplateError as exc:
            raise ValidationError({exc.field: exc.messages}) from None


class CertificateSequence(models.Model):
    """Per authority (office) and year, the last serial number taken; locked while one is taken."""

    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="uniq_certificate_sequence")]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last}"


class Certificate(models.Model):
    """An electronic certificate (电子证照) of one issued output. Everything printed on it is frozen
    at issue (the template's text, the values, the rendered body), so that every download is the
    same document. ``token`` (random, 192 bits) opens its public verification page."""

    output = models.OneToOneField(IssuedOutput, on_delete=models.PROTECT, related_name="certificate",
                                  verbose_name=_("output"))
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("issuing authority"))
    serial = models.CharField(_("serial number"), max_length=80, unique=True)
    token = models.CharField(max_length=64, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=100)
    template_text = models.TextField(editable=False)
    values = models.JSONField(default=dict, editable=False)
    body = models.TextField(_("text"), editable=False)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    show_name = models.BooleanField(_("name shown on the verification page"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.serial


class RefusalKind(models.TextChoices):
    PERSON = "person", _("Person (resident ID number)")
    ORGANISATION = "organisation", _("Organisation (unified social credit code)")


class RefusalSource(models.TextChoices):
    MANUAL = "manual", _("Entered by an administrator")
    COMMITMENT = "commitment", _("A commitment found false")
    IMPORT = "import", _("Imported (e.g. a credit record)")


class RefusalEntry(models.Model):
    """One applicant the reform's facilities are refused to (e.g. from a credit record).

    Someone on the list cannot submit with a material deferred (容缺受理) nor replace one by a
    commitment (告知承诺制); ``reason`` is shown to them. Entries are keyed by the identifier the
    records carry (the resident ID number or the unified social credit code), so a list imported
    from another system works before the person has an account."""

    kind = models.CharField(_("kind"), max_length=12, choices=RefusalKind.choices)
    identifier = models.CharField(_("identifier"), max_length=18, db_index=True,
                                  help_text=_("The resident ID number or the unified social credit code."))
    name = models.CharField(_("name"), max_length=200, blank=True)
    reason = models.JSONField(_("reason shown to the applicant"), default=dict,
                              help_text=_('{"en": "...", "zh-hans": "..."}'))
    source = models.CharField(_("source"), max_length=12, choices=RefusalSource.choices,
                              default=RefusalSource.MANUAL)
    # The application whose false commitment put the applicant here (source "commitment").
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("application"))
    starts_on = models.DateField(_("from"), default=timezone.localdate)
    ends_on = models.DateField(_("until"), null=True, blank=True,
                               help_text=_("The last day on the list; empty: until lifted."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"), editable=False)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("lifted by"))

    class Meta:
        verbose_name = _("refusal list entry")
        verbose_name_plural = _("refusal list")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "identifier"], name="refusal_lookup",
                                condition=Q(lifted_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.identifier}"

    def clean(self) -> None:
        self.identifier = (self.identifier or "").replace(" ", "").upper()
        kind = FIELD_TYPES["uscc" if self.kind == RefusalKind.ORGANISATION else "id_number"]
        valid = is_valid_uscc if self.kind == RefusalKind.ORGANISATION else is_valid_id_number
        if self.kind and not valid(self.identifier):
            raise ValidationError({"identifier": kind.format_message})
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day cannot come before the first.")})
        if not (self.reason or {}).get("en") and not (self.reason or {}).get("zh-hans"):
            raise ValidationError({"reason": _("Say why, in the words the applicant will read.")})


# ---------------------------------------------------------------------------------------------
# 告知承诺制: signed commitments instead of materials, and their verification after approval
# (govflow/applications/commitments.py, docs/commitments.md)


class Commitment(models.Model):
    """The applicant's signed commitment (承诺书) that replaces one material of an application.

    Its PDF is the material's :class:`Document` (``status="commitment"``); this row keeps what was
    signed, by whom and when, so that the PDF can be drawn again with the application number at
    submission and the office can verify it after approval."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="commitments",
                                    verbose_name=_("application"))
    # Uploading the material itself later deletes the document, and with it the commitment.
    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="commitment",
                                    verbose_name=_("document"))
    material_code = models.CharField(_("material code"), max_length=64)
    text = models.JSONField(_("text signed"), default=dict)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("signed by"))
    signer_name = models.CharField(_("signatory"), max_length=100)
    signer_id_number = models.CharField(_("signatory's ID number"), max_length=18, blank=True)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "material_code"],
                                               name="uniq_commitment_material")]

    def __str__(self) -> str:
        return f"{self.material_code}: {self.signer_name}"


class VerificationOutcome(models.TextChoices):
    PENDING = "pending", _("To verify")
    TRUE = "true", _("True")
    FALSE = "false", _("False")


class Verification(models.Model):
    """事后核查: an approved case's commitment drawn for verification by the case's office."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="verifications", verbose_name=_("case"))
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="verifications",
                                   verbose_name=_("commitment"))
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    material_code = models.CharField(_("material code"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_date = models.DateField(_("due by"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=VerificationOutcome.choices,
                               default=VerificationOutcome.PENDING)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("checked by"))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # Set once by the sweep when the due date passed with the verification still open.
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "commitment"], name="uniq_verification_case")]
        indexes = [
            # The office's queue: open verifications by office, soonest due first.
            models.Index(fields=["office", "due_date"], name="verification_open_queue",
                         condition=Q(outcome="pending")),
            # The sweep: open verifications past their due date not yet flagged.
            models.Index(fields=["due_date"], name="verification_overdue_sweep",
                         condition=Q(outcome="pending", overdue_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.material_code} ({self.outcome})"


# -- access records: who read a citizen's or a company's data (issue 20; applications/access.py) --


class AccessInterface(models.TextChoices):
    WORKBENCH = "workbench", _("Workbench")
    API = "api", _("API")
    COUNTER = "counter", _("Service-hall counter")
    ADMIN = "admin", _("Administration")
    EXPORT = "export", _("Export")


class AccessPurpose(models.TextChoices):
    """Why a member of staff read the data."""

    HELD_CASE = "held_case", _("Handling the case they hold")
    QUEUE = "queue", _("A case in their office's queue")
    OFFICE_CASE = "office_case", _("A case of their office")
    OVERSIGHT = "oversight", _("A supervisor's oversight")
    COUNTER = "counter", _("Serving the applicant at the counter")
    SUPPORT = "support", _("An administrator's support ticket")
    #: A supervisor or an auditor searching who read this person's data (the search page).
    AUDIT = "audit", _("An audit of who read the data")


class AccessRecord(AppendOnly):
    """One read of a person's or an organisation's data by someone other than themselves.

    Append-only: the application never updates or deletes a row (model and queryset refuse;
    on PostgreSQL a trigger refuses too). ``seq`` and ``digest`` are filled once, after the
    insert, by :func:`govflow.applications.access.seal` (a beat job): an HMAC chain in which each
    row's digest covers its content and the previous row's digest; ``verify_access_log`` checks it.
    The application, case and document are plain references (no database constraint), so the
    record outlives a draft or a replaced file it names."""

    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("reader"))
    office = models.ForeignKey("catalog.Office", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("office"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("person read"))
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("organisation read"))
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.DO_NOTHING,
                                    db_constraint=False, related_name="+", verbose_name=_("application"))
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                             related_name="+", verbose_name=_("case"))
    document = models.ForeignKey("applications.Document", null=True, blank=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+", verbose_name=_("document"))
    #: What was read: {"fields": [codes], "materials": [codes]} (and "page" for the admin).
    what = models.JSONField(default=dict, blank=True, verbose_name=_("what"))
    interface = models.CharField(max_length=12, choices=AccessInterface.choices, verbose_name=_("interface"))
    purpose = models.CharField(max_length=12, choices=AccessPurpose.choices, verbose_name=_("purpose"))
    #: The administrator's support ticket and the reason they typed (purpose ``support``).
    reason = models.CharField(max_length=300, blank=True, verbose_name=_("reason"))
    seq = models.BigIntegerField(null=True, blank=True, unique=True, verbose_name=_("chain position"))
    digest = models.CharField(max_length=64, blank=True, verbose_name=_("chain digest"))

    append_only_message = "Access records are append-only."

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["person", "-at"], name="access_person_at"),
            models.Index(fields=["organisation", "-at"], name="access_org_at"),
            models.Index(fields=["reader", "at"], name="access_reader_at"),
            models.Index(fields=["at"], name="access_at"),
            # The supervisors' and auditors' search (access_oversight.py) filters by office and purpose.
            models.Index(fields=["office", "-at"], name="access_office_at"),
            models.Index(fields=["purpose", "-at"], name="access_purpose_at"),
            models.Index(fields=["id"], name="access_unsealed", condition=Q(seq__isnull=True)),
        ]
        constraints = [models.CheckConstraint(condition=Q(person__isnull=False) | Q(organisation__isnull=False),
                                              name="access_record_has_subject")]
        verbose_name = _("access record")
        verbose_name_plural = _("access records")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.interface} {self.purpose}"


class AccessAlertKind(models.TextChoices):
    MANY_CITIZENS = "many_citizens", _("Read many people's data in one day")
    OUTSIDE_CASES = "outside_cases", _("Read cases they do not hold")


class AccessAlert(models.Model):
    """Unusual reading by one member of staff on one local day (``access_oversight.scan``): more
    distinct people or organisations than ``GOVFLOW_ACCESS_ALERT_DISTINCT_CITIZENS``, or reads of
    cases of their office they do not hold. One row per reader, day and kind (a re-run finds it and
    tells no one again); its office's supervisors were notified when it was written."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("reader"))
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=16, choices=AccessAlertKind.choices)
    #: The office the reader read through most that day (whose supervisors were told); none for
    #: someone without an office.
    office = models.ForeignKey("catalog.Office", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("office"))
    count = models.PositiveIntegerField(_("count"), help_text=_("Distinct people read, or reads outside their cases."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["reader", "day", "kind"], name="access_alert_once")]
        indexes = [models.Index(fields=["office", "-day"], name="access_alert_office_day")]
        verbose_name = _("access alert")
        verbose_name_plural = _("access alerts")

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.reader_id}"


class AccessLogAnchor(AppendOnly):
    """Where the access records' chain continues after a retention purge: the position and digest
    of the last purged row (``verify_access_log`` starts from the newest anchor). Append-only."""

    seq = models.BigIntegerField(unique=True, verbose_name=_("last purged position"))
    digest = models.CharField(max_length=64, verbose_name=_("its digest"))
    purged = models.PositiveIntegerField(verbose_name=_("records purged"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))

    append_only_message = "Access log anchors are append-only."

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("access log purge")
        verbose_name_plural = _("access log purges")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} up to {self.seq}"


# -- proactive services (免申即享): applications/proactive.py, docs/proactive.md ----------------

class OfferState(models.TextChoices):
    OFFERED = "offered", _("Waiting for the applicant")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


class OfferMode(models.TextChoices):
    OFFER = "offer", _("Offered: the applicant confirms")
    GRANT = "grant", _("Granted: decided automatically")


class Offer(models.Model):
    """A one thing the state started for a party because of an event (免申即享), before anyone asked.

    One row per (one thing, event, party): the unique constraints make a trigger idempotent on the
    event's id, also under concurrent events. ``mode`` offer: ``application`` is a pre-filled draft
    (``origin=offer``) that waits for the applicant to confirm or decline; mode grant: the
    application was submitted at once (``origin=grant``) and its automatic checkers decide it, so
    the row is ``accepted`` from the start."""

    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.PROTECT, related_name="offers",
                                  verbose_name=_("one thing"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="offers", verbose_name=_("applicant (person)"))
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="offers", verbose_name=_("applicant (organisation)"))
    mode = models.CharField(_("mode"), max_length=8, choices=OfferMode.choices)
    event_source = models.CharField(_("event source"), max_length=80,
                                    help_text=_("The trigger's event: output:<code>, completed:<one thing> "
                                                "or import:<name>."))
    event_id = models.CharField(_("event id"), max_length=100)
    event_data = models.JSONField(_("event data"), default=dict, blank=True)
    answers = models.JSONField(_("pre-filled answers"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=OfferState.choices, default=OfferState.OFFERED)
    application = models.OneToOneField(Application, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="offer", verbose_name=_("application"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # An offer waits until then (the trigger's expires_days, else GOVFLOW_OFFER_EXPIRES_DAYS); a grant
    # decided at once never expires (null). The beat job ``offer_expiry.sweep`` marks it expired.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True,
                            help_text=_("Why a grant waits as an offer instead (e.g. the refusal list)."))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(applicant__isnull=False, organisation__isnull=True)
                                   | Q(applicant__isnull=True, organisation__isnull=False), name="offer_one_party"),
            models.UniqueConstraint(fields=["one_thing", "event_source", "event_id", "applicant"],
                                    condition=Q(organisation__isnull=True), name="uniq_offer_person_event"),
            models.UniqueConstraint(fields=["one_thing", "event_source", "event_id", "organisation"],
                                    condition=Q(organisation__isnull=False), name="uniq_offer_organisation_event"),
        ]
        indexes = [models.Index(fields=["applicant", "state"], name="offer_applicant_state"),
                   models.Index(fields=["organisation", "state"], name="offer_organisation_state",
                                condition=Q(organisation__isnull=False)),
                   models.Index(fields=["expires_at"], name="offer_open_expiry",
                                condition=Q(state="offered", expires_at__isnull=False))]
        verbose_name = _("proactive offer")
        verbose_name_plural = _("proactive offers")

    def __str__(self) -> str:
        return f"{self.one_thing_id} {self.event_source}#{self.event_id} ({self.state})"

    @property
    def current_state(self) -> str:
        """The state as the applicant sees it now: an offer past its expiry is expired even before
        the beat job has marked it."""
        if self.state == OfferState.OFFERED and self.expires_at is not None and self.expires_at <= timezone.now():
            return OfferState.EXPIRED
        return self.state

# -- the citizen's rights (issue 20): download my data, retention (export.py, retention.py) --------


class DataExportStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


def data_export_upload_to(instance: DataExport, filename: str) -> str:
    # Random names, like the documents: nothing about the person reaches the disk.
    return f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.zip"


class DataExport(models.Model):
    """A citizen's request to download all their data (applications/export.py): built in the
    background into one ZIP (``data.json`` and their files) in private storage, downloadable by
    them alone until ``expires_at`` (a day after it is ready); then the file is deleted and the
    row stays, ``expired``, as the record that it was asked for, made and downloaded."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports",
                             verbose_name=_("person"))
    token = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("token"))
    status = models.CharField(_("status"), max_length=10, choices=DataExportStatus.choices,
                              default=DataExportStatus.PENDING)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("last downloaded at"), null=True, blank=True)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    file = models.FileField(upload_to=data_export_upload_to, max_length=200, blank=True, verbose_name=_("file"))
    size = models.PositiveBigIntegerField(_("size"), default=0)
    #: What the archive holds (counts of applications, documents, files, access records).
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["user", "-requested_at"], name="export_user_recent"),
                   models.Index(fields=["expires_at"], name="export_ready_expiry", condition=Q(status="ready"))]
        constraints = [models.UniqueConstraint(fields=["user"], condition=Q(status="pending"),
                                               name="uniq_export_pending_per_user")]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self) -> str:
        return f"{self.user_id} {self.requested_at:%Y-%m-%d %H:%M} ({self.status})"


class PurgeReason(models.TextChoices):
    DRAFT_UNTOUCHED = "draft_untouched", _("A draft left untouched")
    RETENTION_ENDED = "retention_ended", _("The retention period ended")


class PurgeRecord(AppendOnly):
    """That something was deleted under a retention rule (applications/retention.py): what (ids
    and counts only, no personal data), when and why. Append-only."""

    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))
    reason = models.CharField(max_length=20, choices=PurgeReason.choices, verbose_name=_("reason"))
    #: A plain reference: a purged draft's row is gone.
    application_id_ref = models.BigIntegerField(verbose_name=_("application id"))
    application_number = models.CharField(max_length=32, blank=True, verbose_name=_("application number"))
    one_thing_code = models.CharField(max_length=64, blank=True, verbose_name=_("one thing"))
    documents = models.PositiveIntegerField(default=0, verbose_name=_("documents"))
    files = models.PositiveIntegerField(default=0, verbose_name=_("files deleted"))
    #: Ids and codes of what went: {"documents": [ids], "materials": [codes]}.
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("detail"))

    append_only_message = "Purge records are append-only."

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["application_id_ref"], name="purge_application")]
        verbose_name = _("purge record")
        verbose_name_plural = _("purge records")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.reason} #{self.application_id_ref}"
