"""Who applies: organisations (法人) and the people who act for them, and the authorisations
under which one person applies for another (代办)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A legal person identified by its unified social credit code (USCC, GB 32100).

    ``verified`` is set when the organisation came from a trusted source (the unified identity
    provider, an administrator); a counter clerk registering a walk-in company from what its
    representative says creates an unverified one."""

    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    legal_representative_name = models.CharField(_("legal representative"), max_length=100)
    division = models.ForeignKey("catalog.Division", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("registered address division"))
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class OrganisationRoleKind(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    AGENT = "agent", _("Authorised agent")


def live_q(prefix: str = "", *, at=None) -> Q:
    """Rows (roles, authorisations) not revoked and not expired at ``at`` (default: now)."""
    at = at or timezone.now()
    return (Q(**{f"{prefix}revoked_at__isnull": True})
            & (Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": at})))


class OrganisationRole(models.Model):
    """A person's role in an organisation: its legal representative, or an agent (经办人) the legal
    representative authorised until ``expires_at``. Revoking sets ``revoked_at``: the row stays,
    as the record of who could act when."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles",
                                     verbose_name=_("organisation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_roles",
                             verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=24, choices=OrganisationRoleKind.choices)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("granted by"))
    granted_at = models.DateTimeField(default=timezone.now, verbose_name=_("granted at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("revoked by"))

    class Meta:
        ordering = ["organisation", "role", "granted_at", "id"]
        constraints = [
            # One standing role per person and organisation; one standing legal representative.
            models.UniqueConstraint(fields=["organisation", "user"], condition=Q(revoked_at__isnull=True),
                                    name="uniq_standing_org_role"),
            models.UniqueConstraint(fields=["organisation"], name="uniq_standing_legal_rep",
                                    condition=Q(revoked_at__isnull=True, role="legal_representative")),
            # An agent's authority always ends; a legal representative's lasts until replaced.
            models.CheckConstraint(condition=Q(role="legal_representative") | Q(expires_at__isnull=False),
                                   name="org_agent_expires"),
        ]
        indexes = [models.Index(fields=["user"], name="org_role_standing", condition=Q(revoked_at__isnull=True))]
        verbose_name = _("organisation role")
        verbose_name_plural = _("organisation roles")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    def is_live(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class Relation(models.TextChoices):
    PARENT = "parent", _("Parent or guardian")
    CHILD = "child", _("Child")
    SPOUSE = "spouse", _("Spouse")
    RELATIVE = "relative", _("Other relative")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    OTHER = "other", _("Other, by power of attorney")


class AuthorisationScope(models.TextChoices):
    APPLICATION = "application", _("One application")
    ONE_THING = "one_thing", _("Every application of the one thing")


def evidence_upload_to(instance: Authorisation, filename: str) -> str:
    return f"authorisations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Authorisation(models.Model):
    """One person (``agent``) may apply for another (``subject``, 代办): for one application or
    every application of ``one_thing``, until ``expires_at`` or until revoked (by the subject, the
    agent, or staff). The evidence (a power of attorney, a birth or guardianship certificate) is
    stored with it. An application made under it names it (``Application.authorisation``)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authorisations_held",
                              verbose_name=_("agent"))
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="authorisations_given", verbose_name=_("subject"))
    relation = models.CharField(_("relation"), max_length=24, choices=Relation.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=AuthorisationScope.choices,
                             default=AuthorisationScope.APPLICATION)
    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("one thing"))
    expires_at = models.DateTimeField(_("expires at"))
    evidence = models.FileField(upload_to=evidence_upload_to, max_length=200, blank=True, verbose_name=_("evidence"))
    evidence_filename = models.CharField(max_length=255, blank=True, verbose_name=_("evidence filename"))
    evidence_content_type = models.CharField(max_length=100, blank=True, verbose_name=_("evidence content type"))
    evidence_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("evidence sha256"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("revoked by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(agent=models.F("subject")), name="authorisation_not_self")]
        indexes = [
            models.Index(fields=["agent"], name="authorisation_agent_standing", condition=Q(revoked_at__isnull=True)),
            models.Index(fields=["subject"], name="authorisation_subject", condition=Q(revoked_at__isnull=True)),
        ]
        verbose_name = _("authorisation to act for a person")
        verbose_name_plural = _("authorisations to act for a person")

    def __str__(self) -> str:
        return f"{self.agent} for {self.subject} ({self.one_thing_id})"

    def is_live(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.expires_at > at
