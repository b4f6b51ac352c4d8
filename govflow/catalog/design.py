"""Design-time reading of a one thing's draft: checks beyond the format, critical path.

The admin's designer (issue #6) works on the *draft* (the live rows) through its snapshot, the
same self-contained ``govflow.catalog/1`` document that publishing stores
(:func:`~govflow.catalog.services.build_snapshot`). Everything here is a pure function of such
a document (``services`` loads the draft's: ``check_one_thing``, ``publish``).

* :func:`check_document` runs every rule of the catalog format (``docs/catalog.md``) (:func:`~govflow.catalog.io.validate_document`)
  plus the designer's own: at least one step, and no *unreachable* step (one whose ``when`` can
  never be true, or that comes after such a step). Each problem is *located*: which step, procedure,
  field, material or department it concerns, so that the admin can show it next to that thing.
* :func:`critical_path` is the longest chain of the steps' ``committed_days`` along ``after``; a one
  thing that commits to fewer working days than that is an error: it cannot be published, since it
  would promise citizens a date its own procedures cannot keep.
* what changed between two snapshots, in words, is :func:`govflow.catalog.diff.diff_documents`;
  reading a draft's snapshot without trusting its shape, :mod:`govflow.catalog.drafts`.
* :func:`publish_errors` is the one set of checks publishing applies (the admin's publish and
  ``import_catalog`` both go through :func:`~govflow.catalog.services.publish_one_thing`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from govflow.text import join_list

from .drafts import by_code, committed_days_of, graph_of, one_thing_of, steps_of
from .io import CatalogError, validate_document
from .rules import RuleError, compile_rule

__all__ = [
    "DesignReport",
    "Problem",
    "check_document",
    "commitment_error",
    "critical_path",
    "extra_errors",
    "publish_errors",
    "locate",
    "step_layers",
]

SECTIONS = ("departments", "fields", "materials", "procedures", "one_things")
_PATH_RE = re.compile(r"^\$\.(departments|fields|materials|procedures|one_things)\[(\d+)\](.*)$")
_STEP_RE = re.compile(r"^\.steps\[(\d+)\](.*)$")
_ATTRIBUTE_RE = re.compile(r"^\.([A-Za-z_][A-Za-z0-9_]*)")

# What a section's entries are called in a located problem.
_TARGETS = {"departments": "department", "fields": "field", "materials": "material",
            "procedures": "procedure", "one_things": "one_thing"}


@dataclass(frozen=True)
class Problem:
    """One error or warning, with what it concerns.

    ``target`` is ``document``, ``one_thing``, ``step``, ``procedure``, ``field``, ``material`` or
    ``department``; ``code`` the code of that thing (for a step: its procedure's code);
    ``attribute`` the first key below it (``when``, ``after``, ``committed_days``, ``outputs`` …).
    """

    path: str
    message: str
    target: str = "document"
    code: str | None = None
    attribute: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class DesignReport:
    """What the designer knows about one draft (or version) document."""

    doc: dict
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    critical_days: int = 0
    critical_steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def one_thing(self) -> dict:
        items = self.doc.get("one_things") if isinstance(self.doc, dict) else None
        return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}

    def for_step(self, procedure_code: str) -> list[Problem]:
        return [p for p in self.errors + self.warnings if p.target == "step" and p.code == procedure_code]

    def for_target(self, target: str) -> list[Problem]:
        return [p for p in self.errors + self.warnings if p.target == target]

    def as_catalog_errors(self) -> list[CatalogError]:
        return [CatalogError(p.path, p.message) for p in self.errors]


# ---------------------------------------------------------------------------------------------
# Structure: critical path and layers


def critical_path(doc: Any) -> tuple[int, list[str]]:
    """The longest chain of steps along ``after``, weighted by the procedures' committed days.

    Returns ``(working days, [procedure codes from first to last])``; ``(0, [])`` for a document
    without steps. A cycle (reported by validation) is cut where it closes, so this never loops.
    """
    procedures = by_code(doc, "procedures")
    return graph_of(doc).longest_chain(lambda code: committed_days_of(procedures.get(code)))


def step_layers(doc: Any) -> dict[str, int]:
    """Step → its depth: 0 without prerequisites, else 1 + the deepest prerequisite's depth."""
    return graph_of(doc).depths()


# ---------------------------------------------------------------------------------------------
# Checks


def _never_true(expr: Any) -> bool:
    """Whether a ``when`` is constant and false (``false``, ``1 > 2``): the step never applies."""
    if not isinstance(expr, str) or not expr.strip():
        return False
    try:
        rule = compile_rule(expr)
    except RuleError:
        return False  # reported by validation
    return not rule.names and not rule.evaluate({})


def extra_errors(doc: Any) -> list[CatalogError]:
    """The designer's rules beyond ``validate_document``, for every one thing of the document:
    no unreachable step (one whose ``when`` is never true, or that comes after such a step), and
    no commitment below the critical path (:func:`commitment_error`).

    Paths are the document's own (``$.one_things[2].steps[1]``), so an import reports them
    where they are, like every other error of the document.
    """
    items = doc.get("one_things") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return []
    errors: list[CatalogError] = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            single = {**doc, "one_things": [item]}
            errors += _unreachable_steps(single, f"$.one_things[{index}]")
            errors += commitment_error(single, f"$.one_things[{index}]")
    return errors


def commitment_error(doc: Any, base: str = "$.one_things[0]") -> list[CatalogError]:
    """The (only) one thing of ``doc`` commits to fewer working days than its critical path:
    the portal would promise a date its procedures cannot keep. An error, never a warning."""
    committed = one_thing_of(doc).get("committed_days")
    if not isinstance(committed, int) or isinstance(committed, bool) or committed <= 0:
        return []  # a missing or malformed commitment is reported by validation
    days, chain = critical_path(doc)
    if committed >= days:
        return []
    return [CatalogError(f"{base}.committed_days", _(
        "The one thing commits to %(committed)d working days, but its critical path (%(path)s) takes "
        "%(days)d working days.") % {"committed": committed, "path": " → ".join(chain), "days": days})]


def _unreachable_steps(doc: dict, base: str) -> list[CatalogError]:
    """The unreachable steps of the document's (only) one thing, with paths under ``base``."""
    errors: list[CatalogError] = []
    one_thing = one_thing_of(doc)
    steps = one_thing.get("steps")
    if not isinstance(steps, list):
        return errors  # a missing or malformed list is reported by validation (so is an empty one)
    graph = graph_of(doc)
    whens: dict[str, Any] = {}
    for step in steps_of(doc):
        whens.setdefault(step["procedure"], step.get("when"))
    dead: dict[str, str] = {}  # code -> why
    for code in graph.order:  # prerequisites first
        if _never_true(whens.get(code)):
            dead[code] = "its condition ('when') is never true, so it never applies"
            continue
        prerequisite = next((p for p in graph.prerequisites(code) if p in dead), None)
        if prerequisite is not None:
            dead[code] = f"it comes after {prerequisite!r}, which never applies, so it can never start"

    seen: set[str] = set()
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("procedure"), str):
            continue
        code = step["procedure"]
        if code in seen:
            continue  # a duplicate step, reported by validation
        seen.add(code)
        if code in dead:
            errors.append(CatalogError(f"{base}.steps[{index}]", f"unreachable step: {dead[code]}"))
    return errors


