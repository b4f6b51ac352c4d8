"""What an application gathers: documents, issued outputs, deliveries, correction requests, the rating, the timeline and the counter's look-ups."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.records import AppendOnly

from .core import Application, Case, DeliveryMethod, DeliveryState, DocumentStatus


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
            # The ratings page lists a period's low ratings, answered or not, oldest first.
            models.Index(fields=["created_at", "id"], name="evaluation_bad",
                         condition=Q(needs_follow_up=True)),
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
