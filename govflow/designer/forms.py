"""Forms of the catalog designer: proper inputs for what the models keep as JSON.

Administrators never type JSON. A ``{"en": …, "zh-hans": …}`` label is two text inputs
(:class:`BilingualField`); ``choices`` are lines ``value | English | 中文`` (:class:`ChoicesField`);
``after``, ``guide`` and ``needs_outputs`` are multiple choices among what exists
(steps of the same one thing, fields, outputs of other procedures). The forms check what can be
checked on one row (a pattern compiles, a ``when`` parses, options fit the field type, committed
days within statutory days); what needs the whole definition is checked at publishing
(:mod:`govflow.catalog.design`).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from govflow.catalog import jurisdictions
from govflow.catalog.answers import example_problem
from govflow.catalog.checkers import known_checker, registered_checkers
from govflow.catalog.fieldtypes import FIELD_TYPES, OUTPUT_TYPES
from govflow.catalog.io.format import (
    ACCEPTED_MATERIAL_TYPES,
    CODE_RE,
    MAX_DAYS,
    MAX_LENGTH_MAX,
    MAX_SIZE_MB,
    material_types,
)
from govflow.catalog.models import (
    ApplicantKind,
    DeferralClock,
    DeferralOnMissed,
    Department,
    Division,
    Field,
    Material,
    OneThing,
    Output,
    Procedure,
    Step,
    localized,
)
from govflow.catalog.physical import physical_results_errors
from govflow.catalog.rules import RuleError, compile_rule
from govflow.catalog.steps import StepGraph
from govflow.catalog.triggers import stored_trigger_errors
from govflow.text import INVALID_TEXT_CODE, has_bad_text, invalid_text_message

LANGUAGES = ("en", "zh-hans")

# -- bilingual texts ---------------------------------------------------------------------------


class BilingualWidget(forms.MultiWidget):
    """Two inputs, English and 中文, for one ``{language: text}`` object."""

    template_name = "admin/catalog/widgets/bilingual.html"

    class Media:
        css = {"all": ("designer/admin.css",)}

    def __init__(self, *, textarea: bool = False, attrs: dict | None = None) -> None:
        if textarea:
            english = forms.Textarea(attrs={"rows": 3, "cols": 60, "lang": "en", **(attrs or {})})
            chinese = forms.Textarea(attrs={"rows": 3, "cols": 60, "lang": "zh-Hans", **(attrs or {})})
        else:
            english = forms.TextInput(attrs={"size": 50, "lang": "en", **(attrs or {})})
            chinese = forms.TextInput(attrs={"size": 50, "lang": "zh-Hans", **(attrs or {})})
        super().__init__({"en": english, "zh_hans": chinese})
        self.field_label: Any = None

    def decompress(self, value: Any) -> list[str]:
        if isinstance(value, str):  # a re-rendered bound value that failed to parse as JSON
            return [value, ""]
        if not isinstance(value, dict):
            return ["", ""]
        return [str(value.get("en") or ""), str(value.get("zh-hans") or "")]

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        # Each language named in itself, marked as such (lang), like the language switcher's.
        for subwidget, (lang, caption) in zip(context["widget"]["subwidgets"], (("en", "English"), ("zh-hans", "中文")),
                                              strict=True):
            subwidget["caption"], subwidget["lang"] = caption, lang
            subwidget["attrs"]["lang"] = lang
            if self.field_label:  # the field's own label is not tied to either input
                subwidget["attrs"]["aria-label"] = f"{self.field_label} ({caption})"
        return context


class BilingualField(forms.MultiValueField):
    """A ``{"en": …, "zh-hans": …}`` object: English required (when the field is), Chinese optional.

    The value has no ``zh-hans`` key when the Chinese text is empty, and is ``{}`` when an optional
    field is left empty, exactly as the ``govflow.catalog/1`` format writes them.
    """

    widget = BilingualWidget

    def __init__(self, *, required: bool = True, max_length: int | None = None, textarea: bool = False,
                 **kwargs: Any) -> None:
        fields = (forms.CharField(required=False, max_length=max_length),
                  forms.CharField(required=False, max_length=max_length))
        kwargs.setdefault("widget", BilingualWidget(textarea=textarea))
        kwargs.setdefault("error_messages", {"incomplete": _(
            "Give the English text too: every text needs an English version.")})
        super().__init__(fields=fields, required=required, require_all_fields=False, **kwargs)
        self.multiline = textarea
        self.fields[0].required = required  # English: "This field is required." on its own input
        self.widget.field_label = self.label

    def compress(self, data_list: list[str]) -> dict:
        if not data_list:
            return {}
        english, chinese = (v.strip() if isinstance(v, str) else "" for v in data_list)
        if not english and not chinese:
            return {}
        if any(has_bad_text(text, multiline=self.multiline) for text in (english, chinese)):
            raise ValidationError(invalid_text_message(), code=INVALID_TEXT_CODE)
        if not english:
            raise ValidationError(_("Give the English text too: every text needs an English version."),
                                  code="english_required")
        value = {"en": english}
        if chinese:
            value["zh-hans"] = chinese
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            cleaned = self.compress([d or "" for d in data]) if isinstance(data, list) else data
        except ValidationError:
            return True
        return (initial or {}) != (cleaned or {})


#: The longest keyword (the format's limit).
KEYWORD_MAX = 100


class KeywordsField(BilingualField):
    """``{"en": [words], "zh-hans": [words]}``: one word or phrase per line (or separated by
    commas), each language optional; duplicates (ignoring case) are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", KeywordsWidget())
        super().__init__(required=False, textarea=True, max_length=5000, **kwargs)

    def compress(self, data_list: list[str]) -> dict:
        value: dict[str, list[str]] = {}
        for language, text in zip(LANGUAGES, data_list or ["", ""], strict=False):
            if not isinstance(text, str):
                continue
            if has_bad_text(text, multiline=True):
                raise ValidationError(invalid_text_message(), code=INVALID_TEXT_CODE)
            words: dict[str, str] = {}
            for word in re.split(r"[\n,，、;；]+", text):
                word = " ".join(word.split())
                if not word:
                    continue
                if len(word) > KEYWORD_MAX:
                    raise ValidationError(_("A keyword may have at most %(n)d characters."),
                                          params={"n": KEYWORD_MAX}, code="keyword_too_long")
                words.setdefault(word.casefold(), word)
            if words:
                value[language] = list(words.values())
        return value


