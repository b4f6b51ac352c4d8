"""Validation of a ``govflow.catalog/1`` document: every problem, each with its JSON path."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govflow.text import has_bad_text

from ..rules import RuleError, compile_rule
from ..steps import StepGraph
from .format import (
    ACCEPTED_MATERIAL_TYPES,
    AUTOMATIC_MAX,
    CATALOG_FORMAT,
    CODE_MAX,
    CODE_RE,
    DEPARTMENT_CODE_MAX,
    FIELD_TYPES,
    MAX_DAYS,
    MAX_LENGTH_MAX,
    MAX_SIZE_MB,
    OUTPUT_TYPES,
    PATTERN_MAX,
    SECTIONS,
    WHEN_MAX,
    CatalogError,
    material_type,
)

_TEXT_OPTIONS = ("string", "text")
_NUMBER_OPTIONS = ("integer", "decimal")
BAD_TEXT = ("holds characters that are not allowed (NUL, control characters other than line breaks and tabs, "
            "text-direction overrides or invalid Unicode)")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key(path: str, key: Any) -> str:
    if isinstance(key, str) and _IDENTIFIER_RE.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False) if isinstance(key, str) else repr(key)}]"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _describe(value: Any) -> str:
    """JSON type name of a value, for messages like ``must be a string, not a number``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


@dataclass
class _ProcedureInfo:
    """What the one-thing checks need to know about a procedure of the document."""

    path: str
    fields: list[str] = field(default_factory=list)
    needs_outputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


