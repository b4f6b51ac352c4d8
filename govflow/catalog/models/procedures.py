"""The catalog proper: shared field/material dictionaries, procedures, one things and their steps.

The live rows are what administrators edit: the draft. Publishing snapshots a one thing with
everything it references into an immutable ``OneThingVersion`` (a self-contained
``govflow.catalog/1`` document); applications point at a version and are interpreted from that
snapshot only.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..commitments import commitment_errors
from ..fieldtypes import FIELD_TYPES
from ..labels import localized
from ..physical import physical_results_errors
from .organisation import Department, Division, DivisionLevel

#: The field types of the registry (:mod:`govflow.catalog.fieldtypes`), as model choices.
FieldType = models.TextChoices("FieldType", [(code.upper(), (code, kind.label)) for code, kind in FIELD_TYPES.items()])


class Field(models.Model):
    """A form field defined once and shared by every procedure that needs it."""

    code = models.SlugField(_("code"), max_length=64, unique=True, allow_unicode=False)
    label = models.JSONField(_("label"), default=dict)
    type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    pattern = models.CharField(_("pattern"), max_length=500, blank=True)
    # JSON numbers, kept exactly as written in the definition (round trip through export).
    minimum = models.JSONField(_("minimum"), null=True, blank=True)
    maximum = models.JSONField(_("maximum"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True,
                               help_text=_('[{"value": "...", "label": {"en": "..."}}]'))
    help = models.JSONField(_("help text"), default=dict, blank=True)
    hint = models.JSONField(_("format hint"), default=dict, blank=True)
    example = models.CharField(_("example"), max_length=500, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return f"{self.code} · {localized(self.label)}"


class Material(models.Model):
    """A document defined once and shared (one set of materials)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    label = models.JSONField(_("label"), default=dict)
    accepted_types = models.JSONField(_("accepted types"), default=list,
                                      help_text=_('e.g. ["pdf", "png", "jpeg"]'))
    max_size_mb = models.PositiveIntegerField(_("maximum size (MB)"), default=10)
    sample = models.JSONField(_("sample"), default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return f"{self.code} · {localized(self.label)}"


class DeliveryMethod(models.TextChoices):
    """How a citizen may receive something a procedure issues physically (a seal, a card, a paper
    licence): picked up at an office (a service hall) or posted to an address."""

    PICKUP = "pickup", _("Pick up at a service hall")
    POST = "post", _("Post to an address")


def validate_commitment(value: object) -> None:
    """The shape of ``ProcedureMaterial.commitment`` (the catalog format's rule, for the admin);
    every problem at once."""
    problems = commitment_errors(value)
    if problems:
        raise ValidationError([ValidationError(p, code="commitment") for p in problems])


def validate_physical_results(value: object) -> None:
    """The shape of ``Procedure.physical_results`` (the catalog format's rule, for the admin)."""
    problems = physical_results_errors(value)
    if problems:
        raise ValidationError("; ".join(problems), code="physical_results")


class DeferralOnMissed(models.TextChoices):
    """What follows a deferred material's missed deadline (容缺受理)."""

    REJECT = "reject", _("Reject the case")
    REVOKE = "revoke", _("Revoke the conditional approval")


class DeferralClock(models.TextChoices):
    """Whether a case's SLA clock runs while a deferred material is missing."""

    PAUSED = "paused", _("Paused")
    RUNNING = "running", _("Running")


class Procedure(models.Model):
    """One department's administrative matter (事项)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="procedures",
                                   verbose_name=_("department"))
    name = models.JSONField(_("name"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    statutory_days = models.PositiveIntegerField(_("statutory days"))
    committed_days = models.PositiveIntegerField(_("committed days"))
    legal_basis = models.JSONField(_("legal basis"), default=dict, blank=True)
    fees = models.JSONField(_("fees"), default=dict, blank=True)
    needs_outputs = models.JSONField(_("needs outputs"), default=list, blank=True,
                                     help_text=_("Codes of outputs of other procedures this one needs."))
    level = models.CharField(_("level"), max_length=10, choices=DivisionLevel.choices, default=DivisionLevel.COUNTY,
                             help_text=_("The level whose office handles this procedure for an application's division."))
    automatic = models.CharField(
        _("automatic checker"), max_length=200, blank=True,
        help_text=_("Dotted name of a registered checker (govflow.catalog.checkers) that decides "
                    "this procedure's cases on a worker; empty: clerks decide."))
    physical_results = models.JSONField(
        _("physical results"), default=list, blank=True, validators=[validate_physical_results],
        help_text=_('What the procedure issues physically and how it may reach the applicant: '
                    '[{"code": "seal", "label": {"en": "...", "zh-hans": "..."}, "methods": ["pickup", "post"]}]'))
    # The remedies a refusal names (行政复议 / 行政诉讼): where and within how long, counted from the
    # decision. A refused applicant reads them with the reason (docs/catalog.md, "remedy").
    reconsideration_body = models.JSONField(
        _("administrative reconsideration: body"), default=dict, blank=True,
        help_text=_("Where to apply for administrative reconsideration of a refusal, in each language."))
    reconsideration_days = models.PositiveSmallIntegerField(
        _("administrative reconsideration: days"), default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Within how many days of the decision (the law's default: 60)."))
    litigation_court = models.JSONField(
        _("administrative litigation: court"), default=dict, blank=True,
        help_text=_("The people's court where an administrative lawsuit is brought, in each language."))
    litigation_months = models.PositiveSmallIntegerField(
        _("administrative litigation: months"), default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("Within how many months of the decision (the law's default: 6)."))
    # 容缺受理: what follows when a material is deferred (docs/catalog.md, "deferral").
    deferral_conditional_approval = models.BooleanField(
        _("deferral: conditional approval"), default=False,
        help_text=_("A clerk may approve conditionally while a deferred material is still missing; "
                    "otherwise the decision waits for it."))
    deferral_on_missed = models.CharField(
        _("deferral: on a missed deadline"), max_length=10, choices=DeferralOnMissed.choices,
        default=DeferralOnMissed.REJECT,
        help_text=_("What follows when a deferred material is not handed in by its due date."))
    deferral_clock = models.CharField(
        _("deferral: SLA clock"), max_length=10, choices=DeferralClock.choices, default=DeferralClock.RUNNING,
        help_text=_("Whether the case's time limit pauses while a deferred material is missing."))
    # Retention (docs/catalog.md, "retention"; applications/retention.py): how long the materials
    # of a decided case are kept, in calendar years from the decision. Empty: for ever.
    retention_years = models.PositiveSmallIntegerField(
        _("retention: years"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How many years after its decision the materials this procedure uses are kept; then their "
                    "files are deleted (a material several procedures use: the longest). Empty: kept for ever."))

    # -- proactive services (免申即享) of the procedure alone: see govflow.catalog.triggers --
    triggers = models.JSONField(
        _("triggers"), default=list, blank=True,
        help_text=_('Events that offer or grant this procedure without an application, through each published '
                    'one thing made of this procedure alone: [{"on": "output:citizen_id", "when": "CEL", '
                    '"mode": "offer" or "grant", "expires_days": 30}]. Live: a change applies at once.'))

    class Meta:
        ordering = ["code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return f"{self.code} · {localized(self.name)}"

    def clean(self) -> None:
        errors = {}
        if self.committed_days is not None and self.statutory_days is not None \
                and self.committed_days > self.statutory_days:
            errors["committed_days"] = _("Committed days cannot exceed statutory days.")
        if self.deferral_on_missed == DeferralOnMissed.REVOKE and not self.deferral_conditional_approval:
            errors["deferral_on_missed"] = _("Only a conditional approval can be revoked: allow conditional "
                                             "approval, or reject on a missed deadline.")
        if errors:
            raise ValidationError(errors)


class ProcedureField(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="procedure_fields",
                                  verbose_name=_("procedure"))
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="+", verbose_name=_("field"))
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("procedure field")
        verbose_name_plural = _("procedure fields")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["procedure", "field"], name="uniq_procedure_field")]

    def __str__(self) -> str:
        return f"{self.procedure_id}: {self.field_id}"


class ProcedureMaterial(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="procedure_materials",
                                  verbose_name=_("procedure"))
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+", verbose_name=_("material"))
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    # 容缺受理: may be handed in within this many working days after the submission (empty: not deferrable).
    deferrable_days = models.PositiveSmallIntegerField(
        _("deferrable: working days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("The applicant may submit without this required material and hand it in within "
                    "this many working days. Empty: it must be there at submission."))
    # 告知承诺制: a signed commitment may replace this material (govflow/catalog/commitments.py).
    commitment = models.JSONField(
        _("commitment instead"), default=dict, blank=True, validators=[validate_commitment],
        help_text=_("Empty: the material must be provided. Otherwise a signed commitment may replace it: the "
                    "commitment's text in both languages, the share of approvals verified afterwards, the working "
                    "days to verify, and the days a false commitment keeps the applicant on the refusal list."))

    class Meta:
        verbose_name = _("procedure material")
        verbose_name_plural = _("procedure materials")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["procedure", "material"], name="uniq_procedure_material")]

    def __str__(self) -> str:
        return f"{self.procedure_id}: {self.material_id}"

    def save(self, *args, **kwargs) -> None:
        if self.commitment is None:  # the admin's empty commitment column: none
            self.commitment = {}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.deferrable_days is not None and not self.required:
            raise ValidationError({"deferrable_days": _("Only a required material can be deferred.")})


class Output(models.Model):
    """Something a procedure issues (licence number, certificate number)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="outputs",
                                  verbose_name=_("procedure"))
    code = models.SlugField(_("code"), max_length=64, unique=True)
    label = models.JSONField(_("label"), default=dict)
    type = models.CharField(_("type"), max_length=20, default="string")
    pattern = models.CharField(_("pattern"), max_length=500, blank=True)
    hint = models.JSONField(_("format hint"), default=dict, blank=True)
    example = models.CharField(_("example"), max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("output")
        verbose_name_plural = _("outputs")

    def __str__(self) -> str:
        return self.code


class ApplicantKind(models.TextChoices):
    """Who may apply for a one thing: a person (for themselves, or an agent for them), an
    organisation (its legal representative or an authorised agent), or either."""

    PERSON = "person", _("A person")
    ORGANISATION = "organisation", _("An organisation")
    EITHER = "either", _("A person or an organisation")


class OneThing(models.Model):
    """A bundle of procedures for one life or business event (一件事): the editable draft."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.JSONField(_("name"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    committed_days = models.PositiveIntegerField(_("committed days"))
    keywords = models.JSONField(_("keywords"), default=dict, blank=True,
                                help_text='{"zh-hans": ["开公司", "注册公司"], "en": ["start a company"]}')
    guide = models.JSONField(_("guide questions"), default=list, blank=True,
                             help_text=_("Field codes asked first to decide which steps apply."))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="one_things",
                                 verbose_name=_("division"),
                                 help_text=_("Where it is offered: this division and everything below it."))
    route_by = models.CharField(_("route by field"), max_length=64, blank=True,
                                help_text=_("Code of a field of type division whose answer decides where the "
                                            "application is handled; empty: the division the applicant chose."))
    applicant = models.CharField(_("who may apply"), max_length=16, choices=ApplicantKind.choices,
                                 default=ApplicantKind.PERSON)
    is_published = models.BooleanField(_("published"), default=False,
                                       help_text=_("Unpublished one things take no new applications."))
    current_version = models.ForeignKey("OneThingVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("current version"))
    # -- proactive services (免申即享): see govflow.catalog.triggers and docs/proactive.md --
    triggers = models.JSONField(
        _("triggers"), default=list, blank=True,
        help_text=_('Events that offer or grant this one thing without an application: '
                    '[{"on": "output:citizen_id", "when": "CEL", "mode": "offer" or "grant"}]. '
                    'Live: a change applies at once, without a new version.'))

    class Meta:
        ordering = ["code"]
        verbose_name = _("one thing")
        verbose_name_plural = _("one things")

    def __str__(self) -> str:
        return f"{self.code} · {localized(self.name)}"


class Step(models.Model):
    """A procedure inside a one thing, with its prerequisites and applicability rule."""

    one_thing = models.ForeignKey(OneThing, on_delete=models.CASCADE, related_name="steps", verbose_name=_("one thing"))
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+", verbose_name=_("procedure"))
    after = models.JSONField(_("after"), default=list, blank=True,
                             help_text=_("Procedure codes that must be approved first."))
    when = models.CharField(_("when (CEL)"), max_length=1000, blank=True)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["one_thing", "procedure"], name="uniq_one_thing_step")]

    def __str__(self) -> str:
        return f"{self.one_thing_id}: {self.procedure_id}"


class OneThingVersion(models.Model):
    """An immutable published snapshot of a one thing (a ``govflow.catalog/1`` document)."""

    one_thing = models.ForeignKey(OneThing, on_delete=models.PROTECT, related_name="versions",
                                  verbose_name=_("one thing"))
    number = models.PositiveIntegerField( verbose_name=_("number"))
    definition = models.JSONField( verbose_name=_("definition"))
    digest = models.CharField(max_length=64, verbose_name=_("digest"))
    published_at = models.DateTimeField(default=timezone.now, verbose_name=_("published at"))
    published_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("published by"))

    class Meta:
        ordering = ["one_thing", "-number"]
        constraints = [models.UniqueConstraint(fields=["one_thing", "number"], name="uniq_version_number")]
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")

    def __str__(self) -> str:
        return f"{self.one_thing_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.pop("_allow_update", False):
            raise ValidationError("Published versions are immutable.")
        super().save(*args, **kwargs)
