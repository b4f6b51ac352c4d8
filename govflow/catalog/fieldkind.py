"""What every field type implements (:class:`FieldKind`): validation and JSON Schema, the form's
widget and hint, reading posted text, display and masking; :class:`Unparsable` for posted text
that cannot be the type. The types themselves and their registry are
:mod:`govflow.catalog.fieldtypes`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from govflow.text import join_list

from .labels import localized

# Full-width digits and punctuation typed with a Chinese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋　", "0123456789.-+ ")


class Unparsable(ValueError):
    """The posted text cannot be the field's type; the message says what to enter."""


@dataclass(frozen=True)
class Widget:
    """How a question is asked: ``input``, ``textarea``, ``radios``, ``select`` or ``yesno``, with
    the HTML attributes the browser checks and the ``(value, label)`` options of a choice."""

    name: str
    attrs: dict[str, Any] = field(default_factory=dict)
    choices: list[tuple[str, str]] = field(default_factory=list)


YES, NO = _("Yes"), _("No")


class FieldKind:
    """One field type. Methods take the field's catalog entry (``spec``) where options matter."""

    code: ClassVar[str]
    label: ClassVar[Promise]
    #: Catalog options that apply to this type; ``required_options`` must be given.
    options: ClassVar[frozenset[str]] = frozenset()
    required_options: ClassVar[frozenset[str]] = frozenset()
    #: ``min``/``max`` must be whole numbers.
    whole_numbers: ClassVar[bool] = False
    #: Answers may hold line breaks and tabs.
    multiline: ClassVar[bool] = False
    #: A procedure may issue a value of this type (an output a clerk enters).
    can_be_output: ClassVar[bool] = True
    #: The JSON Schema ``format`` this type checks with :meth:`is_valid` (strings only).
    format: ClassVar[str | None] = None
    #: Digits typed on a Chinese input method may come full-width.
    full_width_input: ClassVar[bool] = False
    type_message: ClassVar[Promise] = _("Enter a text value.")
    format_message: ClassVar[Promise] = _("Enter a valid value.")

    # -- validation and JSON Schema ------------------------------------------------------------

    def is_valid(self, value: str) -> bool:
        """The check behind :attr:`format`."""
        return True

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        """The type's part of the answer's JSON Schema (``type``, ``format``, bounds, …)."""
        schema: dict[str, Any] = {"type": "string"}
        if self.format:
            schema["format"] = self.format
        return schema

    # -- the form ------------------------------------------------------------------------------

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", {"type": "text"})

    def default_hint(self, spec: Mapping) -> str:
        return ""

    def hint(self, spec: Mapping) -> str:
        """The text under the question: the catalog's help and its format hint (a field's or an
        output's plain description of what to enter), else what the type expects."""
        own = [localized(spec[key]) for key in ("help", "hint") if isinstance(spec.get(key), dict) and spec[key]]
        return " ".join(text for text in own if text) or str(self.default_hint(spec))

    @staticmethod
    def example(spec: Mapping) -> str:
        """The catalog's example value of a field or an output ("" when it has none)."""
        example = spec.get("example")
        return example if isinstance(example, str) else ""

    def parse(self, spec: Mapping, raw: str | None) -> Any:
        """Posted text → the JSON answer (``None`` when left blank); :class:`Unparsable` if it
        cannot be one."""
        text = (raw or "").strip()
        if self.full_width_input:
            text = text.translate(_FULL_WIDTH).strip()
        return None if text == "" else self.read(spec, text)

    def read(self, spec: Mapping, text: str) -> Any:
        """Non-blank, stripped text → the answer."""
        return text

    def form_value(self, value: Any) -> str:
        """A stored answer as the text an input shows."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    # -- showing -------------------------------------------------------------------------------

    def display(self, spec: Mapping | None, value: Any) -> str:
        """A stored answer (or issued output) as people read it."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return str(YES if value else NO)
        if isinstance(value, list):
            return join_list(self.display(spec, item) for item in value)
        return str(value)

    def mask(self, value: Any) -> str:
        """The answer where personal data must not be shown whole (lists, logs)."""
        return self.display(None, value)
