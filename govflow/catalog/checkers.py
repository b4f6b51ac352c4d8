"""The automatic checkers a procedure may name, and the decisions they answer with.

A procedure of the catalog may carry ``"automatic": "<dotted name>"``: a checker registered here
decides its cases on a worker instead of a clerk (``govflow.applications.automatic`` runs it).
Checkers are plain functions ``checker(case, application) -> Approve | Reject | HandToClerk``
registered with :func:`checker` under their dotted name ``<module>.<function>``; the catalog
accepts only registered names, importing the module a dotted name points to if need be.

A checker's comment is read by applicants and clerks in their own language, long after the worker
wrote it: a checker registers its sentences with :func:`automatic_comment`, the case stores the
English source text, and :func:`readable_comment` turns a stored comment into the reader's language
when a page or the API shows it (a clerk's own words are shown as written).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


@dataclass(frozen=True)
class Approve:
    """Approve the case with these outputs (checked against the procedure's patterns)."""

    outputs: dict[str, str] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True)
class Reject:
    """Reject the case, giving the reason and its legal basis."""

    comment: str


@dataclass(frozen=True)
class HandToClerk:
    """Change nothing: the case stays in its department's queue for a clerk."""

    reason: str


Decision = Approve | Reject | HandToClerk
Checker = Callable[[Any, Any], Decision]

_registry: dict[str, Checker] = {}


class UnknownChecker(LookupError):
    pass


def checker(fn: Checker) -> Checker:
    """Register ``fn`` under its dotted name ``<module>.<function>``."""
    _registry[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def registered_checkers() -> list[str]:
    return sorted(_registry)


def get_checker(name: str) -> Checker:
    """The registered checker called ``name``; its module is imported first if need be."""
    if not isinstance(name, str) or not _DOTTED.fullmatch(name):
        raise UnknownChecker(f"not a dotted name: {name!r}")
    if name not in _registry:
        module = name.rpartition(".")[0]
        try:
            import_module(module)
        except ImportError:
            pass
    try:
        return _registry[name]
    except KeyError:
        raise UnknownChecker(f"no automatic checker registered as {name!r}") from None


_comments: dict[str, Promise] = {}


def automatic_comment(message: Promise) -> str:
    """Register a checker's comment (a ``gettext_lazy`` sentence); return the text to store: its
    English source, which :func:`readable_comment` translates for each reader."""
    with translation.override(None):
        source = str(message)
    _comments[source] = message
    return source


def readable_comment(text: str) -> str:
    """A stored comment in the active language: a registered checker's comment is translated, any
    other text (a clerk's words) is returned as it is."""
    message = _comments.get(text) if isinstance(text, str) else None
    return str(message) if message is not None else text


def known_checker(name: str) -> bool:
    try:
        get_checker(name)
    except UnknownChecker:
        return False
    return True