class _Validator:
    """Collects every error of a document in one pass over it (never raises)."""

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

    # -- primitives ---------------------------------------------------------------------

    def error(self, path: str, message: str) -> None:
        self.errors.append(CatalogError(path, message))

    def object(self, value: Any, path: str) -> dict | None:
        if isinstance(value, dict):
            return value
        self.error(path, f"must be an object, not {_describe(value)}")
        return None

    def keys(self, obj: dict, path: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
        allowed = set(required) | set(optional)
        for name in required:
            if name not in obj:
                self.error(_key(path, name), "is required")
        for name in obj:
            if name not in allowed:
                self.error(_key(path, name), "unknown key")

    def list_of(self, obj: dict, name: str, path: str) -> list[tuple[int, Any, str]]:
        """``[(index, item, item_path)]`` of a list member; reports a non-list."""
        if name not in obj:
            return []  # a missing required key was reported by keys()
        value = obj[name]
        where = _key(path, name)
        if not isinstance(value, list):
            self.error(where, f"must be a list, not {_describe(value)}")
            return []
        return [(i, item, f"{where}[{i}]") for i, item in enumerate(value)]

    def text(self, value: Any, path: str, *, max_length: int | None = None, allow_empty: bool = False) -> str | None:
        if not isinstance(value, str):
            self.error(path, f"must be a string, not {_describe(value)}")
            return None
        if "\x00" in value:
            # PostgreSQL cannot store NUL characters in text or jsonb.
            self.error(path, "must not contain NUL characters")
            return None
        if not allow_empty and not value.strip():
            self.error(path, "must not be empty")
            return None
        if max_length is not None and len(value) > max_length:
            self.error(path, f"must be at most {max_length} characters long")
            return None
        return value

    def code(self, obj: dict, path: str, *, max_length: int = CODE_MAX) -> str | None:
        """The item's ``code``; a malformed but textual code is still returned so that
        references to it do not produce a second, misleading "unknown" error."""
        if "code" not in obj:
            return None
        where = _key(path, "code")
        value = obj["code"]
        if not isinstance(value, str):
            self.error(where, f"must be a string, not {_describe(value)}")
            return None
        if not CODE_RE.fullmatch(value):
            self.error(where, f"{value!r} is not a valid code (lower-case letters, digits, '-' and '_', "
                              "starting with a letter or digit)")
        elif len(value) > max_length:
            self.error(where, f"must be at most {max_length} characters long")
        return value

    def register(self, registry: dict[str, str], kind: str, code: str | None, path: str) -> bool:
        """Record a definition; reports a duplicate (the first definition wins)."""
        if code is None:
            return False
        if code in registry:
            self.error(_key(path, "code"), f"duplicate {kind} code {code!r} (first defined at {registry[code]})")
            return False
        registry[code] = path
        return True

    def label(self, obj: dict, name: str, path: str) -> None:
        """A ``{language: text}`` object with a non-empty ``en``."""
        if name not in obj:
            return
        where = _key(path, name)
        value = self.object(obj[name], where)
        if value is None:
            return
        for language, text in value.items():
            if not isinstance(language, str) or not language.strip():
                self.error(where, "language keys must be non-empty strings")
                continue
            self.text(text, _key(where, language), allow_empty=language != "en")
        if "en" not in value:
            self.error(_key(where, "en"), "is required (every label needs an English text)")

    def positive_int(self, obj: dict, name: str, path: str, *, maximum: int) -> int | None:
        if name not in obj:
            return None
        where = _key(path, name)
        value = obj[name]
        if not _is_int(value):
            self.error(where, f"must be a whole number, not {_describe(value)}")
            return None
        if not 1 <= value <= maximum:
            self.error(where, f"must be between 1 and {maximum}")
            return None
        return value

    def boolean(self, obj: dict, name: str, path: str) -> None:
        if name in obj and not isinstance(obj[name], bool):
            self.error(_key(path, name), f"must be true or false, not {_describe(obj[name])}")

    def pattern(self, obj: dict, path: str) -> None:
        if "pattern" not in obj:
            return
        where = _key(path, "pattern")
        value = self.text(obj["pattern"], where, max_length=PATTERN_MAX, allow_empty=True)
        if not value:
            return
        try:
            re.compile(value)
        except re.error as exc:
            self.error(where, f"not a valid regular expression: {exc}")
        except (RecursionError, OverflowError, ValueError) as exc:
            self.error(where, f"not a valid regular expression: {exc}")

    def reference(self, value: Any, path: str, registry: dict, kind: str) -> str | None:
        """A code that must name something defined in the document."""
        if not isinstance(value, str):
            self.error(path, f"must be a {kind} code (a string), not {_describe(value)}")
            return None
        if value not in registry:
            self.error(path, f"unknown {kind} {value!r}")
            return None
        return value

    # -- document -------------------------------------------------------------------------

    def run(self, doc: Any) -> list[CatalogError]:
        if not isinstance(doc, dict):
            self.error("$", f"a catalog document must be a JSON object, not {_describe(doc)}")
            return self.errors
        self.keys(doc, "$", required=("format",), optional=SECTIONS)
        if "format" in doc and doc["format"] != CATALOG_FORMAT:
            self.error("$.format", f"unknown format {doc['format']!r}; expected {CATALOG_FORMAT!r}")

        for _, item, path in self.list_of(doc, "departments", "$"):
            self.department(item, path)
        for _, item, path in self.list_of(doc, "fields", "$"):
            self.field(item, path)
        for _, item, path in self.list_of(doc, "materials", "$"):
            self.material(item, path)
        # Procedures in two passes: needs_outputs may name an output of a later procedure.
        procedures = [(item, path) for _, item, path in self.list_of(doc, "procedures", "$")]
        for item, path in procedures:
            self.procedure_definitions(item, path)
        for item, path in procedures:
            self.procedure_references(item, path)
        for _, item, path in self.list_of(doc, "one_things", "$"):
            self.one_thing(item, path)
        return self.errors

    def department(self, item: Any, path: str) -> None:
        obj = self.object(item, path)
        if obj is None:
            return
        self.keys(obj, path, required=("code", "name"))
        self.register(self.departments, "department", self.code(obj, path, max_length=DEPARTMENT_CODE_MAX), path)
        self.label(obj, "name", path)

    def field(self, item: Any, path: str) -> None:
        obj = self.object(item, path)
        if obj is None:
            return
        self.keys(obj, path, required=("code", "label", "type"),
                  optional=("max_length", "pattern", "min", "max", "choices", "help"))
        self.register(self.fields, "field", self.code(obj, path), path)
        self.label(obj, "label", path)
        self.label(obj, "help", path)
        kind = obj.get("type")
        if "type" in obj and kind not in FIELD_TYPES:
            self.error(_key(path, "type"), f"unknown field type {kind!r}; expected one of {', '.join(FIELD_TYPES)}")
            kind = None  # do not judge type-specific options against an unknown type

        def only_for(option: str, kinds: tuple[str, ...]) -> bool:
            if option not in obj:
                return False
            if kind is not None and kind not in kinds:
                self.error(_key(path, option), f"only applies to {' and '.join(kinds)} fields")
                return False
            return True

        if only_for("max_length", _TEXT_OPTIONS):
            self.positive_int(obj, "max_length", path, maximum=MAX_LENGTH_MAX)
        if only_for("pattern", _TEXT_OPTIONS):
            self.pattern(obj, path)
        bounds: dict[str, Any] = {}
        for option in ("min", "max"):
            if only_for(option, _NUMBER_OPTIONS):
                value = obj[option]
                where = _key(path, option)
                if not _is_number(value):
                    self.error(where, f"must be a number, not {_describe(value)}")
                elif kind == "integer" and not _is_int(value):
                    self.error(where, "must be a whole number for an integer field")
                else:
                    bounds[option] = value
        if len(bounds) == 2 and bounds["min"] > bounds["max"]:
            self.error(_key(path, "min"), "must not be greater than max")
        if kind == "choice" and "choices" not in obj:
            self.error(_key(path, "choices"), "is required for a choice field")
        if only_for("choices", ("choice",)):
            self.choices(obj, path)

    def choices(self, obj: dict, path: str) -> None:
        where = _key(path, "choices")
        if isinstance(obj["choices"], list) and not obj["choices"]:
            self.error(where, "a choice field needs at least one choice")
        seen: dict[str, str] = {}
        for _, item, item_path in self.list_of(obj, "choices", path):
            choice = self.object(item, item_path)
            if choice is None:
                continue
            self.keys(choice, item_path, required=("value", "label"))
            self.label(choice, "label", item_path)
            if "value" not in choice:
                continue
            value = self.text(choice["value"], _key(item_path, "value"), max_length=200)
            if value is None:
                continue
            if value in seen:
                self.error(_key(item_path, "value"), f"duplicate choice value {value!r} (first at {seen[value]})")
            else:
                seen[value] = item_path

    def material(self, item: Any, path: str) -> None:
        obj = self.object(item, path)
        if obj is None:
            return
        self.keys(obj, path, required=("code", "label", "accepted_types", "max_size_mb"))
        self.register(self.materials, "material", self.code(obj, path), path)
        self.label(obj, "label", path)
        if isinstance(obj.get("accepted_types"), list) and not obj["accepted_types"]:
            self.error(_key(path, "accepted_types"), "must name at least one file type")
        seen: set[str] = set()
        for _, value, value_path in self.list_of(obj, "accepted_types", path):
            canonical = material_type(value)
            if canonical not in ACCEPTED_MATERIAL_TYPES:
                self.error(value_path, f"unknown file type {value!r}; expected one of "
                                       f"{', '.join(ACCEPTED_MATERIAL_TYPES)} (or jpg for jpeg)")
            elif canonical in seen:
                same = f" (the same as {canonical!r})" if canonical != value else ""
                self.error(value_path, f"duplicate file type {value!r}{same}")
            else:
                seen.add(canonical)
        self.positive_int(obj, "max_size_mb", path, maximum=MAX_SIZE_MB)

    def procedure_definitions(self, item: Any, path: str) -> None:
        """First pass: the procedure's own data and its outputs (so that references resolve)."""
        obj = self.object(item, path)
        if obj is None:
            return
        self.keys(obj, path, required=("code", "department", "name", "statutory_days", "committed_days"),
                  optional=("description", "fields", "materials", "needs_outputs", "outputs", "automatic"))
        code = self.code(obj, path)
        info = _ProcedureInfo(path=path)
        self.automatic(obj, path)
        if self.register(self.procedure_paths, "procedure", code, path):
            self.procedures[code] = info  # type: ignore[index]
        self.label(obj, "name", path)
        self.label(obj, "description", path)
        statutory = self.positive_int(obj, "statutory_days", path, maximum=MAX_DAYS)
        committed = self.positive_int(obj, "committed_days", path, maximum=MAX_DAYS)
        if statutory is not None and committed is not None and committed > statutory:
            self.error(_key(path, "committed_days"),
                       f"committed days ({committed}) must not exceed statutory days ({statutory})")
        for _, output, output_path in self.list_of(obj, "outputs", path):
            out = self.object(output, output_path)
            if out is None:
                continue
            self.keys(out, output_path, required=("code", "label"), optional=("type", "pattern"))
            output_code = self.code(out, output_path)
            if self.register(self.output_paths, "output", output_code, output_path) and code is not None:
                self.outputs[output_code] = code  # type: ignore[index]
                info.outputs.append(output_code)  # type: ignore[arg-type]
            self.label(out, "label", output_path)
            if "type" in out and out["type"] not in OUTPUT_TYPES:
                self.error(_key(output_path, "type"),
                           f"unknown output type {out['type']!r}; expected one of {', '.join(OUTPUT_TYPES)}")
            self.pattern(out, output_path)

    def automatic(self, obj: dict, path: str) -> None:
        """An optional automatic checker: the dotted name of a registered checker."""
        if "automatic" not in obj:
            return
        where = _key(path, "automatic")
        name = self.text(obj["automatic"], where, max_length=AUTOMATIC_MAX)
        if name is None:
            return
        from govflow.notifications.automatic import known_checker

        if not known_checker(name):
            self.error(where, f"unknown automatic checker {name!r}; expected the dotted name of a checker "
                              "registered in govflow.notifications.automatic")

    def procedure_references(self, item: Any, path: str) -> None:
        """Second pass: department, fields, materials and needed outputs must exist."""
        if not isinstance(item, dict):
            return
        code = item.get("code") if isinstance(item.get("code"), str) else None
        info = self.procedures.get(code) if code is not None else None
        if info is not None and info.path != path:
            info = None  # a duplicate: only the first definition feeds the one-thing checks
        if "department" in item:
            self.reference(item["department"], _key(path, "department"), self.departments, "department")
        for member, key, registry in (("fields", "field", self.fields), ("materials", "material", self.materials)):
            seen: dict[str, str] = {}
            for _, entry, entry_path in self.list_of(item, member, path):
                obj = self.object(entry, entry_path)
                if obj is None:
                    continue
                self.keys(obj, entry_path, required=(key,), optional=("required",))
                self.boolean(obj, "required", entry_path)
                if key not in obj:
                    continue
                ref = self.reference(obj[key], _key(entry_path, key), registry, key)
                if ref is None:
                    continue
                if ref in seen:
                    self.error(_key(entry_path, key), f"{key} {ref!r} is listed twice (first at {seen[ref]})")
                    continue
                seen[ref] = entry_path
                if member == "fields" and info is not None:
                    info.fields.append(ref)
        needed: set[str] = set()
        for _, value, value_path in self.list_of(item, "needs_outputs", path):
            ref = self.reference(value, value_path, self.outputs, "output")
            if ref is None:
                continue
            if ref in needed:
                self.error(value_path, f"output {ref!r} is listed twice")
            elif code is not None and self.outputs.get(ref) == code:
                self.error(value_path, f"a procedure cannot need its own output {ref!r}")
            else:
                needed.add(ref)
                if info is not None:
                    info.needs_outputs.append(ref)

    def one_thing(self, item: Any, path: str) -> None:
        obj = self.object(item, path)
        if obj is None:
            return
        self.keys(obj, path, required=("code", "name", "committed_days", "steps"), optional=("description", "guide"))
        self.register(self.one_things, "one thing", self.code(obj, path), path)
        self.label(obj, "name", path)
        self.label(obj, "description", path)
        self.positive_int(obj, "committed_days", path, maximum=MAX_DAYS)

        guide: list[str] = []
        for _, value, value_path in self.list_of(obj, "guide", path):
            ref = self.reference(value, value_path, self.fields, "field")
            if ref is None:
                continue
            if ref in guide:
                self.error(value_path, f"field {ref!r} is listed twice in the guide")
            else:
                guide.append(ref)

        steps_path = _key(path, "steps")
        if isinstance(obj.get("steps"), list) and not obj["steps"]:
            self.error(steps_path, "a one thing needs at least one step")
        # First the steps' procedures, so that ``after`` can refer to a later step.
        steps: list[tuple[str, dict, str]] = []  # (procedure code, step, path) of resolvable steps
        step_paths: dict[str, str] = {}
        parsed: list[tuple[dict, str]] = []
        for _, entry, entry_path in self.list_of(obj, "steps", path):
            step = self.object(entry, entry_path)
            if step is None:
                continue
            parsed.append((step, entry_path))
            self.keys(step, entry_path, required=("procedure",), optional=("after", "when"))
            if "procedure" not in step:
                continue
            ref = self.reference(step["procedure"], _key(entry_path, "procedure"), self.procedures, "procedure")
            if ref is None:
                continue
            if ref in step_paths:
                self.error(_key(entry_path, "procedure"),
                           f"procedure {ref!r} is already a step of this one thing (at {step_paths[ref]})")
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
            own = ref if ref in step_paths and step_paths[ref] == entry_path else None
            prerequisites: list[str] = []
            after_list = self.list_of(step, "after", entry_path)
            if not step.get("after"):
                has_root = True
            for _, value, value_path in after_list:
                if not isinstance(value, str):
                    self.error(value_path, f"must be a procedure code (a string), not {_describe(value)}")
                elif value == ref:
                    self.error(value_path, "a step cannot come after itself")
                elif value in prerequisites:
                    self.error(value_path, f"procedure {value!r} is listed twice")
                elif value in step_paths:
                    prerequisites.append(value)
                elif value in self.procedures:
                    self.error(value_path, f"procedure {value!r} is not a step of this one thing")
                else:
                    self.error(value_path, f"unknown procedure {value!r}")
            if own is not None:
                written.append((own, prerequisites))
            self.when(step, entry_path, asked)

        graph = StepGraph(written)
        for cycle in graph.cycles:
            # Reported at the step whose ``after`` closes the cycle.
            self.error(_key(step_paths[cycle[-1]], "after"),
                       "cycle in 'after': " + " → ".join(cycle) + " (each must be approved before the next)")
        if parsed and not has_root and not graph.cycles:
            self.error(steps_path, "at least one step must have no 'after' (otherwise nothing can start)")
        if not graph.cycles:
            self.upstream_outputs(graph, steps)

    def when(self, step: dict, path: str, asked: set[str]) -> None:
        if "when" not in step:
            return
        where = _key(path, "when")
        expr = self.text(step["when"], where, max_length=WHEN_MAX, allow_empty=True)
        if not expr:
            return  # "" means "always"
        try:
            rule = compile_rule(expr)
        except RuleError as exc:
            self.error(where, str(exc))
            return
        for name in sorted(rule.names - asked):
            self.error(where, f"names {name!r}, which this one thing never asks "
                              "(it must be in the guide or a field of one of its procedures)")

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
                    self.error(path, f"procedure {code!r} needs output {output!r}, issued by {issuer!r}, "
                                     f"but this step does not come after {issuer!r}")
                else:
                    self.error(path, f"procedure {code!r} needs output {output!r}, issued by {issuer!r}, "
                                     "which is not a step of this one thing")


def _bad_text(doc: Any) -> list[CatalogError]:
    """Strings that break :mod:`govflow.text` (text may span lines; keys may not), by path."""
    errors: list[CatalogError] = []
    stack: list[tuple[str, Any]] = [("$", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if has_bad_text(value, multiline=True):
                errors.append(CatalogError(path, BAD_TEXT))
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(key, str) and has_bad_text(key):
                    errors.append(CatalogError(path, "a key " + BAD_TEXT))
                else:
                    stack.append((_key(path, key), inner))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", inner) for index, inner in enumerate(value))
    return sorted(errors, key=lambda e: e.path)


def validate_document(doc: Any) -> list[CatalogError]:
    """Every problem of a ``govflow.catalog/1`` document, section by section (empty when valid).

    Never raises, whatever JSON value it is given.
    """
    try:
        # Bad text first and alone: the other messages quote codes, which must then be printable.
        return _bad_text(doc) or _Validator().run(doc)
    except RecursionError:  # pragma: no cover - only absurdly nested input could get here
        return [CatalogError("$", "the document is nested too deeply")]
