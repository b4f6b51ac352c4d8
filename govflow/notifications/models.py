"""The transactional outbox: side effects written with the state change that causes them."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead letter"


class OutboxMessage(models.Model):
    """A notification or webhook to deliver at least once; its id is the receivers' event id."""

    kind = models.CharField(max_length=40)  # "notification" or "webhook"
    event = models.CharField(max_length=40)  # the timeline kind that caused it
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    application = models.ForeignKey("applications.Application", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="+")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["created_at"], name="outbox_pending",
                                condition=Q(status="pending"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.event} #{self.pk} ({self.status})"
