"""Forms of the workbench: they check input early and say what is wrong in the clerk's
language; the services check everything again (they are the authority)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govflow.applications.models import ContactChannel
from govflow.applications.rules import output_matches
from govflow.catalog.fieldtypes import FIELD_TYPES
from govflow.catalog.models import localized
from govflow.text import join_list

from .sla import SLA_DUE_SOON, SLA_LABELS, SLA_ON_TIME, SLA_OVERDUE

COMMENT_MAX = 4000


class PlainSelect(forms.Select):
    """Django's ``Select`` with a template that writes the options inline
    (``workbench/widgets/select.html``) instead of one template include per option and per
    attribute list: the queue's two filters rendered the stock way cost 0.8 ms of every queue
    page. Options only, no ``<optgroup>``: the filters have none."""

    template_name = "workbench/widgets/select.html"


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Application number"), required=False, max_length=40,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "GF-2026-000123",
                                                      "autocomplete": "off", "spellcheck": "false",
                                                      "data-shortcut-search": ""}))
    procedure = forms.ChoiceField(label=_("Procedure"), required=False, widget=PlainSelect)
    sla = forms.ChoiceField(label=_("Time limit"), required=False, widget=PlainSelect, choices=[
        ("", _("Any")),
        (SLA_OVERDUE, SLA_LABELS[SLA_OVERDUE]),
        (SLA_DUE_SOON, SLA_LABELS[SLA_DUE_SOON]),
        (SLA_ON_TIME, SLA_LABELS[SLA_ON_TIME]),
    ])

    def __init__(self, *args: Any, procedures: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("All procedures")), *procedures]

    def filters(self) -> dict[str, str]:
        """The valid filters; an invalid one (a stale bookmark) is simply not applied."""
        data: dict = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data keeps the fields that are valid
            data = self.cleaned_data
        return {"procedure": data.get("procedure") or "", "sla": data.get("sla") or "",
                "number": data.get("q") or ""}


class DecisionForm(forms.Form):
    decision = forms.CharField(widget=forms.HiddenInput)
    DECISION = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The three decision forms share a page: distinct ids, the same field names.
        kwargs.setdefault("auto_id", f"{self.DECISION}-%s")
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("initial", {"decision": self.DECISION})
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        raise NotImplementedError

    def summary(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the confirmation page."""
        raise NotImplementedError

    def add_service_errors(self, errors: Any, message: str) -> None:
        """Show a service's field errors on this form (the service had the last word)."""
        placed = False
        if isinstance(errors, dict):
            for key, value in errors.items():
                placed |= self._place(key, value)
        if not placed:
            self.add_error(None, message)

    def _place(self, key: str, value: Any) -> bool:
        if key in self.fields and key != "decision":
            self.add_error(key, _as_messages(value))
            return True
        if key == "non_field_errors":
            self.add_error(None, _as_messages(value))
            return True
        return False


