"""The organisation the catalog is served by: departments, administrative divisions, offices, and
where each one's events are sent (webhooks)."""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..labels import localized


def http_webhooks_allowed() -> bool:
    """Whether a department's webhook may be plain ``http://`` (DEBUG or GOVFLOW_ALLOW_HTTP_WEBHOOKS)."""
    return bool(settings.DEBUG or getattr(settings, "GOVFLOW_ALLOW_HTTP_WEBHOOKS", False))


def validate_webhook_url(url: str) -> None:
    """The one rule for a department's webhook URL: ``https://`` unless plain http is allowed.

    Case data and signatures are sent there, so they never cross a network in clear text in
    production. Enforced by the admin (``Department.clean``), ``manage.py department_webhook``
    and delivery (a webhook to a refused URL is dead-lettered, never sent).
    """
    if not url:
        return
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (scheme == "http" and http_webhooks_allowed()):
        return
    raise ValidationError(_("A webhook URL must start with https://."), code="insecure_webhook_url")


#: A department's webhook secret signs its callbacks (HMAC-SHA256): a short one is easy to guess.
MIN_WEBHOOK_SECRET_LENGTH = 16


def validate_webhook_secret(secret: str) -> None:
    """An empty secret (no department system) or one of at least ``MIN_WEBHOOK_SECRET_LENGTH``."""
    if secret and len(secret) < MIN_WEBHOOK_SECRET_LENGTH:
        raise ValidationError(_("A webhook secret needs at least %(n)d characters.") % {"n": MIN_WEBHOOK_SECRET_LENGTH},
                              code="short_webhook_secret")


def check_webhook(target: Department | Office) -> None:
    """Raise the webhook URL's and secret's errors of a department or an office, by field."""
    errors: dict[str, list[str]] = {}
    for field, validate in (("webhook_url", validate_webhook_url), ("webhook_secret", validate_webhook_secret)):
        try:
            validate(getattr(target, field))
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)


class Named(models.Model):
    """A row with a ``code`` and a ``{language: text}`` ``name``, shown as either."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} · {localized(self.name)}"

    @property
    def display_name(self) -> str:
        return localized(self.name) or self.code


class Department(Named):
    """A government body that owns procedures (部门)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.JSONField(_("name"), default=dict, help_text=_('{"en": "...", "zh-hans": "..."}'))
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    # Issue 20 (access records): how a citizen's "who used my information" page names this
    # department's staff who read their data.
    access_reader_shown_as = models.CharField(
        _("staff shown to citizens as"), max_length=12, default="name",
        choices=[("name", _("Their name")), ("number", _("Their staff number"))],
        help_text=_("How the citizen's page \"who used my information\" names this department's staff."))

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def clean(self) -> None:
        super().clean()
        check_webhook(self)


class DivisionLevel(models.TextChoices):
    """The administrative levels a procedure can be handled at, from the top."""

    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")


#: Top first: a level's rank is its index (a smaller rank is a higher level).
LEVEL_ORDER = (DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY)


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


class Division(Named):
    """An administrative division (行政区划) with its GB/T 2260 code: a province, city or county.

    ``path`` lists the codes from the root down to this division (``/330000/330100/330106/``), so
    "this division and everything below it" is one indexed prefix match, and its ancestors are
    read from its own row. It is kept by :func:`govflow.catalog.jurisdictions.save_division`.
    """

    code = models.CharField(_("code"), max_length=12, unique=True,
                            validators=[RegexValidator(r"^[0-9]{6,12}$", _("A division code is 6 to 12 digits."))])
    name = models.JSONField(_("name"), default=dict, help_text=_('{"en": "...", "zh-hans": "..."}'))
    level = models.CharField(_("level"), max_length=10, choices=DivisionLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("parent"))
    path = models.CharField(max_length=200, editable=False, db_index=True, verbose_name=_("path"))

    class Meta:
        ordering = ["path"]
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")

    @property
    def lineage(self) -> list[str]:
        """Codes from the root down to this division."""
        return [code for code in self.path.split("/") if code]

    def contains(self, other: Division) -> bool:
        """Whether ``other`` is this division or lies below it."""
        return other.path.startswith(self.path)


class Office(Named):
    """A department's office at one division (Xihu District Market Regulation = ``amr`` @ ``330106``).

    Cases are routed to offices; clerks and supervisors are members of offices. An office may
    register its own webhook, which then replaces its department's for its cases."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="offices",
                                   verbose_name=_("department"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="offices",
                                 verbose_name=_("division"))
    name = models.JSONField(_("name"), default=dict, help_text=_('{"en": "...", "zh-hans": "..."}'))
    address = models.JSONField(_("address"), default=dict, blank=True,
                               help_text=_("Where people go, as the service guide shows it."))
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True,
                             help_text=_("The number people call with questions, e.g. 0571-12345."))
    webhook_url = models.URLField(_("webhook URL"), blank=True,
                                  help_text=_("Empty: the department's webhook is used."))
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["department", "division"], name="uniq_office_division")]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    @property
    def webhook(self) -> tuple[str, str]:
        """(URL, secret) of the system that receives this office's events (:func:`webhook_target`)."""
        return webhook_target(self, self.department)

    def clean(self) -> None:
        super().clean()
        # Its cases, members (whose membership copies the department) and history belong to that
        # department: an office of another department is another office.
        if self.pk is not None and self.department_id is not None and \
                Office.objects.filter(pk=self.pk).exclude(department_id=self.department_id).exists():
            raise ValidationError({"department": _("An office cannot move to another department; open an office "
                                                   "of that department instead.")})
        check_webhook(self)


def webhook_target(office: Office, department: Department) -> tuple[str, str]:
    """(URL, secret) of the system that receives an office's events: the office's own webhook,
    else its department's (``department`` is passed where the caller has it loaded already)."""
    if office.webhook_url:
        return office.webhook_url, office.webhook_secret
    return department.webhook_url, department.webhook_secret


def received_by(*, department_ids: Iterable[int], office_ids: Iterable[int]) -> Q:
    """:func:`webhook_target` as a filter of cases: those whose events go to one of these systems
    (an office's own for an office with a webhook, else its department's)."""
    return ((Q(office_id__in=office_ids) & ~Q(office__webhook_url=""))
            | (Q(department_id__in=department_ids) & Q(office__webhook_url="")))