class KeywordsWidget(BilingualWidget):
    """Two text areas, one word or phrase per line."""

    def __init__(self) -> None:
        super().__init__(textarea=True)

    def decompress(self, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value, ""]
        if not isinstance(value, dict):
            return ["", ""]
        return ["\n".join(w for w in value.get(language) or [] if isinstance(w, str)) for language in LANGUAGES]


def _check_example(form: forms.ModelForm, data: dict, spec: dict) -> None:
    """An example must be a value the field (or output) itself accepts."""
    example = (data.get("example") or "").strip()
    data["example"] = example
    if not example or "example" in form.errors or any(k in form.errors for k in ("type", "pattern")):
        return
    if has_bad_text(example):
        form.add_error("example", ValidationError(invalid_text_message(), code=INVALID_TEXT_CODE))
        return
    try:
        problem = example_problem({**spec, "example": example})
    except (KeyError, TypeError, ValueError):
        return
    if problem is not None:
        form.add_error("example", ValidationError(
            _("This example is not a value the entry accepts: %(problem)s"), params={"problem": problem},
            code="example"))


class CodeMixin:
    """A catalog code, checked by the same rule as everywhere in the admin (``_validate_code``)."""

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        _validate_code(code)
        return code


class PatternMixin:
    """An optional pattern that entries must match, checked by ``_validate_pattern``."""

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data.get("pattern") or ""
        _validate_pattern(pattern)
        return pattern


