"""The transactional outbox: side effects written with the state change that causes them."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .sites import request_site_url


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Dead letter")


class OutboxKind(models.TextChoices):
    NOTIFICATION = "notification", _("Notification (email, SMS)")
    WEBHOOK = "webhook", _("Webhook to a department system")
    AUTOMATIC_CHECK = "automatic_check", _("Automatic check")
    #: An event that may trigger proactive services (免申即享): the applications domain handles it.
    PROACTIVE_EVENT = "proactive_event", _("Proactive services' event")


class OutboxMessage(models.Model):
    """A notification, webhook or automatic check to carry out at least once.

    Written in the same transaction as the state change that causes it and handed to a
    worker after commit (``dispatch.py``); the periodic sweep hands over again whatever is
    still pending later (a crashed worker, a broker outage). Its id is the ``event_id``
    department systems deduplicate on. After ``GOVFLOW_OUTBOX_MAX_ATTEMPTS`` failed attempts
    it becomes a dead letter, listed in the admin, which can send it again.
    """

    kind = models.CharField(max_length=40, choices=OutboxKind.choices, verbose_name=_("kind"))
    event = models.CharField(max_length=40, verbose_name=_("event"))  # the timeline kind (or SLA event) that caused it
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("recipient"))
    application = models.ForeignKey("applications.Application", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="+", verbose_name=_("application"))
    payload = models.JSONField(default=dict, verbose_name=_("payload"))
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING,
                              verbose_name=_("status"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    # When the row is next due: set by a failed attempt (exponential back-off) and by the sweep
    # when it hands the row over again. Empty: due since ``created_at``.
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    # A delivery in progress holds the row until then where the database has no row locks (SQLite).
    claimed_until = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed until"))
    # Channels of a notification already delivered (a retry does not send them again).
    delivered = models.JSONField(default=list, blank=True, verbose_name=_("delivered"))
    result = models.CharField(max_length=200, blank=True, help_text=_("what the last attempt did"),
                              verbose_name=_("result"))
    # The address the request that wrote the row came to (``sites.py``): its links point there
    # unless GOVFLOW_SITE_URL is set. Empty for a row written outside a request.
    site_url = models.CharField(_("site address"), max_length=200, blank=True, default=request_site_url,
                                editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["created_at"], name="outbox_pending",
                                condition=Q(status="pending"))]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event} #{self.pk} ({self.get_status_display()})"


class JobLock(models.Model):
    """One row per periodic job: whoever moves ``locked_until`` forward runs the job.

    A conditional UPDATE on this row is the lock, so it works the same on PostgreSQL and
    SQLite, needs no open transaction while the job runs, and expires by itself when the
    holder dies. Several beat processes may send the same job: exactly one runs it per period.
    """

    name = models.CharField(max_length=100, primary_key=True, verbose_name=_("name"))
    locked_until = models.DateTimeField(null=True, blank=True, verbose_name=_("locked until"))
    holder = models.CharField(max_length=200, blank=True, verbose_name=_("holder"))
    last_run_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last run at"))

    class Meta:
        verbose_name = _("periodic job lock")
        verbose_name_plural = _("periodic job locks")

    def __str__(self) -> str:
        return self.name
