"""Validation of a ``govflow.catalog/1`` document: every problem, each with its JSON path.

Three passes, all of which read any JSON value without raising:

1. text that :mod:`govflow.text` refuses (alone: later messages quote codes, which must be printable);
2. the document's shape, by its JSON Schema (:mod:`.structure`);
3. what a schema cannot say (:mod:`.semantics`): codes defined once, every reference naming
   something the document defines, no cycle in ``after``, needed outputs issued upstream, ``when``
   valid CEL over fields the one thing asks, patterns that compile, committed days within statutory
   days, registered automatic checkers. This pass skips whatever has the wrong shape (pass 2
   reports it).

A location with a shape error gets no other error: the shape is what needs fixing there.
"""
from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govflow.text import has_bad_text

from .format import SECTIONS, CatalogError, json_key
from .semantics import Semantics
from .structure import structure_errors

__all__ = ["validate_document"]

BAD_TEXT = gettext_lazy("holds characters that are not allowed (NUL, control characters other than line breaks and "
                        "tabs, text-direction overrides or invalid Unicode)")


def _bad_text(doc: Any) -> list[CatalogError]:
    """Strings that break :mod:`govflow.text` (text may span lines; keys may not), by path."""
    errors: list[CatalogError] = []
    stack: list[tuple[str, Any]] = [("$", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if has_bad_text(value, multiline=True):
                errors.append(CatalogError(path, str(BAD_TEXT)))
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(key, str) and has_bad_text(key):
                    errors.append(CatalogError(path, _("a key %(problem)s") % {"problem": BAD_TEXT}))
                else:
                    stack.append((json_key(path, key), inner))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", inner) for index, inner in enumerate(value))
    return sorted(errors, key=lambda e: e.path)


_PLACE_RE = re.compile(r"^\$(?:\.([A-Za-z_]+))?(?:\[(\d+)\])?")


def _place(error: CatalogError) -> tuple[int, int]:
    """Where an error is in the document: its section (in the format's order) and its item."""
    match = _PLACE_RE.match(error.path)
    section = match.group(1) if match else None
    rank = SECTIONS.index(section) + 1 if section in SECTIONS else 0  # format and unknown keys first
    return rank, int(match.group(2)) if match and match.group(2) else -1


def validate_document(doc: Any) -> list[CatalogError]:
    """Every problem of a ``govflow.catalog/1`` document, section by section (empty when valid).

    Never raises, whatever JSON value it is given.
    """
    try:
        # Bad text first and alone: the other messages quote codes, which must then be printable.
        bad = _bad_text(doc)
        if bad:
            return bad
        shape = structure_errors(doc)
        misshapen = {e.path for e in shape}
        meaning = [e for e in Semantics().run(doc) if e.path not in misshapen]
        return sorted(shape + meaning, key=_place)
    except RecursionError:  # pragma: no cover - only absurdly nested input could get here
        return [CatalogError("$", _("the document is nested too deeply"))]
