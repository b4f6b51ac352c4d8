"""Forms of a procedure and of the outputs it issues."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from govflow.catalog.checkers import known_checker, registered_checkers
from govflow.catalog.fieldtypes import FIELD_TYPES, OUTPUT_TYPES
from govflow.catalog.models import (
    DeferralClock,
    DeferralOnMissed,
    Output,
    Procedure,
    localized,
)
from govflow.catalog.physical import physical_results_errors
from govflow.catalog.triggers import stored_trigger_errors

from .inputs import (
    DAYS_VALIDATORS,
    BilingualField,
    BilingualFormMixin,
    CodeMixin,
    OrderedMultipleChoiceField,
    PatternMixin,
    check_example,
)


def _physical_results_help_now() -> SafeString:
    # The example is the format itself, not words of the page: it is shown as code.
    return format_html("{} <code>{}</code>", _("What the procedure issues physically and how it may reach the applicant:"),
                       '[{"code": "seal", "label": {"en": "...", "zh-hans": "..."}, "methods": ["pickup", "post"]}]')


_physical_results_help = lazy(_physical_results_help_now, SafeString)

# -- procedures --------------------------------------------------------------------------------


def _output_choices(exclude_procedure: Procedure | None) -> list[tuple[str, str]]:
    outputs = Output.objects.select_related("procedure").order_by("procedure__code", "position", "id")
    if exclude_procedure is not None and exclude_procedure.pk:
        outputs = outputs.exclude(procedure=exclude_procedure)
    return [(o.code, f"{o.code} — {localized(o.label)} ({o.procedure.code})") for o in outputs]


def _automatic_choices(current: str) -> list[tuple[str, str]]:
    names = registered_checkers()
    if current and current not in names:
        names = [*names, current]
    return [("", _("— none: clerks decide —")), *((n, n) for n in names)]


class ProcedureForm(CodeMixin, BilingualFormMixin, forms.ModelForm):
    name = BilingualField(label=_("Name"), max_length=500)
    description = BilingualField(label=_("Description"), required=False, textarea=True, max_length=5000)
    legal_basis = BilingualField(label=_("Legal basis"), required=False, textarea=True, max_length=5000,
                                 help_text=_("The laws and regulations it rests on; shown in the service guide."))
    fees = BilingualField(label=_("Fees"), required=False, textarea=True, max_length=2000,
                          help_text=_("What it costs, e.g. “Free of charge.”; shown in the service guide."))
    needs_outputs = OrderedMultipleChoiceField(
        label=_("Needs outputs"),
        help_text=_("Results of other procedures this one needs (e.g. the licence number). Within a one thing, "
                    "this procedure's step must come after the procedure that issues them."))
    automatic = forms.ChoiceField(label=_("Automatic checker"), required=False, help_text=Procedure._meta.get_field(
        "automatic").help_text)
    reconsideration_body = BilingualField(
        label=_("Administrative reconsideration: where"), required=False, max_length=500,
        help_text=Procedure._meta.get_field("reconsideration_body").help_text)
    litigation_court = BilingualField(
        label=_("Administrative litigation: court"), required=False, max_length=500,
        help_text=Procedure._meta.get_field("litigation_court").help_text)
    # Empty: the law's default (older forms and scripts that do not post these still save).
    reconsideration_days = forms.IntegerField(
        label=Procedure._meta.get_field("reconsideration_days").verbose_name, required=False, min_value=1,
        max_value=365, initial=60, help_text=Procedure._meta.get_field("reconsideration_days").help_text)
    litigation_months = forms.IntegerField(
        label=Procedure._meta.get_field("litigation_months").verbose_name, required=False, min_value=1,
        max_value=24, initial=6, help_text=Procedure._meta.get_field("litigation_months").help_text)

    # 容缺受理: empty is the default (older forms and scripts that do not post these still save).
    deferral_on_missed = forms.ChoiceField(
        label=Procedure._meta.get_field("deferral_on_missed").verbose_name, required=False,
        choices=DeferralOnMissed.choices, initial=DeferralOnMissed.REJECT,
        help_text=Procedure._meta.get_field("deferral_on_missed").help_text)
    deferral_clock = forms.ChoiceField(
        label=Procedure._meta.get_field("deferral_clock").verbose_name, required=False,
        choices=DeferralClock.choices, initial=DeferralClock.RUNNING,
        help_text=Procedure._meta.get_field("deferral_clock").help_text)

    def clean_deferral_on_missed(self) -> str:
        return self.cleaned_data.get("deferral_on_missed") or DeferralOnMissed.REJECT

    def clean_deferral_clock(self) -> str:
        return self.cleaned_data.get("deferral_clock") or DeferralClock.RUNNING

    def clean_reconsideration_days(self) -> int:
        value = self.cleaned_data.get("reconsideration_days")
        return 60 if value is None else value

    def clean_litigation_months(self) -> int:
        value = self.cleaned_data.get("litigation_months")
        return 6 if value is None else value

    class Meta:
        model = Procedure
        fields = ("code", "department", "name", "description", "legal_basis", "fees", "statutory_days",
                  "committed_days", "level", "needs_outputs", "automatic", "physical_results",
                  "reconsideration_body", "reconsideration_days", "litigation_court", "litigation_months",
                  "deferral_conditional_approval", "deferral_on_missed", "deferral_clock", "retention_years",
                  "triggers")
        help_texts = {"physical_results": _physical_results_help()}
        widgets = {"triggers": forms.Textarea(attrs={"rows": 4, "cols": 80, "spellcheck": "false"})}

    def clean_triggers(self) -> list:
        """Proactive services of the procedure alone (docs/proactive.md): every problem at once;
        ``grant`` needs the checker chosen on this form."""
        value = self.cleaned_data.get("triggers") or []
        automatic = self.cleaned_data.get("automatic", self.instance.automatic) or ""
        problems = stored_trigger_errors(value, procedure_automatic=automatic)
        if problems:
            raise ValidationError([ValidationError(p, code="trigger") for p in problems])
        return value

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "needs_outputs" in self.fields:  # every field is absent when the form is shown read-only
            instance = self.instance if self.instance.pk else None
            self.fields["needs_outputs"].offer(_output_choices(instance), self.instance.needs_outputs, _("outputs"))
        if "automatic" in self.fields:
            self.fields["automatic"].choices = _automatic_choices(self.instance.automatic or "")
        for name in ("statutory_days", "committed_days"):
            if name in self.fields:
                self.fields[name].validators += DAYS_VALIDATORS
        if departments is not None and "department" in self.fields:
            self.fields["department"].queryset = departments

    def clean_physical_results(self) -> list:
        """Empty is none (never a JSON null); the shape is the catalog format's rule."""
        value = self.cleaned_data.get("physical_results")
        if value in (None, ""):
            return []
        problems = physical_results_errors(value)
        if problems:
            raise ValidationError(problems, code="physical_results")
        return value

    def clean_automatic(self) -> str:
        name = self.cleaned_data.get("automatic") or ""
        if name and not known_checker(name):
            raise ValidationError(_("No automatic checker is registered under this name."), code="checker")
        return name

    def clean_needs_outputs(self) -> list[str]:
        codes = self.cleaned_data.get("needs_outputs") or []
        if self.instance.pk:
            own = set(Output.objects.filter(procedure=self.instance, code__in=codes).values_list("code", flat=True))
            if own:
                raise ValidationError(_("A procedure cannot need its own output: %(codes)s."),
                                      params={"codes": ", ".join(sorted(own))}, code="own_output")
        return codes


class OutputForm(CodeMixin, PatternMixin, BilingualFormMixin, forms.ModelForm):
    label = BilingualField(label=_("Label"), max_length=500)
    type = forms.ChoiceField(label=_("Type"), initial="string",
                             choices=[(code, FIELD_TYPES[code].label) for code in OUTPUT_TYPES])

    hint = BilingualField(label=_("Format hint"), required=False, max_length=500, help_text=_(
        "What the clerk enters, in plain words, e.g. “13 digits”; shown instead of the pattern."))

    class Meta:
        model = Output
        fields = ("code", "label", "type", "pattern", "hint", "example", "position")
        help_texts = {"pattern": _("A regular expression the clerk's entry must match, e.g. ^[0-9]{13}$."),
                      "example": _("A value the clerk could enter; it must itself be valid.")}

    def clean(self) -> dict:
        data = super().clean()
        spec = {"type": data.get("type") or "string", "pattern": data.get("pattern") or ""}
        check_example(self, data, {k: v for k, v in spec.items() if v})
        return data