class BilingualFormMixin:
    """Keeps languages other than en/zh-hans that an import may have brought."""

    def _post_clean(self) -> None:
        for name, form_field in self.fields.items():
            if not isinstance(form_field, BilingualField) or name not in getattr(self, "cleaned_data", {}):
                continue
            value = self.cleaned_data[name]
            old = getattr(self.instance, name, None)
            if value and isinstance(old, dict):
                extra = {k: v for k, v in old.items() if k not in LANGUAGES}
                if extra:
                    self.cleaned_data[name] = {**value, **extra}
        super()._post_clean()


# -- lists -------------------------------------------------------------------------------------


class SelectFilter(FilteredSelectMultiple):
    """The admin's two-box selector for a plain (non-model) multiple choice.

    The admin's script puts the selector first in the select's parent element; wrapping the select
    keeps the field's label before it, as for a many-to-many field.
    """

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        return format_html('<div class="related-widget-wrapper govflow-select-filter">{}</div>',
                           super().render(name, value, attrs, renderer))


class ChoicesField(forms.CharField):
    """A choice field's options, one per line: ``value | English | 中文``."""

    widget = forms.Textarea(attrs={"rows": 6, "cols": 70, "class": "vLargeTextField",
                                   "placeholder": "llc | Limited liability company | 有限责任公司"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            lines = []
            for choice in value:
                if not isinstance(choice, dict):
                    continue
                label = choice.get("label") if isinstance(choice.get("label"), dict) else {}
                parts = [str(choice.get("value", "")), label.get("en", "")]
                if label.get("zh-hans"):
                    parts.append(label["zh-hans"])
                lines.append(" | ".join(parts))
            return "\n".join(lines)
        return value

    def to_python(self, value: Any) -> list[dict]:
        text = super().to_python(value) or ""
        choices: list[dict] = []
        errors: list[ValidationError] = []
        seen: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) > 3:
                errors.append(ValidationError(
                    _("Line %(line)d: use “|” only to separate the value, the English and the Chinese text."),
                    params={"line": number}, code="parts"))
                continue
            parts += [""] * (3 - len(parts))
            choice_value, english, chinese = parts
            if not choice_value:
                errors.append(ValidationError(_("Line %(line)d: the value is missing."), params={"line": number},
                                              code="value"))
                continue
            if len(choice_value) > 200:
                errors.append(ValidationError(_("Line %(line)d: the value is longer than 200 characters."),
                                              params={"line": number}, code="value_length"))
                continue
            if not english:
                errors.append(ValidationError(_("Line %(line)d: the English text is missing."),
                                              params={"line": number}, code="english_required"))
                continue
            if choice_value in seen:
                errors.append(ValidationError(_("Line %(line)d: the value “%(value)s” is already on line %(first)d."),
                                              params={"line": number, "value": choice_value,
                                                      "first": seen[choice_value]}, code="duplicate"))
                continue
            seen[choice_value] = number
            label = {"en": english}
            if chinese:
                label["zh-hans"] = chinese
            choices.append({"value": choice_value, "label": label})
        if errors:
            raise ValidationError(errors)
        return choices


class OrderedMultipleChoiceField(forms.MultipleChoiceField):
    """Codes chosen among ``choices``; codes already chosen keep their order, new ones follow.

    The order of ``guide`` and ``needs_outputs`` is meaningful (and part of the published
    document), and a multiple select cannot express order: keeping the stored order means
    re-saving a form never reorders, and so never publishes a new version by itself.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.stored: list[str] = []

    def clean(self, value: Any) -> list[str]:
        chosen = super().clean(value)
        kept = [code for code in self.stored if code in chosen]
        return kept + [code for code in chosen if code not in kept]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return set(initial or []) != set(data or []) or super().has_changed(initial, data)


def _number(text: str, *, integer: bool) -> int | float:
    """A JSON number as typed: a whole number stays an ``int``, a decimal one a ``float``."""
    text = text.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if integer:
        raise ValidationError(_("Enter a whole number for an integer field."), code="integer")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter a number, like 0.5 or 100."), code="number") from None
    value = float(number)
    if not math.isfinite(value):
        raise ValidationError(_("Enter a number, like 0.5 or 100."), code="number")
    return value


def _validate_pattern(value: str) -> None:
    if not value:
        return
    try:
        re.compile(value)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        raise ValidationError(_("Not a valid regular expression: %(error)s"), params={"error": exc},
                              code="pattern") from None


def _validate_code(value: str) -> None:
    if value and not CODE_RE.fullmatch(value):
        raise ValidationError(
            _("Use lower-case letters, digits, “-” and “_”, starting with a letter or digit."), code="code")


DAYS_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_DAYS)]


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


def _physical_results_help_now() -> SafeString:
    # The example is the format itself, not words of the page: it is shown as code.
    return format_html("{} <code>{}</code>", _("What the procedure issues physically and how it may reach the applicant:"),
                       '[{"code": "seal", "label": {"en": "...", "zh-hans": "..."}, "methods": ["pickup", "post"]}]')


_physical_results_help = lazy(_physical_results_help_now, SafeString)


def _keywords_help_now() -> SafeString:
    # The two examples are words of either language, each marked with its own (lang).
    text = conditional_escape(_("The everyday words people search for (%(chinese)s, %(english)s), one per line; the "
                                "portal's search finds them in either language."))
    return mark_safe(text % {  # noqa: S308 - the sentence was escaped above, the examples are fixed markup
        "chinese": format_html('<span lang="zh-Hans">“{}”</span>', "开公司"),
        "english": format_html('<span lang="en">“{}”</span>', "start a company"),
    })


_keywords_help = lazy(_keywords_help_now, SafeString)


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
                    bounds[name] = _number(text, integer=kind.whole_numbers)
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
        _check_example(self, data, {k: v for k, v in spec.items() if v not in (None, "", [])})
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
            stored = [c for c in (self.instance.needs_outputs or []) if isinstance(c, str)]
            choices = _output_choices(instance)
            known = {code for code, _label in choices}
            field = self.fields["needs_outputs"]
            field.choices = choices + [(c, c) for c in stored if c not in known]
            field.stored = stored
            field.widget = SelectFilter(_("outputs"), is_stacked=False, choices=field.choices)
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
        _check_example(self, data, {k: v for k, v in spec.items() if v})
        return data


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
            stored = [c for c in (self.instance.guide or []) if isinstance(c, str)]
            choices = [(f.code, f"{f.code} — {localized(f.label)}") for f in Field.objects.order_by("code")]
            known = {code for code, _label in choices}
            field = self.fields["guide"]
            field.choices = choices + [(c, c) for c in stored if c not in known]
            field.stored = stored
            field.widget = SelectFilter(_("fields"), is_stacked=False, choices=field.choices)
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


# -- import ------------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Catalog file (JSON)"), required=False,
                           help_text=_("A govflow.catalog/1 document, as exported here or by "
                                       "“manage.py export_catalog”."))
    text = forms.CharField(label=_("Or paste the JSON"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8, "cols": 90, "spellcheck": "false",
                                                        "class": "vLargeTextField"}))
    validate_only = forms.BooleanField(label=_("Only check the document, do not import it"), required=False)

    def clean(self) -> dict:
        import json

        data = super().clean()
        upload = data.get("file")
        text = data.get("text") or ""
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise ValidationError(_("The file is larger than 5 MB."), code="too_large")
            raw = upload.read(MAX_IMPORT_BYTES + 1)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(_("The file is not UTF-8 text."), code="encoding") from None
        if not text.strip():
            raise ValidationError(_("Choose a file or paste a document."), code="empty")
        try:
            data["document"] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("Not valid JSON: %(error)s"), params={"error": exc}, code="json") from None
        except RecursionError:
            raise ValidationError(_("The document is nested too deeply."), code="depth") from None
        return data
