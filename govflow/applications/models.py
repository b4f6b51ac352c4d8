"""Applications, cases, documents, outputs, corrections, evaluations and the timeline."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("Service-hall counter")
    API = "api", _("API")


class Application(models.Model):
    """One request for a one thing (申请), by a person or an organisation.

    Exactly one of ``applicant`` (a person applying for themselves, or the person an agent applies
    for under ``authorisation``) and ``organisation`` is set. ``submitted_by`` is the person who
    acted (the applicant, an agent, the organisation's legal representative or agent, a counter
    clerk); ``channel`` says through which door it came, and ``counter_office`` which service-hall
    counter took it."""

    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.PROTECT, related_name="applications")
    version = models.ForeignKey("catalog.OneThingVersion", on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="applications", verbose_name=_("applicant (person)"))
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="applications", verbose_name=_("applicant (organisation)"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("submitted by"))
    authorisation = models.ForeignKey("parties.Authorisation", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="applications", verbose_name=_("authorisation"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
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
                                   related_name="application")
    submit_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Fixed once at submission (engine.committed_finish): the submission day plus the one thing's
    # committed working days. Never moved afterwards, so it reads the same everywhere, reprints too.
    expected_finish = models.DateField(_("expected to finish by"), null=True, blank=True, editable=False)
    # "Apply again": the refused or withdrawn application this draft was started from
    # (services.application_apply_again); recorded on both timelines.
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 editable=False, verbose_name=_("started again from"))
    # The one-time code printed on a counter receipt (applications/counter.py): only its keyed hash
    # is kept; it lets the person follow the application and claim it once into an account.
    receipt_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    receipt_code_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)

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
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.number or f"draft #{self.pk}"

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

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

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


OPEN_CASE_STATUSES = (CaseStatus.QUEUED, CaseStatus.IN_REVIEW, CaseStatus.CORRECTION_REQUESTED)
FINAL_CASE_STATUSES = (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CANCELLED)


class Case(models.Model):
    """The part of an application routed to one procedure and its department (办件).

    ``task`` points at the open viewflow task (review or citizen correction); the
    case row doubles as the queue index, so queues never scan viewflow's task table.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="cases")
    procedure_code = models.CharField(max_length=64)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="cases")
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="cases")
    position = models.PositiveIntegerField(default=0)
    after = models.JSONField(default=list, blank=True)
    committed_days = models.PositiveIntegerField()
    status = models.CharField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.WAITING)
    task = models.ForeignKey("viewflow.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="held_cases")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="the clerk who asked for corrections")
    queued_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(default=0)
    # SLA sweep (govflow.applications.sla): when the holder was warned one working day before
    # the due date, and when the case was escalated to the department's supervisors as overdue
    # (cleared again if a resubmission moves the due date past today).
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    outputs = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    corrections = models.JSONField(default=dict, blank=True)

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

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    material_code = models.CharField(max_length=64)
    file = models.FileField(upload_to=document_upload_to, max_length=200)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["material_code", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "material_code"], name="uniq_document_material")]

    def __str__(self) -> str:
        return f"{self.material_code}: {self.filename}"


class IssuedOutput(models.Model):
    """An output a case issued; it feeds later cases and the citizen's wallet."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="issued_outputs")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="issued_outputs")
    # The person or the organisation that holds it (the application's applicant).
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="wallet")
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="wallet")
    code = models.CharField(max_length=64)
    value = models.CharField(max_length=500)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["holder", "code"], name="output_holder_code"),
                   models.Index(fields=["organisation", "code"], name="output_organisation_code",
                                condition=Q(organisation__isnull=False))]

    def __str__(self) -> str:
        return f"{self.code}={self.value}"


class CorrectionRequest(models.Model):
    """A clerk's field-level correction request (补正, 一次性告知)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="correction_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=list)
    materials = models.JSONField(default=list)
    message = models.TextField()
    requested_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"correction of {self.case_id}"


class Evaluation(models.Model):
    """The citizen's 1–5 rating of a finished application (好差评)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="evaluation")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    needs_follow_up = models.BooleanField(default=False)
    follow_up_note = models.TextField(blank=True)
    followed_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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


class TimelineQuerySet(models.QuerySet):
    def update(self, **kwargs):  # pragma: no cover - guarded behaviour
        raise TypeError("Timeline entries are append-only.")

    def delete(self):
        raise TypeError("Timeline entries are append-only.")


class TimelineEntry(models.Model):
    """An append-only record of one state change (audit trail)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="timeline")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="timeline")
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Timeline entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline entries are append-only.")


class CounterLookupWhat(models.TextChoices):
    HISTORY = "history", _("Earlier applications and results")
    PREFILL = "prefill", _("Answers filled in from the profile and the wallet")


class CounterLookupQuerySet(models.QuerySet):
    def update(self, **kwargs):  # pragma: no cover - guarded behaviour
        raise TypeError("Counter lookups are append-only.")

    def delete(self):
        raise TypeError("Counter lookups are append-only.")


class CounterLookup(models.Model):
    """An append-only record of one read a service-hall counter clerk made of an identified
    person's or organisation's earlier applications, results or profile (once-only reuse)."""

    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    organisation = models.ForeignKey("parties.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    at = models.DateTimeField(default=timezone.now)
    what = models.CharField(max_length=20, choices=CounterLookupWhat.choices)
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    help_text="the application the read answers were for (prefill)")

    objects = CounterLookupQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(
            condition=Q(person__isnull=False, organisation__isnull=True)
            | Q(person__isnull=True, organisation__isnull=False), name="counter_lookup_one_party")]
        verbose_name = _("counter lookup")
        verbose_name_plural = _("counter lookups")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.what}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Counter lookups are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Counter lookups are append-only.")
