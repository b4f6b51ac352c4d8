"""The API's JSON parser: any body that is not JSON we accept is a ``400``, never a ``500``.

DRF's ``JSONParser`` turns a ``ValueError`` into ``ParseError`` but lets ``RecursionError`` (a body
of ``[`` × 50,000) escape as a 500. Here that is a ``400`` too, and nesting is bounded explicitly:
no legitimate body of this API nests deeper than :data:`MAX_DEPTH` levels, so anything deeper is
refused with a clear message before a view sees it.
"""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

__all__ = ["MAX_DEPTH", "SafeJSONParser", "json_depth_exceeds", "too_deep_message"]

#: Arrays and objects inside each other; an application's answers need 2 or 3.
MAX_DEPTH = 64


def json_depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests arrays/objects more than ``limit`` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def too_deep_message() -> str:
    return gettext("The JSON body is nested too deeply (at most %(max)d levels).") % {"max": MAX_DEPTH}


class SafeJSONParser(JSONParser):
    """``JSONParser`` that answers ``400`` for too deep nesting instead of raising ``RecursionError``."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep_message()) from None
        if json_depth_exceeds(data):
            raise ParseError(too_deep_message())
        return data
