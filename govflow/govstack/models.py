"""The systems allowed to call the GovStack Registration Building Block API (docs/govstack.md).

GovStack identifies the calling system by the ``Information-Mediator-Client`` header
(``INSTANCE/CLASS/MEMBER/SUBSYSTEM``, as X-Road writes it). govflow keeps one row per such system:
which header value it sends, whether it may call now, the govflow account it acts as (a department's
back-office system) or none (a portal that relays its own users' tokens), and the departments whose
tasks it may see. It is a gate in front of govflow's own authentication, never instead of it.
"""
from __future__ import annotations

from django.conf import settings
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