def publish_errors(doc: Any) -> list[CatalogError]:
    """Every error that stops a document from being published (the format's rules, then the
    designer's: unreachable steps, a commitment below the critical path). The one set of checks: the admin's publish, the import and the designer's
    report all use it."""
    errors = validate_document(doc)
    return errors + extra_errors(doc)


def locate(error: CatalogError, doc: Any) -> Problem:
    """Which step, procedure, field, material or department a JSON path points into."""
    match = _PATH_RE.match(error.path)
    if not match:
        return Problem(error.path, error.message)
    section, index, rest = match.group(1), int(match.group(2)), match.group(3)
    items = doc.get(section) if isinstance(doc, dict) else None
    item = items[index] if isinstance(items, list) and index < len(items) else None
    code = item.get("code") if isinstance(item, dict) and isinstance(item.get("code"), str) else None
    if section == "one_things":
        step_match = _STEP_RE.match(rest)
        if step_match:
            steps = item.get("steps") if isinstance(item, dict) else None
            position = int(step_match.group(1))
            step = steps[position] if isinstance(steps, list) and position < len(steps) else None
            procedure = step.get("procedure") if isinstance(step, dict) else None
            attribute = _ATTRIBUTE_RE.match(step_match.group(2))
            return Problem(error.path, error.message, "step", procedure if isinstance(procedure, str) else None,
                           attribute.group(1) if attribute else None)
    attribute = _ATTRIBUTE_RE.match(rest)
    return Problem(error.path, error.message, _TARGETS[section], code, attribute.group(1) if attribute else None)


def check_document(doc: Any) -> DesignReport:
    """Every error (format rules and the designer's) and warning of a one-thing document."""
    errors = publish_errors(doc)
    days, chain = critical_path(doc)
    report = DesignReport(doc=doc if isinstance(doc, dict) else {}, critical_days=days, critical_steps=chain)
    report.errors = [locate(e, doc) for e in errors]
    report.warnings += _guide_warnings(doc)
    return report


def _guide_warnings(doc: Any) -> list[Problem]:
    """Guide questions that decide nothing, and rules that depend on answers given only later."""
    one_thing = one_thing_of(doc)
    guide = [g for g in one_thing.get("guide", []) if isinstance(g, str)] if isinstance(
        one_thing.get("guide"), list) else []
    named: set[str] = set()
    warnings: list[Problem] = []
    for index, step in enumerate(one_thing.get("steps") or []):
        if not isinstance(step, dict) or not isinstance(step.get("when"), str) or not step["when"].strip():
            continue
        try:
            names = compile_rule(step["when"]).names
        except RuleError:
            continue
        named |= names
        later = sorted(names - set(guide))
        if later:
            warnings.append(Problem(
                f"$.one_things[0].steps[{index}].when",
                _("This condition uses %(fields)s, which the guide does not ask first: the citizen learns "
                  "whether this step applies only after filling in the form.") % {"fields": join_list(later)},
                "step", step.get("procedure") if isinstance(step.get("procedure"), str) else None, "when"))
    for index, code in enumerate(guide):
        if code not in named:
            warnings.append(Problem(
                f"$.one_things[0].guide[{index}]",
                _("The guide asks %(field)s first, but no step's condition uses it.") % {"field": code},
                "one_thing", one_thing.get("code") if isinstance(one_thing.get("code"), str) else None, "guide"))
    return warnings
