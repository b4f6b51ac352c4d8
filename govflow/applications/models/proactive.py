"""Proactive services (免申即享): offers and grants (applications/proactive.py, docs/proactive.md)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import Application

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
