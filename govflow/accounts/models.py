"""Users (citizens and staff) and department memberships."""
from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.catalog.fieldtypes import FIELD_TYPES
from govflow.records import AppendOnly


class IdentityCheck(models.TextChoices):
    """Who checked that the name and id number of an account are the person's own (real-name
    verification). Self-registration checks nothing: the account stays ``NONE`` until one of these."""

    NONE = "", _("Not verified")
    PROVIDER = "provider", _("The unified identity service")
    COUNTER = "counter", _("A service-hall counter (ID card shown)")


class User(AbstractUser):
    """A person. Citizens carry a real-name profile; clerks have department memberships."""

    name = models.CharField(_("real name"), max_length=100, blank=True)
    id_number = models.CharField(_("resident ID number"), max_length=18, unique=True, null=True, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    # A profile a service-hall counter created for a walk-in person (or for the subject of an
    # authorisation) from what they showed: nobody signs in with it until the person claims it.
    profile_only = models.BooleanField(_("unverified profile"), default=False)
    language = models.CharField(_("preferred language"), max_length=10, default="zh-hans")
    # Set by accounts.identity (a sign-in through the unified identity provider) and by the counter
    # (a walk-in person's ID card checked); never by self-registration or by the person.
    identity_checked_by = models.CharField(_("identity checked by"), max_length=10, blank=True,
                                           choices=IdentityCheck.choices, default=IdentityCheck.NONE)
    identity_checked_at = models.DateTimeField(_("identity checked at"), null=True, blank=True)
    residence = models.ForeignKey("catalog.Division", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("residence"),
                                  help_text=_("Where the person lives: their applications start there."))
    catalog_division = models.ForeignKey(
        "catalog.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("catalog division"),
        help_text=_("For a catalog editor: they add, change and publish only the one things of this division "
                    "and below it, and see the others read-only. Empty: the whole catalog, as their "
                    "permissions allow. Superusers and whoever may change departments are never limited."))
    # Channels the person wants notifications on (their profile); a channel is used only when the
    # address for it (email, phone) is known.
    notify_by_email = models.BooleanField(_("notify me by email"), default=True)
    notify_by_sms = models.BooleanField(_("notify me by SMS"), default=True)
    # Staff: the number a department may show citizens instead of the name (access records).
    staff_number = models.CharField(_("staff number"), max_length=30, blank=True)

    class Meta:
        # One account per username whatever its case: "Alice" and "alice" are one person to a clerk.
        # The database settles two simultaneous registrations; the forms report it before that.
        constraints = [models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique",
                                               violation_error_message=_("This username is taken. Choose another."))]
        # The access records' search finds a reader by staff number (applications/access_oversight.py).
        indexes = [models.Index(fields=["staff_number"], name="user_staff_number", condition=~Q(staff_number=""))]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def profile_answers(self) -> dict:
        """Answers known from the profile, used to pre-fill forms (once-only)."""
        return {k: v for k, v in {"name": self.name, "id_number": self.id_number,
                                  "phone": self.phone, "email": self.email}.items() if v}


def mask_id_number(value: str | None) -> str:
    """PIPL: show only the first 3 and last 4 characters of an id number (the field type's masking)."""
    return FIELD_TYPES["id_number"].mask(value)


def mask_phone(value: str | None) -> str:
    """PIPL: 138****0000 (the phone field type's masking), wherever a list or a log shows one."""
    return FIELD_TYPES["phone"].mask(value) if value else ""


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    SUPERVISOR = "supervisor", _("Supervisor")
    # A service-hall counter clerk (一窗受理): takes applications for walk-in people and companies
    # at the office's counter; handles no cases.
    COUNTER = "counter", _("Counter clerk")


#: The roles that work an office's cases (queues, claims, the board's clerks).
HANDLING_ROLES = (Role.CLERK, Role.SUPERVISOR)


