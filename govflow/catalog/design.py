"""Design-time reading of a one thing's draft: checks beyond the format, critical path, diff.

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
* :func:`diff_documents` lists, in words, what changed between two snapshots (the published
  version and the draft), so administrators see what they are about to publish.
* :func:`publish_errors` is the one set of checks publishing applies (the admin's publish and
  ``import_catalog`` both go through :func:`~govflow.catalog.services.publish_one_thing`).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govflow.text import join_list

from .io import CatalogError, validate_document
from .models import ApplicantKind, localized
from .rules import RuleError, compile_rule
from .steps import StepGraph

__all__ = [
    "Change",
    "DesignReport",
    "Problem",
    "check_document",
    "commitment_error",
    "critical_path",
    "diff_documents",
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
# Reading a snapshot defensively: drafts may be invalid, and nothing here may raise on them.


def _one_thing(doc: Any) -> dict:
    items = doc.get("one_things") if isinstance(doc, dict) else None
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return {}


def _steps(doc: Any) -> list[dict]:
    steps = _one_thing(doc).get("steps")
    if not isinstance(steps, list):
        return []
    return [s for s in steps if isinstance(s, dict) and isinstance(s.get("procedure"), str)]


def _by_code(doc: Any, section: str) -> dict[str, dict]:
    items = doc.get(section) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return {}
    return {i["code"]: i for i in items if isinstance(i, dict) and isinstance(i.get("code"), str)}


def _after(step: dict) -> list[str]:
    after = step.get("after")
    return [a for a in after if isinstance(a, str)] if isinstance(after, list) else []


def _codes(value: Any) -> list[str]:
    """The strings of a JSON list (anything else: none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _days(procedure: dict | None) -> int:
    value = (procedure or {}).get("committed_days")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _graph(doc: Any) -> StepGraph:
    return StepGraph.of_steps(_one_thing(doc).get("steps"))


# ---------------------------------------------------------------------------------------------
# Structure: critical path and layers


def critical_path(doc: Any) -> tuple[int, list[str]]:
    """The longest chain of steps along ``after``, weighted by the procedures' committed days.

    Returns ``(working days, [procedure codes from first to last])``; ``(0, [])`` for a document
    without steps. A cycle (reported by validation) is cut where it closes, so this never loops.
    """
    procedures = _by_code(doc, "procedures")
    return _graph(doc).longest_chain(lambda code: _days(procedures.get(code)))


def step_layers(doc: Any) -> dict[str, int]:
    """Step → its depth: 0 without prerequisites, else 1 + the deepest prerequisite's depth."""
    return _graph(doc).depths()


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
    committed = _one_thing(doc).get("committed_days")
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
    one_thing = _one_thing(doc)
    steps = one_thing.get("steps")
    if not isinstance(steps, list):
        return errors  # a missing or malformed list is reported by validation (so is an empty one)
    graph = _graph(doc)
    whens: dict[str, Any] = {}
    for step in _steps(doc):
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
    one_thing = _one_thing(doc)
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


# ---------------------------------------------------------------------------------------------
# Diff


@dataclass(frozen=True)
class Change:
    """One readable change: ``subject`` (``Step tax-registration``) and what happened to it."""

    kind: str  # added | removed | changed
    subject: str
    text: str


#: What administrators call the keys a diff mentions (the designer's words, not the format's).
_KEY_LABELS = {
    "name": gettext_lazy("name"), "description": gettext_lazy("description"),
    "department": gettext_lazy("department"), "statutory_days": gettext_lazy("statutory working days"),
    "committed_days": gettext_lazy("committed working days"), "automatic": gettext_lazy("automatic checker"),
    "code": gettext_lazy("code"), "division": gettext_lazy("division"),
    "route_by": gettext_lazy("place that decides the office"), "applicant": gettext_lazy("who may apply"),
    "label": gettext_lazy("label"), "type": gettext_lazy("type"), "pattern": gettext_lazy("format (pattern)"),
    "max_length": gettext_lazy("maximum length"), "min": gettext_lazy("minimum"), "max": gettext_lazy("maximum"),
    "choices": gettext_lazy("choices"), "help": gettext_lazy("help text"),
    "accepted_types": gettext_lazy("accepted file types"), "max_size_mb": gettext_lazy("maximum size (MB)"),
}


def _show(value: Any, both: bool = False) -> str:
    """A value as a diff shows it: a label in the page's language (both languages when ``both``, for
    a change the page's language does not show), lists as the page's language lists them."""
    if value is None or value == "" or value == [] or value == {}:
        return _("(none)")
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        shown = localized(value) if not both else " / ".join(v for v in (value.get("en"), value.get("zh-hans")) if v)
        return shown or json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return join_list(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _list_changes(subject: str, what: str, old: list, new: list, out: list[Change],
                  name: Callable[[str], str] = str) -> None:
    """Added and removed members of a list of codes (each shown by ``name``); a mere reordering is
    said once."""
    added = [v for v in new if v not in old]
    removed = [v for v in old if v not in new]
    for value in added:
        out.append(Change("added", subject, _("%(what)s: added %(value)s") % {"what": what, "value": name(value)}))
    for value in removed:
        out.append(Change("removed", subject, _("%(what)s: removed %(value)s") % {"what": what,
                                                                                  "value": name(value)}))
    if not added and not removed and old != new:
        out.append(Change("changed", subject, _("%(what)s: new order %(order)s") % {
            "what": what, "order": join_list(name(v) for v in new)}))


def _value_changes(subject: str, old: dict, new: dict, keys: Iterable[str], out: list[Change]) -> None:
    for key in keys:
        if old.get(key) != new.get(key):
            before, after = _show(old.get(key)), _show(new.get(key))
            if before == after:  # e.g. only the other language's text changed
                before, after = _show(old.get(key), both=True), _show(new.get(key), both=True)
            out.append(Change("changed", subject, _("%(key)s: %(old)s → %(new)s") % {
                "key": _KEY_LABELS.get(key, key.replace("_", " ")), "old": before, "new": after}))


class _Names:
    """Things of the two documents by what administrators call them (their label in the page's
    language, the code when they have none), so that a diff never shows a bare code."""

    def __init__(self, old: dict, new: dict) -> None:
        self.labels: dict[tuple[str, str], Any] = {}
        for doc in (old, new):
            for section, key in (("fields", "label"), ("materials", "label"), ("procedures", "name"),
                                 ("departments", "name")):
                for code, item in _by_code(doc, section).items():
                    self.labels[section, code] = item.get(key)
            for procedure in _by_code(doc, "procedures").values():
                for output in _items(procedure.get("outputs")):
                    if isinstance(output.get("code"), str):
                        self.labels["outputs", output["code"]] = output.get("label")

    def of(self, section: str) -> Callable[[str], str]:
        return lambda code: display_name(self.labels.get((section, code)), code)


def _items(value: Any) -> list[dict]:
    """The objects of a JSON list (anything else: none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _refs(procedure: dict, member: str, key: str) -> dict[str, bool]:
    return {e[key]: e.get("required", True) for e in _items(procedure.get(member)) if isinstance(e.get(key), str)}


def _procedure_changes(code: str, old: dict, new: dict, out: list[Change], names: _Names) -> None:
    subject = _("Procedure %(code)s") % {"code": names.of("procedures")(code)}
    _value_changes(subject, old, new, ("name", "description", "department", "statutory_days", "committed_days",
                                       "legal_basis", "fees", "automatic", "physical_results", "remedy"), out)
    for member, key, what in (("fields", "field", _("fields")), ("materials", "material", _("materials"))):
        before, after = _refs(old, member, key), _refs(new, member, key)
        _list_changes(subject, what, list(before), list(after), out, names.of(member))
        for ref in after:
            if ref in before and before[ref] != after[ref]:
                out.append(Change("changed", subject, (
                    _("%(what)s: %(ref)s is now required") if after[ref] else
                    _("%(what)s: %(ref)s is now optional")) % {"what": what, "ref": names.of(member)(ref)}))
    _list_changes(subject, _("inputs from other procedures"), _codes(old.get("needs_outputs")),
                  _codes(new.get("needs_outputs")), out, names.of("outputs"))
    before = {o["code"]: o for o in _items(old.get("outputs")) if isinstance(o.get("code"), str)}
    after = {o["code"]: o for o in _items(new.get("outputs")) if isinstance(o.get("code"), str)}
    _list_changes(subject, _("outputs"), list(before), list(after), out, names.of("outputs"))
    for output in after:
        if output in before:
            _value_changes(_("Output %(code)s") % {"code": names.of("outputs")(output)}, before[output],
                           after[output], ("label", "type", "pattern", "hint", "example"), out)


def diff_documents(old: Any, new: Any) -> list[Change]:
    """What changed from ``old`` to ``new`` (two one-thing snapshots), in words, in a stable order.

    ``old`` may be ``None`` (never published): every step is then "added".
    """
    out: list[Change] = []
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    old_ot, new_ot = _one_thing(old), _one_thing(new)
    names = _Names(old, new)
    step_name = names.of("procedures")
    subject = _("One thing")
    _value_changes(subject, old_ot, new_ot, ("code", "name", "description", "keywords", "committed_days",
                                             "division", "route_by"), out)
    # Absent is "person" (the export writes only the others): say what changed, not "(none)"; the
    # kinds by their names, not their codes.
    kinds = dict(ApplicantKind.choices)

    def kind(doc: dict) -> dict:
        value = doc.get("applicant") or ApplicantKind.PERSON
        return {"applicant": str(kinds.get(value, value))}

    _value_changes(subject, kind(old_ot) if old_ot else {}, kind(new_ot), ("applicant",), out)
    _list_changes(subject, _("guide questions"), _codes(old_ot.get("guide")), _codes(new_ot.get("guide")), out,
                  names.of("fields"))

    old_steps = {s["procedure"]: s for s in _steps(old)}
    new_steps = {s["procedure"]: s for s in _steps(new)}
    for code, step in new_steps.items():
        step_subject = _("Step %(code)s") % {"code": step_name(code)}
        if code not in old_steps:
            out.append(Change("added", step_subject, _("added")))
            continue
        before = old_steps[code]
        _list_changes(step_subject, _("after"), _after(before), _after(step), out, step_name)
        if (before.get("when") or "") != (step.get("when") or ""):
            out.append(Change("changed", step_subject, _("when: %(old)s → %(new)s") % {
                "old": before.get("when") or _("(always)"), "new": step.get("when") or _("(always)")}))
    for code in old_steps:
        if code not in new_steps:
            out.append(Change("removed", _("Step %(code)s") % {"code": step_name(code)}, _("removed")))
    if [c for c in old_steps if c in new_steps] != [c for c in new_steps if c in old_steps]:
        out.append(Change("changed", subject, _("steps: new order %(order)s") % {
            "order": join_list(step_name(c) for c in new_steps)}))

    old_procedures, new_procedures = _by_code(old, "procedures"), _by_code(new, "procedures")
    for code, procedure in new_procedures.items():
        if code in old_procedures and old_procedures[code] != procedure:
            _procedure_changes(code, old_procedures[code], procedure, out, names)

    for section, label, keys in (
        ("fields", _("Field %(code)s"), ("label", "type", "max_length", "pattern", "min", "max", "choices", "help",
                                               "hint", "example")),
        ("materials", _("Material %(code)s"), ("label", "accepted_types", "max_size_mb", "sample")),
        ("departments", _("Department %(code)s"), ("name",)),
    ):
        before_items, after_items = _by_code(old, section), _by_code(new, section)
        for code, item in after_items.items():
            if code in before_items and before_items[code] != item:
                _value_changes(label % {"code": names.of(section)(code)}, before_items[code], item, keys, out)
    return out


def display_name(labels: Any, code: str | None = None) -> str:
    """A ``{language: text}`` object in the active language, or the code."""
    return (localized(labels) if isinstance(labels, dict) else "") or (code or "")
