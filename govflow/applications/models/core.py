"""Applications and their cases: statuses, channels, origins, the application, its number sequence and the case of each procedure."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.catalog import models as _catalog_models


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
            # Statistics count the applications completed today live (the days before: the daily summary).
            models.Index(fields=["completed_at"], name="app_completed_at", condition=Q(completed_at__isnull=False)),
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
