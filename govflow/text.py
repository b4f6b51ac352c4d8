"""The one rule for text a person or a system sends us (a domain rule: every interface relies on it).

- Never: NUL (PostgreSQL cannot store it in ``text`` or ``jsonb``) and unpaired UTF-16 surrogates
  (``"\\ud800"`` in JSON decodes to a Python string that cannot be encoded as UTF-8).
- In single-line text (names, usernames, codes, answers of one line, file names): no control
  characters (C0 ``U+0000–U+001F``, ``U+007F``, C1 ``U+0080–U+009F``) and no bidirectional
  overrides or isolates (``U+202A–U+202E``, ``U+2066–U+2069``), which can make a name read
  differently from what it is.
- Multi-line text (comments, correction messages, long answers) may also hold line breaks
  (``\\n``, ``\\r\\n``) and tabs; every other character above is refused there too.

Imports nothing from the project, so every domain package (catalog, applications, accounts) can
use it; interfaces get the same rule through the services and the Django/DRF validators below.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy, pgettext

__all__ = [
    "INVALID_TEXT_CODE",
    "bad_text_in",
    "has_bad_text",
    "invalid_text_message",
    "join_list",
    "validate_multi_line_text",
    "validate_single_line_text",
]

INVALID_TEXT_CODE = "invalid_text"

_NEVER = "\x00\ud800-\udfff"
_BIDI = "\u202a-\u202e\u2066-\u2069"
_C0_C1 = "\x00-\x1f\x7f-\x9f"
_SINGLE_LINE_BAD = re.compile(f"[{_C0_C1}{_BIDI}{_NEVER}]")
# Line feed and tab may stay; a carriage return only as part of CRLF.
_MULTI_LINE_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_NEVER}]|\r(?!\n)")

_MESSAGE = gettext_lazy("Remove the characters that are not allowed here: control characters, "
                        "text-direction overrides or invalid Unicode.")


def invalid_text_message() -> str:
    """The message for text that breaks the rule, in the active language."""
    return str(_MESSAGE)


def has_bad_text(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` breaks the rule (single-line unless ``multiline``)."""
    pattern = _MULTI_LINE_BAD if multiline else _SINGLE_LINE_BAD
    return pattern.search(value) is not None


def _strings(value: Any) -> Iterator[tuple[str, bool]]:
    """Every string in a JSON value, as ``(string, is_a_key)``, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item, False
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str):
                    yield key, True
                stack.append(inner)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def bad_text_in(value: Any, *, multiline: bool = False) -> bool:
    """Whether any string in a JSON value breaks the rule (keys are always single-line)."""
    return any(has_bad_text(text, multiline=multiline and not is_key) for text, is_key in _strings(value))


def validate_single_line_text(value: Any) -> None:
    """Django/DRF validator for a one-line field."""
    if isinstance(value, str) and has_bad_text(value):
        raise ValidationError(_MESSAGE, code=INVALID_TEXT_CODE)


def validate_multi_line_text(value: Any) -> None:
    """Django/DRF validator for a field that may hold line breaks and tabs."""
    if isinstance(value, str) and has_bad_text(value, multiline=True):
        raise ValidationError(_MESSAGE, code=INVALID_TEXT_CODE)


def join_list(items: Any) -> str:
    """Items as the reader's language lists them: "A, B, C" in English, "A、B、C" in Chinese.

    The one list join of every page, email and message (templates use the ``listing`` filter of
    the portal and the workbench), so no list is ever joined with another language's separator.
    """
    return pgettext("separator between the items of a list", ", ").join(str(item) for item in items)
