"""What the API itself must remember: Idempotency-Key records and inbound department events."""
from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken


class IdempotencyRecord(models.Model):
    """One ``Idempotency-Key`` used by one user on one method and path (kept 24 hours).

    Inserted and committed before the view runs, so a concurrent duplicate sees it:
    ``completed_at`` empty means the first request is still running (a repeat gets 409);
    once completed, ``status_code`` and ``response_body`` are replayed to repeats with the
    same ``request_hash``. Only 2xx responses are kept; a failed request deletes its record.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(max_length=10, verbose_name=_("method"))
    path = models.CharField(max_length=255, verbose_name=_("path"))
    request_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the canonical request body"),
                                    verbose_name=_("request hash"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("status code"))
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder, verbose_name=_("response body"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key", "method", "path"],
                                               name="uniq_idempotency_key")]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class InboundEvent(models.Model):
    """An ``event_id`` a department system has used on a signed callback: never accepted twice."""

    department = models.ForeignKey("catalog.Department", on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("department"))
    event_id = models.CharField(max_length=200, verbose_name=_("event id"))
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "event_id"], name="uniq_inbound_event")]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")

    def __str__(self) -> str:
        return f"{self.department_id}:{self.event_id}"


class ApiToken(AuthToken):
    """knox's API token under a name administrators can read in their language (knox's model has no
    translatable name); the admin lists tokens through it."""

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
