"""Forms of what procedures are made of: departments, fields (questions) and materials."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from govflow.catalog.fieldtypes import FIELD_TYPES
from govflow.catalog.io.format import (
    ACCEPTED_MATERIAL_TYPES,
    MAX_LENGTH_MAX,
    MAX_SIZE_MB,
    material_types,
)
from govflow.catalog.models import (
    Department,
    Field,
    Material,
)

from .inputs import (
    BilingualField,
    BilingualFormMixin,
    ChoicesField,
    CodeMixin,
    PatternMixin,
    check_example,
    parse_number,
)

# -- dictionaries ------------------------------------------------------------------------------


class DepartmentForm(CodeMixin, BilingualFormMixin, forms.ModelForm):
    name = BilingualField(label=_("Name"), max_length=200)
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, max_length=200, assume_scheme="https",
                                 help_text=_("The department system's address for case notifications (optional)."))

    # Issue 20: how citizens see this department's staff in their access records; a form that
    # leaves it out (an older client) keeps the department's current choice.
    access_reader_shown_as = forms.ChoiceField(
        label=_("Staff shown to citizens as"), required=False,
        choices=Department._meta.get_field("access_reader_shown_as").choices,
        help_text=_("How the citizen's page \"who used my information\" names this department's staff."))

    class Meta:
        model = Department
        fields = ("code", "name", "webhook_url", "webhook_secret", "access_reader_shown_as")
        widgets = {"webhook_secret": forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"})}

    def clean_access_reader_shown_as(self) -> str:
        return self.cleaned_data.get("access_reader_shown_as") or self.instance.access_reader_shown_as or "name"


def _choices_help_now() -> SafeString:
    # The example is a line of the format, not words of the page: it is shown as code.
    return format_html("{} <code>{}</code>", _(
        "Choice fields only. One option per line: the value, the English label and the Chinese label, "
        "separated by “|”, for example"), "llc | Limited liability company | 有限责任公司")


_choices_help = lazy(_choices_help_now, SafeString)


class FieldForm(CodeMixin, PatternMixin, BilingualFormMixin, forms.ModelForm):
    label = BilingualField(label=_("Label"), max_length=500)
    help = BilingualField(label=_("Help text"), required=False, textarea=True, max_length=2000,
                          help_text=_("Shown under the question in the citizen's form."))
    hint = BilingualField(label=_("Format hint"), required=False, max_length=500, help_text=_(
        "What to enter, in plain words, e.g. “18 characters: digits and capital letters”."))
    minimum = forms.CharField(label=_("Minimum"), required=False, max_length=40,
                              help_text=_("Numbers only (whole number or decimal)."))
    maximum = forms.CharField(label=_("Maximum"), required=False, max_length=40,
                              help_text=_("Numbers only (whole number or decimal)."))
    choices = ChoicesField(label=_("Choices"), help_text=_choices_help())

    class Meta:
        model = Field
        fields = ("code", "label", "type", "help", "hint", "example", "max_length", "pattern", "minimum", "maximum",
                  "choices")
        help_texts = {
            "example": _("A value people could enter, shown as “For example: …”; it must itself be valid."),
            "max_length": _("Text fields only."),
            "pattern": _("Text fields only: a regular expression the whole answer must match, "
                         "e.g. ^[0-9]{8,30}$."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("minimum", "maximum"):
            value = getattr(self.instance, name, None)
            if value is not None and not self.is_bound:
                self.initial[name] = str(value)
        if "max_length" in self.fields:  # not when shown read-only
            self.fields["max_length"].validators += [MinValueValidator(1), MaxValueValidator(MAX_LENGTH_MAX)]

    def clean(self) -> dict:
        data = super().clean()
        kind = FIELD_TYPES.get(data.get("type") or "")
        if kind is None:
            return data

        def only_for(name: str, option: str, present: bool) -> None:
            if present and option not in kind.options:
                self.add_error(name, ValidationError(
                    _("Does not apply to a field of type “%(type)s”: clear it, or change the type."),
                    params={"type": kind.label}, code="not_for_type"))

        only_for("max_length", "max_length", data.get("max_length") is not None)
        only_for("pattern", "pattern", bool(data.get("pattern")))
        bounds: dict[str, int | float] = {}
        for name, option in (("minimum", "min"), ("maximum", "max")):
            text = (data.get(name) or "").strip()
            only_for(name, option, bool(text))
            if text and option in kind.options:
                try:
                    bounds[name] = parse_number(text, integer=kind.whole_numbers)
                except ValidationError as exc:
                    self.add_error(name, exc)
        if "minimum" in bounds and "maximum" in bounds and bounds["minimum"] > bounds["maximum"]:
            self.add_error("minimum", _("The minimum must not be greater than the maximum."))
        data["minimum"] = bounds.get("minimum")
        data["maximum"] = bounds.get("maximum")
        choices = data.get("choices") or []
        only_for("choices", "choices", bool(choices))
        if "choices" in kind.required_options and not choices and "choices" not in self.errors:
            self.add_error("choices", _("A choice field needs at least one option."))
        spec = {"type": kind.code, "pattern": data.get("pattern") or "", "max_length": data.get("max_length"),
                "min": data.get("minimum"), "max": data.get("maximum"), "choices": choices}
        check_example(self, data, {k: v for k, v in spec.items() if v not in (None, "", [])})
        return data


class MaterialTypesField(forms.MultipleChoiceField):
    """The accepted file types; what people write for a type (``jpg``) is taken as its canonical
    name (``jpeg``), the one that is stored and exported."""

    def to_python(self, value: Any) -> list[str]:
        return list(dict.fromkeys(material_types(super().to_python(value))))


class MaterialForm(CodeMixin, BilingualFormMixin, forms.ModelForm):
    label = BilingualField(label=_("Label"), max_length=500)
    accepted_types = MaterialTypesField(
        label=_("Accepted file types"), choices=[(t, t.upper()) for t in ACCEPTED_MATERIAL_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Uploads are checked by their content, not by their name."))
    sample = BilingualField(label=_("Sample"), required=False, textarea=True, max_length=2000, help_text=_(
        "What a good copy looks like (who signs, which pages, what must be legible); shown in the service guide."))

    class Meta:
        model = Material
        fields = ("code", "label", "accepted_types", "max_size_mb", "sample")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "max_size_mb" in self.fields:
            self.fields["max_size_mb"].validators += [MinValueValidator(1), MaxValueValidator(MAX_SIZE_MB)]

    def clean_accepted_types(self) -> list[str]:
        chosen = list(self.cleaned_data.get("accepted_types") or [])
        stored = self.instance.accepted_types if isinstance(self.instance.accepted_types, list) else []
        if set(stored) == set(chosen):
            return list(stored)  # same types: keep the stored order (no new version for nothing)
        return chosen