class Membership(models.Model):
    """A user's role in an office (a department at one division).

    ``department`` is the office's department, copied on save: department-wide reads (the
    designer's scope, statistics by department) need no join through offices."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    office = models.ForeignKey("catalog.Office", on_delete=models.CASCADE, related_name="memberships",
                               verbose_name=_("office"))
    department = models.ForeignKey("catalog.Department", on_delete=models.CASCADE, related_name="memberships",
                                   editable=False, verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CLERK)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "office"], name="uniq_membership_office")]
        verbose_name = _("office membership")
        verbose_name_plural = _("office memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.office.code} ({self.get_role_display()})"

    def save(self, *args, **kwargs):
        self.department_id = self.office.department_id
        super().save(*args, **kwargs)


class PasswordResetCode(models.Model):
    """A short numeric code sent by SMS to reset a forgotten password.

    Only an HMAC of the code is stored (keyed with ``SECRET_KEY`` and a per-code salt). A code is
    single use (``used_at``), expires at ``expires_at`` and dies after
    ``GOVFLOW_PASSWORD_RESET_CODE_ATTEMPTS`` wrong tries; a new code replaces the person's older ones.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    salt = models.CharField(max_length=32, verbose_name=_("salt"))
    code_hash = models.CharField(max_length=64, verbose_name=_("code hash"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    expires_at = models.DateTimeField( verbose_name=_("expires at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"], name="reset_code_user_live",
                                condition=models.Q(used_at__isnull=True))]
        verbose_name = _("password reset code")
        verbose_name_plural = _("password reset codes")

    def __str__(self) -> str:
        return f"reset code #{self.pk} for {self.user_id}"


class RateCounter(models.Model):
    """Attempts of one client in one fixed window (``limits.py``), shared by every process.

    The key names the scope, a digest of the client and the window's start; the row is
    incremented with ``UPDATE … SET count = count + 1`` so simultaneous attempts in several
    processes each see their own number. Rows past ``expires_at`` are deleted as new ones come.
    """

    key = models.CharField(max_length=120, primary_key=True, verbose_name=_("key"))
    count = models.PositiveIntegerField(default=0, verbose_name=_("count"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class IdentityLink(models.Model):
    """A person's account at an OpenID Connect provider (统一身份认证): the provider's ``issuer`` and
    its ``subject`` (the ``sub`` claim, stable per person at that provider). A later sign-in finds
    the account by this pair, whatever the provider says about names or phone numbers then.
    Made by ``accounts.identity`` on the first sign-in through the provider."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_links", verbose_name=_("user"))
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(_("linked at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last sign-in"), default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="uniq_identity_link")]
        verbose_name = _("identity provider link")
        verbose_name_plural = _("identity provider links")

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject} -> {self.user_id}"


class SecurityEventKind(models.TextChoices):
    """What a security event records (``security.record``)."""

    LOGIN_SUCCEEDED = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOCKED_OUT = "locked_out", _("Locked out")
    LOGOUT = "logout", _("Signed out")
    SECOND_FACTOR_SUCCEEDED = "otp", _("Second factor accepted")
    SECOND_FACTOR_FAILED = "otp_failed", _("Second factor refused")
    FACTOR_ENROLLED = "otp_enrolled", _("Second factor enrolled")
    FACTOR_REMOVED = "otp_removed", _("Second factor turned off by its owner")
    FACTOR_RESET = "otp_reset", _("Second factor reset by an administrator")
    RECOVERY_CODE_USED = "recovery_used", _("Recovery code used")
    RECOVERY_CODES_REGENERATED = "recovery_new", _("Recovery codes regenerated")
    PERMISSION_CHANGED = "permission", _("Permissions changed")
    TOKEN_ISSUED = "token", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    PASSWORD_CHANGED = "password", _("Password changed")


class SecurityEvent(AppendOnly):
    """One security-relevant event (issue 20): sign-ins and their failures, lockouts, second
    factors, permission changes, API tokens, passwords. Written by ``security.record`` only;
    administrators search it in the admin, nobody changes or deletes a row."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SecurityEventKind.choices)
    # No database constraint and nothing done on delete: an account may be deleted, its events stay
    # as they were (with the username); a deleted account shows as empty.
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                             related_name="+", verbose_name=_("user"))
    username = models.CharField(_("username tried"), max_length=150, blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+", verbose_name=_("by"))
    address = models.CharField(_("client address"), max_length=45, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    append_only_message = "Security events are append-only."

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "-at"], name="security_event_kind_at"),
                   models.Index(fields=["username"], name="security_event_username"),
                   models.Index(fields=["address"], name="security_event_address")]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"
