"""Personal information: access records, their alerts and anchors (applications/access.py), a person's export of their data and the record of what retention purged."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.records import AppendOnly

from .core import Application, Case

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
