"""Papers and the reform's instruments: electronic certificates, the refusal list (容缺及承诺限制名单), signed commitments and their verification."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.catalog.fieldtypes import FIELD_TYPES
from govflow.catalog.identifiers import is_valid_id_number, is_valid_uscc

from ..certificate_templates import TemplateError, check_template, forget_template_codes
from .contents import Document, IssuedOutput
from .core import Application, Case

# -- papers: electronic certificates (applications/papers.py) ---------------------------------


class CertificateTemplate(models.Model):
    """How the certificate of one output looks (电子证照模板): a title and a body written in a
    restricted Django template language (:func:`govflow.applications.certificate_templates.check_template`),
    edited by administrators. A certificate freezes the text it was made from."""

    output = models.OneToOneField("catalog.Output", on_delete=models.CASCADE, related_name="certificate_template",
                                  verbose_name=_("output"))
    title = models.CharField(_("title"), max_length=100, help_text=_("Printed large at the top, e.g. 营业执照."))
    body = models.TextField(
        _("body"), max_length=4000,
        help_text=_("The certificate's text. Insert a value with {{ name }}: holder_name, output_label, "
                    "output_value, authority, issue_date, serial, one_thing, procedure, application_number. "
                    "{% if %}, {% for %} and filters work; other tags do not."))
    is_active = models.BooleanField(_("issue certificates"), default=True,
                                    help_text=_("Off: approvals of this output issue no certificate."))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("certificate template")
        verbose_name_plural = _("certificate templates")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        forget_template_codes()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        forget_template_codes()
        return result

    def clean(self) -> None:
        super().clean()
        try:
            check_template(self.title, self.body)
        except TemplateError as exc:
            raise ValidationError({exc.field: exc.messages}) from None


class CertificateSequence(models.Model):
    """Per authority (office) and year, the last serial number taken; locked while one is taken."""

    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="uniq_certificate_sequence")]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last}"


class Certificate(models.Model):
    """An electronic certificate (电子证照) of one issued output. Everything printed on it is frozen
    at issue (the template's text, the values, the rendered body), so that every download is the
    same document. ``token`` (random, 192 bits) opens its public verification page."""

    output = models.OneToOneField(IssuedOutput, on_delete=models.PROTECT, related_name="certificate",
                                  verbose_name=_("output"))
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("issuing authority"))
    serial = models.CharField(_("serial number"), max_length=80, unique=True)
    token = models.CharField(max_length=64, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=100)
    template_text = models.TextField(editable=False)
    values = models.JSONField(default=dict, editable=False)
    body = models.TextField(_("text"), editable=False)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    show_name = models.BooleanField(_("name shown on the verification page"), default=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.serial


class RefusalKind(models.TextChoices):
    PERSON = "person", _("Person (resident ID number)")
    ORGANISATION = "organisation", _("Organisation (unified social credit code)")


class RefusalSource(models.TextChoices):
    MANUAL = "manual", _("Entered by an administrator")
    COMMITMENT = "commitment", _("A commitment found false")
    IMPORT = "import", _("Imported (e.g. a credit record)")


class RefusalEntry(models.Model):
    """One applicant the reform's facilities are refused to (e.g. from a credit record).

    Someone on the list cannot submit with a material deferred (容缺受理) nor replace one by a
    commitment (告知承诺制); ``reason`` is shown to them. Entries are keyed by the identifier the
    records carry (the resident ID number or the unified social credit code), so a list imported
    from another system works before the person has an account."""

    kind = models.CharField(_("kind"), max_length=12, choices=RefusalKind.choices)
    identifier = models.CharField(_("identifier"), max_length=18, db_index=True,
                                  help_text=_("The resident ID number or the unified social credit code."))
    name = models.CharField(_("name"), max_length=200, blank=True)
    reason = models.JSONField(_("reason shown to the applicant"), default=dict,
                              help_text=_('{"en": "...", "zh-hans": "..."}'))
    source = models.CharField(_("source"), max_length=12, choices=RefusalSource.choices,
                              default=RefusalSource.MANUAL)
    # The application whose false commitment put the applicant here (source "commitment").
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("application"))
    starts_on = models.DateField(_("from"), default=timezone.localdate)
    ends_on = models.DateField(_("until"), null=True, blank=True,
                               help_text=_("The last day on the list; empty: until lifted."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"), editable=False)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("lifted by"))

    class Meta:
        verbose_name = _("refusal list entry")
        verbose_name_plural = _("refusal list")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "identifier"], name="refusal_lookup",
                                condition=Q(lifted_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.identifier}"

    def clean(self) -> None:
        self.identifier = (self.identifier or "").replace(" ", "").upper()
        kind = FIELD_TYPES["uscc" if self.kind == RefusalKind.ORGANISATION else "id_number"]
        valid = is_valid_uscc if self.kind == RefusalKind.ORGANISATION else is_valid_id_number
        if self.kind and not valid(self.identifier):
            raise ValidationError({"identifier": kind.format_message})
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day cannot come before the first.")})
        if not (self.reason or {}).get("en") and not (self.reason or {}).get("zh-hans"):
            raise ValidationError({"reason": _("Say why, in the words the applicant will read.")})


# ---------------------------------------------------------------------------------------------
# 告知承诺制: signed commitments instead of materials, and their verification after approval
# (govflow/applications/commitments.py, docs/commitments.md)


class Commitment(models.Model):
    """The applicant's signed commitment (承诺书) that replaces one material of an application.

    Its PDF is the material's :class:`Document` (``status="commitment"``); this row keeps what was
    signed, by whom and when, so that the PDF can be drawn again with the application number at
    submission and the office can verify it after approval."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="commitments",
                                    verbose_name=_("application"))
    # Uploading the material itself later deletes the document, and with it the commitment.
    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="commitment",
                                    verbose_name=_("document"))
    material_code = models.CharField(_("material code"), max_length=64)
    text = models.JSONField(_("text signed"), default=dict)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("signed by"))
    signer_name = models.CharField(_("signatory"), max_length=100)
    signer_id_number = models.CharField(_("signatory's ID number"), max_length=18, blank=True)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "material_code"],
                                               name="uniq_commitment_material")]

    def __str__(self) -> str:
        return f"{self.material_code}: {self.signer_name}"


class VerificationOutcome(models.TextChoices):
    PENDING = "pending", _("To verify")
    TRUE = "true", _("True")
    FALSE = "false", _("False")


class Verification(models.Model):
    """事后核查: an approved case's commitment drawn for verification by the case's office."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="verifications", verbose_name=_("case"))
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="verifications",
                                   verbose_name=_("commitment"))
    office = models.ForeignKey("catalog.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    material_code = models.CharField(_("material code"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_date = models.DateField(_("due by"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=VerificationOutcome.choices,
                               default=VerificationOutcome.PENDING)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("checked by"))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # Set once by the sweep when the due date passed with the verification still open.
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "commitment"], name="uniq_verification_case")]
        indexes = [
            # The office's queue: open verifications by office, soonest due first.
            models.Index(fields=["office", "due_date"], name="verification_open_queue",
                         condition=Q(outcome="pending")),
            # The sweep: open verifications past their due date not yet flagged.
            models.Index(fields=["due_date"], name="verification_overdue_sweep",
                         condition=Q(outcome="pending", overdue_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.material_code} ({self.outcome})"