def _as_messages(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [f"{k}: {'; '.join(_as_messages(v))}" for k, v in value.items()]
    return [str(value)]


def output_help(spec: dict) -> str:
    """What the clerk reads under an output's input: the catalog's plain description of the format
    and its example; the bare pattern only for an output the catalog describes in no other way."""
    kind = FIELD_TYPES.get(spec.get("type") or "string", FIELD_TYPES["string"])
    hint, example = kind.hint(spec), kind.example(spec)
    parts = [hint] if hint else []
    if example:
        parts.append(str(_("For example: %(example)s") % {"example": example}))
    if not parts and spec.get("pattern"):
        parts.append(str(_("Required format: %(pattern)s") % {"pattern": spec["pattern"]}))
    return " ".join(parts)


class ApproveForm(DecisionForm):
    DECISION = "approve"
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=COMMENT_MAX,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, outputs: list[dict], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outputs = outputs
        fields = {}
        for spec in outputs:
            help_text = output_help(spec)
            fields[self.output_name(spec["code"])] = forms.CharField(
                label=localized(spec.get("label")) or spec["code"], max_length=500, help_text=help_text,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
        # Outputs first: they are what an approval is about.
        self.fields = {**fields, **self.fields}

    @staticmethod
    def output_name(code: str) -> str:
        return f"output_{code}"

    def clean(self) -> dict:
        cleaned = super().clean()
        for spec in self.outputs:
            name = self.output_name(spec["code"])
            value = cleaned.get(name)
            if value and not output_matches(spec, value):
                self.add_error(name, _("This does not match the required format."))
        return cleaned

    def service_kwargs(self) -> dict:
        return {"decision": "approve",
                "outputs": {spec["code"]: self.cleaned_data[self.output_name(spec["code"])] for spec in self.outputs},
                "comment": self.cleaned_data.get("comment", "")}

    def summary(self) -> list[tuple[str, str]]:
        items = [(str(self.fields[self.output_name(s["code"])].label), self.cleaned_data[self.output_name(s["code"])])
                 for s in self.outputs]
        if self.cleaned_data.get("comment"):
            items.append((str(_("Comment")), self.cleaned_data["comment"]))
        return items

    def _place(self, key: str, value: Any) -> bool:
        if key == "outputs" and isinstance(value, dict):
            placed = False
            for code, messages in value.items():
                name = self.output_name(code)
                if name in self.fields:
                    self.add_error(name, _as_messages(messages))
                else:
                    self.add_error(None, f"{code}: {'; '.join(_as_messages(messages))}")
                placed = True
            return placed
        return super()._place(key, value)


class RejectForm(DecisionForm):
    DECISION = "reject"
    comment = forms.CharField(
        label=_("Reason and legal basis"), max_length=COMMENT_MAX,
        help_text=_("The applicant reads this: state why, and the provision it rests on."),
        error_messages={"required": _("A reason is required to reject.")},
        widget=forms.Textarea(attrs={"rows": 3}))

    def service_kwargs(self) -> dict:
        return {"decision": "reject", "comment": self.cleaned_data["comment"]}

    def summary(self) -> list[tuple[str, str]]:
        return [(str(_("Reason and legal basis")), self.cleaned_data["comment"])]


class CorrectionForm(DecisionForm):
    DECISION = "request_correction"
    fields_to_correct = forms.MultipleChoiceField(label=_("Answers to correct"), required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    materials_to_correct = forms.MultipleChoiceField(label=_("Materials to replace"), required=False,
                                                     widget=forms.CheckboxSelectMultiple)
    message = forms.CharField(
        label=_("Message to the applicant"), max_length=COMMENT_MAX,
        help_text=_("Everything in one go: what is wrong with each item and how to fix it."),
        error_messages={"required": _("Tell the applicant what to correct.")},
        widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, fields: list[tuple[str, str]], materials: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fields_to_correct"].choices = fields
        self.fields["materials_to_correct"].choices = materials

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors.get("fields_to_correct") and not self.errors.get("materials_to_correct") \
                and not cleaned.get("fields_to_correct") and not cleaned.get("materials_to_correct"):
            raise forms.ValidationError(_("Mark at least one answer or material to correct."))
        return cleaned

    def service_kwargs(self) -> dict:
        return {"decision": "request_correction", "corrections": {
            "fields": list(self.cleaned_data["fields_to_correct"]),
            "materials": list(self.cleaned_data["materials_to_correct"]),
            "message": self.cleaned_data["message"]}}

    def summary(self) -> list[tuple[str, str]]:
        names = dict(self.fields["fields_to_correct"].choices)
        mats = dict(self.fields["materials_to_correct"].choices)
        items = []
        if self.cleaned_data["fields_to_correct"]:
            items.append((str(_("Answers to correct")),
                          join_list(names[c] for c in self.cleaned_data["fields_to_correct"])))
        if self.cleaned_data["materials_to_correct"]:
            items.append((str(_("Materials to replace")),
                          join_list(mats[c] for c in self.cleaned_data["materials_to_correct"])))
        items.append((str(_("Message to the applicant")), self.cleaned_data["message"]))
        return items

    def _place(self, key: str, value: Any) -> bool:
        if key == "corrections" and isinstance(value, dict):
            mapping = {"fields": "fields_to_correct", "materials": "materials_to_correct", "message": "message",
                       "non_field_errors": None}
            placed = False
            for sub, messages in value.items():
                target = mapping.get(sub, None)
                self.add_error(target, _as_messages(messages))
                placed = True
            return placed
        return super()._place(key, value)


DECISION_FORMS = {form.DECISION: form for form in (ApproveForm, RejectForm, CorrectionForm)}


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Give to"), coerce=int)

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Choose a clerk")), *members]


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=5000,
                           error_messages={"required": _("Write what was done about this rating.")},
                           widget=forms.Textarea(attrs={"rows": 2}))
    contacted = forms.TypedChoiceField(
        label=_("Was the citizen contacted?"), required=False, empty_value=None,
        coerce=lambda value: value == "yes",
        choices=[("", _("Not said")), ("yes", _("Yes")), ("no", _("No"))], widget=PlainSelect)
    channel = forms.ChoiceField(label=_("How"), required=False,
                                choices=[("", "–"), *ContactChannel.choices], widget=PlainSelect)
    contacted_at = forms.DateTimeField(label=_("When (empty: now)"), required=False,
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("contacted") and not data.get("channel"):
            self.add_error("channel", _("Say how the citizen was contacted."))
        if not data.get("contacted") and (data.get("channel") or data.get("contacted_at")):
            self.add_error("contacted", _("A time and a channel are only for a citizen who was contacted."))
        return data


class PeriodForm(forms.Form):
    """A period from ``date_from`` to ``date_to`` (both days included) of at most ``max_days``."""

    max_days = 366
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end of the period is before its start."))
            elif (end - start).days + 1 > self.max_days:
                self.add_error("date_to", _("A period covers at most %(n)d days.") % {"n": self.max_days})
        return data


class StatsFilterForm(PeriodForm):
    """The supervision pages' filters: a period (at most ``MAX_RANGE_DAYS``), weeks or months,
    and optionally a division, an office and a one thing among those the user may see."""

    by = forms.ChoiceField(label=_("Columns"), required=False, widget=PlainSelect,
                           choices=[("week", _("Weeks")), ("month", _("Months"))])
    division = forms.ChoiceField(label=_("Division"), required=False, widget=PlainSelect)
    office = forms.ChoiceField(label=_("Office"), required=False, widget=PlainSelect)
    one_thing = forms.ChoiceField(label=_("One thing"), required=False, widget=PlainSelect)

    def __init__(self, *args: Any, divisions: list[tuple[str, str]], offices: list[tuple[str, str]],
                 one_things: list[tuple[str, str]], max_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_days = max_days
        self.fields["division"].choices = [("", _("All divisions")), *divisions]
        self.fields["office"].choices = [("", _("All offices")), *offices]
        self.fields["one_thing"].choices = [("", _("All one things")), *one_things]

    def clean(self) -> dict:
        data = super().clean()
        data["by"] = data.get("by") or "week"
        return data
