"""The semantic pass over a ``govflow.catalog/1`` document: what its JSON Schema cannot say.

Codes defined once, every reference naming something the document defines, no cycle in
``after``, needed outputs issued upstream, ``when`` valid CEL over fields the one thing asks,
patterns that compile, committed days within statutory days, registered automatic checkers.
It skips whatever has the wrong shape (the structure pass, :mod:`.structure`, reports it) and
reads any JSON value without raising.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..answers import example_problem
from ..checkers import known_checker
from ..fieldtypes import FIELD_TYPES, types_with
from ..physical import METHODS, methods_for
from ..rules import RuleError, compile_rule
from ..steps import StepGraph
from ..triggers import trigger_problems
from .format import (
    ACCEPTED_MATERIAL_TYPES,
    MAX_DAYS,
    PATTERN_MAX,
    WHEN_MAX,
    CatalogError,
    json_key,
    material_type,
)

__all__ = ["Semantics"]

_NUMBER_OPTIONS = types_with("min")

#: What each kind of definition is called in a message (the messages are the administrators').
KINDS = {
    "department": gettext_lazy("department"), "division": gettext_lazy("division"), "field": gettext_lazy("field"),
    "material": gettext_lazy("material"), "office": gettext_lazy("office"), "one thing": gettext_lazy("one thing"),
    "output": gettext_lazy("output"), "procedure": gettext_lazy("procedure"),
}


def _items(obj: Any, name: str, path: str) -> list[tuple[Any, str]]:
    """``[(item, item_path)]`` of a list member (anything else: none)."""
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, list):
        return []
    where = json_key(path, name)
    return [(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _objects(obj: Any, name: str, path: str) -> list[tuple[dict, str]]:
    return [(item, item_path) for item, item_path in _items(obj, name, path) if isinstance(item, dict)]


def _days(value: Any) -> int | None:
    valid = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DAYS
    return value if valid else None


@dataclass
class _ProcedureInfo:
    """What the one-thing checks need to know about a procedure of the document."""

    path: str
    fields: list[str] = field(default_factory=list)
    needs_outputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    physical_results: list[dict] = field(default_factory=list)
    automatic: bool = False


class Semantics:
    """Collects every semantic error of a document in one pass over it (never raises)."""

    def __init__(self) -> None:
        self.errors: list[CatalogError] = []
        self.departments: dict[str, str] = {}  # code -> path where it is defined
        self.fields: dict[str, str] = {}
        self.materials: dict[str, str] = {}
        self.procedures: dict[str, _ProcedureInfo] = {}
        self.procedure_paths: dict[str, str] = {}
        self.outputs: dict[str, str] = {}  # output code -> issuing procedure code
        self.output_paths: dict[str, str] = {}
        self.one_things: dict[str, str] = {}
        self.divisions: dict[str, str] = {}
        self.offices: dict[str, str] = {}
        self.field_types: dict[str, Any] = {}  # field code -> its type

    def error(self, path: str, message: str) -> None:
        self.errors.append(CatalogError(path, message))

    def register(self, registry: dict[str, str], kind: str, obj: dict, path: str) -> str | None:
        """Record a definition by its code; reports a duplicate (the first definition wins).

        A malformed but textual code is still recorded, so that references to it do not produce
        a second, misleading "unknown" error."""
        code = obj.get("code")
        if not isinstance(code, str):
            return None
        if code in registry:
            self.error(json_key(path, "code"), _("duplicate %(kind)s code '%(code)s' (first defined at %(path)s)") % {
                "kind": KINDS.get(kind, kind), "code": code, "path": registry[code]})
            return None
        registry[code] = path
        return code

    def reference(self, value: Any, path: str, registry: dict, kind: str) -> str | None:
        """A code that must name something defined in the document."""
        if not isinstance(value, str):
            return None
        if value not in registry:
            self.error(path, _("unknown %(kind)s '%(code)s'") % {"kind": KINDS.get(kind, kind), "code": value})
            return None
        return value

    def pattern(self, obj: dict, path: str) -> bool:
        """Report a pattern that does not compile; whether the entry's pattern is usable."""
        value = obj.get("pattern")
        if value is None or value == "":
            return True
        if not isinstance(value, str) or len(value) > PATTERN_MAX:
            return False
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError, ValueError) as exc:
            self.error(json_key(path, "pattern"), _("not a valid regular expression: %(error)s") % {"error": exc})
            return False
        return True

    def example(self, obj: dict, path: str, *, pattern_ok: bool) -> None:
        """An example must itself be a value the field (or output) accepts: its type, format and pattern."""
        example = obj.get("example")
        if not isinstance(example, str) or not example.strip() or not pattern_ok \
                or obj.get("type", "string") not in FIELD_TYPES:
            return
        try:
            problem = example_problem(obj)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError):
            return  # the entry's own shape is wrong: pass 2 reports that
        if problem is not None:
            self.error(json_key(path, "example"), _("the example %(example)r is not a value this accepts: %(problem)s") % {
                "example": example, "problem": problem})

    def keywords(self, obj: dict, path: str) -> None:
        """A word listed twice in one language (ignoring case) is a mistake."""
        keywords = obj.get("keywords")
        if not isinstance(keywords, dict):
            return
        for language in keywords:
            seen: dict[str, int] = {}
            for word, word_path in _items(keywords, language, json_key(path, "keywords")):
                if not isinstance(word, str):
                    continue
                key = word.strip().casefold()
                if key in seen:
                    self.error(word_path, _("keyword %(word)r is listed twice (first at index %(index)s)") % {
                        "word": word, "index": seen[key]})
                else:
                    seen[key] = int(word_path.rsplit("[", 1)[1][:-1])

    # -- document -------------------------------------------------------------------------

    def run(self, doc: Any) -> list[CatalogError]:
        if not isinstance(doc, dict):
            return self.errors
        for item, path in _objects(doc, "divisions", "$"):
            self.register(self.divisions, "division", item, path)
        for item, path in _objects(doc, "divisions", "$"):
            parent = item.get("parent")
            if isinstance(parent, str) and parent == item.get("code"):
                self.error(json_key(path, "parent"), _("a division cannot be its own parent"))
        for item, path in _objects(doc, "departments", "$"):
            self.register(self.departments, "department", item, path)
        places: dict[tuple[str, str], str] = {}
        for item, path in _objects(doc, "offices", "$"):
            self.register(self.offices, "office", item, path)
            department = self.reference(item.get("department"), json_key(path, "department"), self.departments,
                                        "department")
            division = item.get("division")
            if department is not None and isinstance(division, str):
                if (department, division) in places:
                    self.error(json_key(path, "division"), _(
                        "department '%(department)s' already has an office at division %(division)s (at %(path)s)") % {
                        "department": department, "division": division, "path": places[department, division]})
                else:
                    places[department, division] = path
        for item, path in _objects(doc, "fields", "$"):
            self.field(item, path)
        for item, path in _objects(doc, "materials", "$"):
            self.material(item, path)
        # Procedures in two passes: needs_outputs may name an output of a later procedure.
        procedures = _objects(doc, "procedures", "$")
        for item, path in procedures:
            self.procedure_definitions(item, path)
        for item, path in procedures:
            self.procedure_references(item, path)
        for item, path in _objects(doc, "one_things", "$"):
            self.one_thing(item, path)
        for item, path in _objects(doc, "one_things", "$"):
            self.triggers(item, path)
        for item, path in procedures:
            self.triggers(item, path, procedure=True)
        return self.errors

    def field(self, obj: dict, path: str) -> None:
        code = self.register(self.fields, "field", obj, path)
        if code is not None:
            self.field_types[code] = obj.get("type", "string")
        self.example(obj, path, pattern_ok=self.pattern(obj, path))
        bounds = {option: obj[option] for option in ("min", "max") if isinstance(obj.get(option), (int, float))
                  and not isinstance(obj[option], bool)}
        for option, value in bounds.items():
            if not math.isfinite(value):  # Python's JSON reads NaN and Infinity; the schema cannot tell
                self.error(json_key(path, option), _("must be a number"))
        if (obj.get("type") in _NUMBER_OPTIONS and len(bounds) == 2
                and all(math.isfinite(v) for v in bounds.values()) and bounds["min"] > bounds["max"]):
            self.error(json_key(path, "min"), _("must not be greater than max"))
        seen: dict[str, str] = {}
        for choice, choice_path in _objects(obj, "choices", path):
            value = choice.get("value")
            if not isinstance(value, str):
                continue
            if value in seen:
                self.error(json_key(choice_path, "value"),
                           _("duplicate choice value '%(value)s' (first at %(path)s)") % {
                               "value": value, "path": seen[value]})
            else:
                seen[value] = choice_path

    def material(self, obj: dict, path: str) -> None:
        self.register(self.materials, "material", obj, path)
        seen: set[str] = set()
        for value, value_path in _items(obj, "accepted_types", path):
            canonical = material_type(value)
            if canonical not in ACCEPTED_MATERIAL_TYPES:
                continue
            if canonical in seen:
                self.error(value_path, (_("duplicate file type '%(value)s' (the same as '%(same)s')")
                                        if canonical != value else _("duplicate file type '%(value)s'")) % {
                    "value": value, "same": canonical})
            seen.add(canonical)

    def procedure_definitions(self, obj: dict, path: str) -> None:
        """First pass: the procedure's own data and its outputs (so that references resolve)."""
        code = self.register(self.procedure_paths, "procedure", obj, path)
        info = _ProcedureInfo(path=path)
        if code is not None:
            self.procedures[code] = info
        info.automatic = isinstance(obj.get("automatic"), str) and bool(obj["automatic"].strip())
        self.automatic(obj, path)
        self.deferral(obj, path)
        statutory, committed = _days(obj.get("statutory_days")), _days(obj.get("committed_days"))
        if statutory is not None and committed is not None and committed > statutory:
            self.error(json_key(path, "committed_days"),
                       _("committed days (%(committed)s) must not exceed statutory days (%(statutory)s)") % {
                           "committed": committed, "statutory": statutory})
        for out, output_path in _objects(obj, "outputs", path):
            output_code = self.register(self.output_paths, "output", out, output_path)
            if output_code is not None and code is not None:
                self.outputs[output_code] = code
                info.outputs.append(output_code)
            self.example(out, output_path, pattern_ok=self.pattern(out, output_path))
        seen: dict[str, str] = {}
        for result, result_path in _objects(obj, "physical_results", path):
            result_code = result.get("code")
            if not isinstance(result_code, str):
                continue
            if result_code in seen:
                self.error(json_key(result_path, "code"),
                           _("duplicate physical result %(code)r (first at %(first)s)") % {
                               "code": result_code, "first": seen[result_code]})
            else:
                seen[result_code] = result_path
            methods = result.get("methods")
            if isinstance(methods, list) and methods and all(method in METHODS for method in methods):
                info.physical_results.append(result)  # a wrong shape is the structure pass's to report

    def deferral(self, obj: dict, path: str) -> None:
        """容缺受理: only a required material is deferrable, and only a conditional approval can be
        revoked when a deferred material is missed (each reported; the schema checks the shapes)."""
        for entry, entry_path in _objects(obj, "materials", path):
            if isinstance(entry.get("deferrable"), dict) and entry.get("required", True) is False:
                self.error(json_key(entry_path, "deferrable"),
                           _("only a required material can be deferrable (this one is optional)"))
        policy = obj.get("deferral")
        if isinstance(policy, dict) and policy.get("on_missed") == "revoke" \
                and policy.get("conditional_approval") is not True:
            self.error(json_key(json_key(path, "deferral"), "on_missed"),
                       _("'revoke' needs conditional_approval: true (only a conditional approval can be revoked)"))

    def automatic(self, obj: dict, path: str) -> None:
        """An optional automatic checker: the dotted name of a registered checker."""
        name = obj.get("automatic")
        if not isinstance(name, str) or not name.strip():
            return
        if not known_checker(name):
            self.error(json_key(path, "automatic"), _(
                "unknown automatic checker '%(name)s'; expected the dotted name of a checker registered with "
                "govflow.catalog.checkers") % {"name": name})

    def procedure_references(self, obj: dict, path: str) -> None:
        """Second pass: department, fields, materials and needed outputs must exist."""
        code = obj.get("code") if isinstance(obj.get("code"), str) else None
        info = self.procedures.get(code) if code is not None else None
        if info is not None and info.path != path:
            info = None  # a duplicate: only the first definition feeds the one-thing checks
        if "department" in obj:
            self.reference(obj["department"], json_key(path, "department"), self.departments, "department")
        for member, key, registry in (("fields", "field", self.fields), ("materials", "material", self.materials)):
            seen: dict[str, str] = {}
            for entry, entry_path in _objects(obj, member, path):
                ref = self.reference(entry.get(key), json_key(entry_path, key), registry, key)
                if ref is None:
                    continue
                if ref in seen:
                    self.error(json_key(entry_path, key),
                               _("%(kind)s '%(code)s' is listed twice (first at %(path)s)") % {
                                   "kind": KINDS.get(key, key), "code": ref, "path": seen[ref]})
                    continue
                seen[ref] = entry_path
                if member == "fields" and info is not None:
                    info.fields.append(ref)
        needed: set[str] = set()
        for value, value_path in _items(obj, "needs_outputs", path):
            ref = self.reference(value, value_path, self.outputs, "output")
            if ref is None:
                continue
            if ref in needed:
                self.error(value_path, _("output '%(code)s' is listed twice") % {"code": ref})
            elif code is not None and self.outputs.get(ref) == code:
                self.error(value_path, _("a procedure cannot need its own output '%(code)s'") % {"code": ref})
            else:
                needed.add(ref)
                if info is not None:
                    info.needs_outputs.append(ref)

    def one_thing(self, obj: dict, path: str) -> None:
        self.register(self.one_things, "one thing", obj, path)
        self.keywords(obj, path)
        guide: list[str] = []
        for value, value_path in _items(obj, "guide", path):
            ref = self.reference(value, value_path, self.fields, "field")
            if ref is None:
                continue
            if ref in guide:
                self.error(value_path, _("field '%(code)s' is listed twice in the guide") % {"code": ref})
            else:
                guide.append(ref)

        # First the steps' procedures, so that ``after`` can refer to a later step.
        steps: list[tuple[str, dict, str]] = []  # (procedure code, step, path) of resolvable steps
        step_paths: dict[str, str] = {}
        parsed = _objects(obj, "steps", path)
        for step, entry_path in parsed:
            where = json_key(entry_path, "procedure")
            ref = self.reference(step.get("procedure"), where, self.procedures, "procedure")
            if ref is None:
                continue
            if ref in step_paths:
                self.error(where, _("procedure '%(code)s' is already a step of this one thing (at %(path)s)") % {
                    "code": ref, "path": step_paths[ref]})
                continue
            step_paths[ref] = entry_path
            steps.append((ref, step, entry_path))

        # Fields a citizen is asked: the guide plus the fields of every step's procedure,
        # except those that are another step's output (they are never asked).
        issued = {o for code in step_paths for o in self.procedures[code].outputs}
        asked = set(guide) | {f for code in step_paths for f in self.procedures[code].fields if f not in issued}

        written: list[tuple[str, list[str]]] = []
        has_root = False
        for step, entry_path in parsed:
            ref = step.get("procedure") if isinstance(step.get("procedure"), str) else None
            prerequisites: list[str] = []
            if not step.get("after"):
                has_root = True
            for value, value_path in _items(step, "after", entry_path):
                if not isinstance(value, str):
                    continue
                if value == ref:
                    self.error(value_path, _("a step cannot come after itself"))
                elif value in prerequisites:
                    self.error(value_path, _("procedure '%(code)s' is listed twice") % {"code": value})
                elif value in step_paths:
                    prerequisites.append(value)
                elif value in self.procedures:
                    self.error(value_path, _("procedure '%(code)s' is not a step of this one thing") % {"code": value})
                else:
                    self.error(value_path, _("unknown procedure '%(code)s'") % {"code": value})
            if ref in step_paths and step_paths[ref] == entry_path:
                written.append((ref, prerequisites))
            self.when(step, entry_path, asked)

        # One choice of how to receive them serves every physical result of an application.
        physical = [r for code in step_paths for r in self.procedures[code].physical_results]
        if physical and not methods_for(physical):
            self.error(json_key(path, "steps"), _("the physical results of its procedures allow no delivery method "
                                                  "in common (%(methods)s): the applicant could not choose one") % {
                                                      "methods": ", ".join(METHODS)})

        route_by = obj.get("route_by")
        if isinstance(route_by, str) and route_by:
            if route_by not in asked:
                self.error(json_key(path, "route_by"), _("field '%(code)s' is not asked by this one thing") % {
                    "code": route_by})
            elif self.field_types.get(route_by) != "division":
                self.error(json_key(path, "route_by"), _("field '%(code)s' is not of type 'division'") % {
                    "code": route_by})

        graph = StepGraph(written)
        for cycle in graph.cycles:
            # Reported at the step whose ``after`` closes the cycle.
            self.error(json_key(step_paths[cycle[-1]], "after"),
                       _("cycle in 'after': %(cycle)s (each must be approved before the next)") % {
                           "cycle": " → ".join(cycle)})
        if parsed and not has_root and not graph.cycles:
            self.error(json_key(path, "steps"),
                       _("at least one step must have no 'after' (otherwise nothing can start)"))
        if not graph.cycles:
            self.upstream_outputs(graph, steps)

    def when(self, step: dict, path: str, asked: set[str]) -> None:
        expr = step.get("when")
        if not isinstance(expr, str) or not expr or len(expr) > WHEN_MAX:
            return  # "" means "always"
        where = json_key(path, "when")
        try:
            rule = compile_rule(expr)
        except RuleError as exc:
            self.error(where, str(exc))
            return
        for name in sorted(rule.names - asked):
            self.error(where, _("names '%(name)s', which this one thing never asks (it must be in the guide or a "
                                "field of one of its procedures)") % {"name": name})

    # -- proactive services (免申即享): ``triggers`` --------------------------------------------

    def triggers(self, obj: dict, path: str, *, procedure: bool = False) -> None:
        """Each trigger well formed, its event known (an output or a one thing of the document),
        and ``grant`` only where every step is decided by an automatic checker (a ``procedure``'s
        triggers: where the procedure itself is)."""
        seen: dict[str, str] = {}
        for trigger, trigger_path in _items(obj, "triggers", path):
            problems = trigger_problems(trigger)
            for key, message in problems:
                self.error(json_key(trigger_path, key) if key else trigger_path, message)
            if problems:
                continue
            on = trigger["on"]
            if on in seen:
                self.error(json_key(trigger_path, "on"), _("the event '%(on)s' already triggers this one thing "
                                                         "(at %(path)s)") % {"on": on, "path": seen[on]})
                continue
            seen[on] = trigger_path
            source, name = on.split(":", 1)
            if source == "output":
                self.reference(name, json_key(trigger_path, "on"), self.outputs, "output")
            elif source == "completed":
                self.reference(name, json_key(trigger_path, "on"), self.one_things, "one thing")
                if name == obj.get("code") and not procedure:
                    self.error(json_key(trigger_path, "on"), _("a one thing cannot be triggered by its own completion"))
            if trigger["mode"] == "grant" and procedure:
                if not obj.get("automatic"):
                    self.error(json_key(trigger_path, "mode"), _("'grant' needs the procedure's automatic checker; "
                                                               "it has none"))
            elif trigger["mode"] == "grant":
                manual = [s.get("procedure") for s, _p in _objects(obj, "steps", path)
                          if isinstance(s.get("procedure"), str) and s["procedure"] in self.procedures
                          and not self.procedures[s["procedure"]].automatic]
                if manual:
                    self.error(json_key(trigger_path, "mode"), _(
                        "'grant' needs an automatic checker on every step; these have none: %(codes)s") % {
                        "codes": ", ".join(manual)})

    def upstream_outputs(self, graph: StepGraph, steps: list[tuple[str, dict, str]]) -> None:
        """Each needed output must be issued by a step this step comes after, transitively."""
        for code, _step, path in steps:
            needs = self.procedures[code].needs_outputs
            if not needs:
                continue
            upstream = graph.ancestors(code)
            for output in needs:
                issuer = self.outputs[output]
                if issuer in upstream:
                    continue
                if issuer in graph:
                    self.error(path, _("procedure '%(code)s' needs output '%(output)s', issued by '%(issuer)s', "
                                       "but this step does not come after '%(issuer)s'") % {
                        "code": code, "output": output, "issuer": issuer})
                else:
                    self.error(path, _("procedure '%(code)s' needs output '%(output)s', issued by '%(issuer)s', "
                                       "which is not a step of this one thing") % {
                        "code": code, "output": output, "issuer": issuer})
