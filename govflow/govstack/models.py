"""The systems allowed to call the GovStack Registration Building Block API (docs/govstack.md).

GovStack identifies the calling system by the ``Information-Mediator-Client`` header
(``INSTANCE/CLASS/MEMBER/SUBSYSTEM``, as X-Road writes it). govflow keeps one row per such system:
which header value it sends, whether it may call now, the govflow account it acts as (a department's
back-office system) or none (a portal that relays its own users' tokens), and the departments whose
tasks it may see. It is a gate in front of govflow's own authentication, never instead of it.
"""
from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Client(models.Model):
    identifier = models.CharField(
        _("Information-Mediator-Client"), max_length=255, unique=True,
        help_text=_("The header value the system sends, e.g. eGovStack/GOV/90000009/digitalregistries."))
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("An inactive client's requests are refused (403)."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="govstack_clients",
        verbose_name=_("account"),
        help_text=_("The govflow account whose token this system sends (a department's system). Empty: a portal "
                    "that sends its own users' tokens; an account registered to another client cannot use it."))
    departments = models.ManyToManyField(
        "catalog.Department", blank=True, related_name="+", verbose_name=_("departments"),
        help_text=_("Only these departments' tasks are visible through this client; none: all the account's."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("GovStack client")
        verbose_name_plural = _("GovStack clients")
        ordering = ("identifier",)

    def __str__(self) -> str:
        return self.identifier


class AliasKind(models.TextChoices):
    SERVICE = "service", _("service")
    EFORM = "eform", _("eForm")


class Alias(models.Model):
    """Another id under which a one thing's service (or its current eForm) is found: the ids a
    client already uses, e.g. those of the registration system govflow replaces, or of the GovStack
    conformance suite's examples (docs/govstack.md, *Aliases*). Looked up only when an id is not a
    govflow id; answers always carry govflow's own ids."""

    kind = models.CharField(_("kind"), max_length=10, choices=AliasKind.choices)
    external_id = models.CharField(_("id"), max_length=100)
    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("one thing"))

    class Meta:
        verbose_name = _("GovStack id alias")
        verbose_name_plural = _("GovStack id aliases")
        constraints = [models.UniqueConstraint(fields=["kind", "external_id"], name="uniq_govstack_alias")]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a client used for one account on one method and path (docs/govstack.md,
    *Idempotency-Key*; the mechanism is ``govflow.idempotency``). Inserted and committed before the
    view runs, so a concurrent duplicate sees it: ``completed_at`` empty means the first request is
    still running; once completed, ``status_code`` and ``response_body`` are replayed to repeats with
    the same ``request_hash``. Kept ``GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS``; a failed request deletes its row."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("GovStack client"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("account"))
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64,
                                    help_text=_("SHA-256 of the canonical request body"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("GovStack idempotency key")
        verbose_name_plural = _("GovStack idempotency keys")
        constraints = [models.UniqueConstraint(fields=["client", "user", "key", "method", "path"],
                                               name="uniq_govstack_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
