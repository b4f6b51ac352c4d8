"""The designer's inputs for what the models keep as JSON, and the checks on one value.

Bilingual texts and keywords, choice lines, ordered multiple choices, the admin's two-box selector;
a code, a pattern, a number as typed and an example, each checked by one rule every form uses.
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
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from govflow.catalog.answers import example_problem
from govflow.catalog.io.format import (
    CODE_RE,
    MAX_DAYS,
)
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


def check_example(form: forms.ModelForm, data: dict, spec: dict) -> None:
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
    """A catalog code, checked by the same rule as everywhere in the admin (``validate_code``)."""

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        validate_code(code)
        return code


class PatternMixin:
    """An optional pattern that entries must match, checked by ``validate_pattern``."""

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data.get("pattern") or ""
        validate_pattern(pattern)
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

    def offer(self, choices: list[tuple[str, str]], stored: Any, caption: Any) -> None:
        """Offer ``choices`` in the admin's two-box selector (``caption`` names them). Stored codes
        stay choosable even when they no longer exist, and keep their order (:meth:`clean`)."""
        self.stored = [c for c in (stored or []) if isinstance(c, str)]
        known = {code for code, _label in choices}
        self.choices = choices + [(c, c) for c in self.stored if c not in known]
        self.widget = SelectFilter(caption, is_stacked=False, choices=self.choices)


def parse_number(text: str, *, integer: bool) -> int | float:
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


def validate_pattern(value: str) -> None:
    if not value:
        return
    try:
        re.compile(value)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        raise ValidationError(_("Not a valid regular expression: %(error)s"), params={"error": exc},
                              code="pattern") from None


def validate_code(value: str) -> None:
    if value and not CODE_RE.fullmatch(value):
        raise ValidationError(
            _("Use lower-case letters, digits, “-” and “_”, starting with a letter or digit."), code="code")


DAYS_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_DAYS)]
