"""Forms of a one thing and of its steps (the inline formset checks the steps together)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from govflow.catalog import jurisdictions
from govflow.catalog.models import (
    ApplicantKind,
    Division,
    Field,
    OneThing,
    Procedure,
    Step,
    localized,
)
from govflow.catalog.rules import RuleError, compile_rule
from govflow.catalog.steps import StepGraph
from govflow.catalog.triggers import stored_trigger_errors

from .inputs import (
    DAYS_VALIDATORS,
    BilingualField,
    BilingualFormMixin,
    CodeMixin,
    KeywordsField,
    OrderedMultipleChoiceField,
)


def _keywords_help_now() -> SafeString:
    # The two examples are words of either language, each marked with its own (lang).
    text = conditional_escape(_("The everyday words people search for (%(chinese)s, %(english)s), one per line; the "
                                "portal's search finds them in either language."))
    return mark_safe(text % {  # noqa: S308 - the sentence was escaped above, the examples are fixed markup
        "chinese": format_html('<span lang="zh-Hans">“{}”</span>', "开公司"),
        "english": format_html('<span lang="en">“{}”</span>', "start a company"),
    })


_keywords_help = lazy(_keywords_help_now, SafeString)

# -- one things --------------------------------------------------------------------------------


class OneThingForm(CodeMixin, BilingualFormMixin, forms.ModelForm):
    name = BilingualField(label=_("Name"), max_length=500)
    description = BilingualField(label=_("Description"), required=False, textarea=True, max_length=5000,
                                 help_text=_("What the citizen gets, in a sentence or two; shown in the portal."))
    keywords = KeywordsField(label=_("Keywords"), help_text=_keywords_help())
    guide = OrderedMultipleChoiceField(
        label=_("Guide questions"),
        help_text=_("Asked first, before the main form, to decide which steps apply. Pick the fields that the "
                    "steps' conditions use."))

    class Meta:
        model = OneThing
        fields = ("code", "name", "description", "keywords", "division", "route_by", "applicant", "committed_days",
                  "guide", "triggers")
        widgets = {"applicant": forms.RadioSelect,
                   "triggers": forms.Textarea(attrs={"rows": 4, "cols": 80, "spellcheck": "false"})}
        help_texts = {
            "committed_days": _("Working days the whole one thing is promised in. At least the critical path "
                                "(the longest chain of steps' committed days)."),
            "applicant": _("A person applies for themselves (or someone authorised applies for them); an "
                           "organisation applies through its legal representative or an authorised agent."),
        }

    def __init__(self, *args: Any, within: Division | None = None, **kwargs: Any) -> None:
        """``within``: the division of a catalog editor's local catalog; only it and the divisions
        below it can be chosen."""
        super().__init__(*args, **kwargs)
        if "guide" in self.fields:  # absent when the form is shown read-only
            self.fields["guide"].offer([(f.code, f"{f.code} — {localized(f.label)}")
                                        for f in Field.objects.order_by("code")], self.instance.guide, _("fields"))
        if "committed_days" in self.fields:
            self.fields["committed_days"].validators += DAYS_VALIDATORS
        if "division" in self.fields:
            default = jurisdictions.default_division() if not self.instance.pk else None
            if within is not None:
                self.fields["division"].queryset = jurisdictions.subtree(within)
                if default is not None and not within.contains(default):
                    default = within
            if default is not None:
                self.fields["division"].initial = default.pk
        if "applicant" in self.fields:
            # Radios with one always checked; a post without the field (a script, an older form)
            # keeps what the one thing has, or the model's default for a new one.
            self.fields["applicant"].required = False
        if "route_by" in self.fields:
            route_by = self.fields["route_by"] = forms.ChoiceField(
                label=self.fields["route_by"].label, help_text=self.fields["route_by"].help_text, required=False,
                choices=[("", "—"), *((f.code, f"{f.code} — {localized(f.label)}")
                                      for f in Field.objects.filter(type="division").order_by("code"))])
            if self.instance.route_by and self.instance.route_by not in dict(route_by.choices):
                route_by.choices += [(self.instance.route_by, self.instance.route_by)]


    def clean_applicant(self) -> str:
        return self.cleaned_data.get("applicant") or self.instance.applicant or ApplicantKind.PERSON

    def clean_triggers(self) -> list:
        """Proactive services (docs/proactive.md): every problem of the triggers at once."""
        value = self.cleaned_data.get("triggers") or []
        problems = stored_trigger_errors(value, one_thing=self.instance)
        if problems:
            raise ValidationError([ValidationError(p, code="trigger") for p in problems])
        return value


class StepForm(forms.ModelForm):
    after = forms.MultipleChoiceField(
        label=_("After"), required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "govflow-after"}),
        help_text=_("Steps that must be approved first."),
        error_messages={"invalid_choice": _("%(value)s is not a step of this one thing.")})
    when = forms.CharField(
        label=_("When (condition)"), required=False, max_length=1000,
        widget=forms.TextInput(attrs={"size": 36, "spellcheck": "false", "placeholder": _("e.g. has_employees")}),
        help_text=_("Optional: include the step only when this is true, e.g. has_employees or "
                    "employee_count > 10 (CEL, using field codes)."))

    class Meta:
        model = Step
        fields = ("procedure", "after", "when", "position")

    def clean_when(self) -> str:
        expr = (self.cleaned_data.get("when") or "").strip()
        if expr:
            try:
                compile_rule(expr)
            except RuleError as exc:
                raise ValidationError(str(exc), code="rule") from None
        return expr

    def clean_after(self) -> list[str]:
        chosen = self.cleaned_data.get("after") or []
        stored = self.instance.after if isinstance(self.instance.after, list) else []
        kept = [c for c in stored if c in chosen]
        return kept + [c for c in chosen if c not in kept]


class StepFormSet(forms.BaseInlineFormSet):
    """The steps of one one thing: ``after`` offers the other steps, checked together.

    The prerequisites offered are the procedures of the saved steps plus those chosen in the
    submitted rows, so that a whole one thing (steps and their order) can be entered in one go.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes: list[str] = []  # in step order; stored prerequisites stay choosable (and checked)
        if self.instance.pk:
            for step in self.instance.steps.select_related("procedure").order_by("position", "id"):
                for code in [step.procedure.code, *(step.after if isinstance(step.after, list) else [])]:
                    if isinstance(code, str) and code not in codes:
                        codes.append(code)
        if self.is_bound:
            ids = []
            for index in range(self.total_form_count()):
                raw = self.data.get(f"{self.prefix}-{index}-procedure")
                if raw and str(raw).isdigit():
                    ids.append(int(raw))
            for code in Procedure.objects.filter(pk__in=ids).order_by("code").values_list("code", flat=True):
                if code not in codes:
                    codes.append(code)
        # Codes only: short enough for a column of checkboxes, and what ``when`` and the diagram use.
        choices = [(code, code) for code in codes]
        for form in self.forms:
            own = form.instance.procedure.code if form.instance.pk and form.instance.procedure_id else None
            form.fields["after"].choices = [c for c in choices if c[0] != own]
        self.empty_form_choices = choices

    @property
    def empty_form(self) -> forms.Form:
        form = super().empty_form
        form.fields["after"].choices = getattr(self, "empty_form_choices", [])
        return form

    def clean(self) -> None:
        super().clean()
        rows = [f for f in self.forms if getattr(f, "cleaned_data", None) and not self._should_delete_form(f)
                and f.cleaned_data.get("procedure") is not None]
        removed = {f.instance.procedure.code for f in self.forms
                   if getattr(f, "cleaned_data", None) and self._should_delete_form(f) and f.instance.pk}
        present: dict[str, forms.Form] = {}
        for form in rows:
            code = form.cleaned_data["procedure"].code
            if code in present:
                form.add_error("procedure", _("This procedure is already a step of this one thing."))
            else:
                present[code] = form
        graph: dict[str, list[str]] = {}
        for code, form in present.items():
            after = form.cleaned_data.get("after") or []
            good = []
            for prerequisite in after:
                if prerequisite == code:
                    form.add_error("after", _("A step cannot come after itself."))
                elif prerequisite not in present:
                    if prerequisite in removed:
                        form.add_error("after", ValidationError(
                            _("%(code)s is being removed from the steps; untick it here first."),
                            params={"code": prerequisite}))
                    else:
                        form.add_error("after", ValidationError(
                            _("%(code)s is not a step of this one thing."), params={"code": prerequisite}))
                else:
                    good.append(prerequisite)
            graph[code] = good
        for code in StepGraph(graph.items()).on_cycle:
            present[code].add_error("after", _("These prerequisites form a cycle: no step of it could ever start."))
        if rows and all(graph.get(f.cleaned_data["procedure"].code) for f in rows if
                        f.cleaned_data["procedure"].code in graph):
            raise ValidationError(_("At least one step must have no prerequisite, or nothing can start."))
