"""Import, export and validation of ``govflow.catalog/1`` documents.

The format is described in ``docs/catalog.md`` (schema: ``docs/catalog.schema.json``). Three rules shape this module:

* **Validate everything first, write nothing on error.** :func:`validate_document` never
  raises on any JSON input; it returns every problem with a JSON path such as
  ``$.procedures[2].outputs[0].pattern``. ``services.import_catalog`` raises
  :class:`CatalogValidationError` with all of them before touching the database.
* **A document is self-contained.** Every reference (department, field, material,
  procedure, output) must be defined in the same document. That is what
  :func:`export_catalog` produces, and what a published version's snapshot is.
* **Import is idempotent.** Rows are compared before they are written, so importing the
  same file twice issues no UPDATE the second time and publishes no new version.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q

from govflow.text import has_bad_text

from .fieldtypes import FIELD_TYPES, OUTPUT_TYPES, types_with
from .models import (
    Department,
    Field,
    Material,
    OneThing,
    Output,
    Procedure,
    ProcedureField,
    ProcedureMaterial,
    Step,
)
from .rules import RuleError, compile_rule

if TYPE_CHECKING:
    from .models import OneThingVersion

__all__ = [
    "ACCEPTED_MATERIAL_TYPES",
    "CATALOG_FORMAT",
    "MATERIAL_TYPE_ALIASES",
    "CatalogError",
    "CatalogValidationError",
    "ImportResult",
    "Importer",
    "export_catalog",
    "material_type",
    "material_types",
    "validate_document",
]

CATALOG_FORMAT = "govflow.catalog/1"

# Only types whose content can be sniffed reliably on upload (OFD cannot).
ACCEPTED_MATERIAL_TYPES = ("pdf", "png", "jpeg")
# What people write for a type, and the one name it is stored and exported as.
MATERIAL_TYPE_ALIASES = {"jpg": "jpeg"}


def material_type(value: Any) -> Any:
    """The canonical name of a material file type (``jpg`` → ``jpeg``); anything else unchanged."""
    return MATERIAL_TYPE_ALIASES.get(value, value) if isinstance(value, str) else value


def material_types(values: Any) -> Any:
    """A list of file types with aliases replaced by their canonical names (order kept)."""
    return [material_type(v) for v in values] if isinstance(values, list) else values

CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")  # the whole code: use fullmatch
# Column sizes in models.py: longer values would fail in the database, not in validation.
DEPARTMENT_CODE_MAX = 50
CODE_MAX = 64
PATTERN_MAX = 500
WHEN_MAX = 1000
AUTOMATIC_MAX = 200
MAX_DAYS = 3650
MAX_LENGTH_MAX = 100_000
MAX_SIZE_MB = 100

SECTIONS = ("departments", "fields", "materials", "procedures", "one_things")


@dataclass(frozen=True)
class CatalogError:
    """One problem in a catalog document, located by a JSON path (``$.fields[3].label.en``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class CatalogValidationError(Exception):
    """A catalog document (or a one thing's snapshot) is invalid; ``errors`` lists every problem."""

    def __init__(self, errors: list[CatalogError]) -> None:
        self.errors = list(errors)
        summary = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(self.errors)} catalog error(s): {summary}{more}")


# =============================================================================================
# Validation
# =============================================================================================

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
        if "type" in obj and not (isinstance(kind, str) and kind in FIELD_TYPES):
            self.error(_key(path, "type"), f"unknown field type {kind!r}; expected one of {', '.join(FIELD_TYPES)}")
            kind = None  # do not judge type-specific options against an unknown type

        def only_for(option: str, kinds: tuple[str, ...]) -> bool:
            if option not in obj:
                return False
            if kind is not None and kind not in kinds:
                self.error(_key(path, option), f"only applies to {' and '.join(kinds)} fields")
                return False
            return True

        if only_for("max_length", types_with("max_length")):
            self.positive_int(obj, "max_length", path, maximum=MAX_LENGTH_MAX)
        if only_for("pattern", types_with("pattern")):
            self.pattern(obj, path)
        bounds: dict[str, Any] = {}
        for option in ("min", "max"):
            if only_for(option, types_with(option)):
                value = obj[option]
                where = _key(path, option)
                if not _is_number(value):
                    self.error(where, f"must be a number, not {_describe(value)}")
                elif kind is not None and FIELD_TYPES[kind].whole_numbers and not _is_int(value):
                    self.error(where, f"must be a whole number for an {kind} field")
                else:
                    bounds[option] = value
        if len(bounds) == 2 and bounds["min"] > bounds["max"]:
            self.error(_key(path, "min"), "must not be greater than max")
        for option in sorted(FIELD_TYPES[kind].required_options - obj.keys() if kind is not None else ()):
            self.error(_key(path, option), f"is required for a {kind} field")
        if only_for("choices", types_with("choices")):
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

        graph: dict[str, list[str]] = {}
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
                graph[own] = prerequisites
            self.when(step, entry_path, asked)

        cyclic = self.cycles(graph, step_paths)
        if parsed and not has_root and not cyclic:
            self.error(steps_path, "at least one step must have no 'after' (otherwise nothing can start)")
        if not cyclic:
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

    def cycles(self, graph: dict[str, list[str]], step_paths: dict[str, str]) -> bool:
        """Report every cycle of ``after`` once, at the step that closes it."""
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(graph, white)
        found = False
        for start in graph:
            if colour[start] != white:
                continue
            # Iterative DFS: a hostile document must not be able to exhaust the stack.
            stack: list[tuple[str, int]] = [(start, 0)]
            trail: list[str] = [start]
            colour[start] = grey
            while stack:
                node, index = stack[-1]
                edges = graph.get(node, [])
                if index < len(edges):
                    stack[-1] = (node, index + 1)
                    nxt = edges[index]
                    if colour.get(nxt, black) == white:
                        colour[nxt] = grey
                        stack.append((nxt, 0))
                        trail.append(nxt)
                    elif colour.get(nxt) == grey:
                        # ``node`` comes after ``nxt``, which (transitively) comes after ``node``.
                        loop = trail[trail.index(nxt):] + [nxt]
                        self.error(_key(step_paths[node], "after"),
                                   "cycle in 'after': " + " → ".join(reversed(loop))
                                   + " (each must be approved before the next)")
                        found = True
                else:
                    colour[node] = black
                    stack.pop()
                    trail.pop()
        return found

    def upstream_outputs(self, graph: dict[str, list[str]], steps: list[tuple[str, dict, str]]) -> None:
        """Each needed output must be issued by a step this step comes after, transitively."""
        for code, _step, path in steps:
            needs = self.procedures[code].needs_outputs
            if not needs:
                continue
            upstream: set[str] = set()
            pending = list(graph.get(code, []))
            while pending:
                prerequisite = pending.pop()
                if prerequisite not in upstream:
                    upstream.add(prerequisite)
                    pending.extend(graph.get(prerequisite, []))
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


# =============================================================================================
# Export
# =============================================================================================


def _json_list(value: Any) -> Any:
    """A copy of a JSON list column; anything else as stored (validation will report it)."""
    return list(value) if isinstance(value, list) else value


def _department_doc(department: Department) -> dict:
    return {"code": department.code, "name": department.name}


def _field_doc(item: Field) -> dict:
    out: dict[str, Any] = {"code": item.code, "label": item.label, "type": item.type}
    # Optional keys only when set, in the contract's order, so that the round trip is exact.
    if item.max_length is not None:
        out["max_length"] = item.max_length
    if item.pattern:
        out["pattern"] = item.pattern
    if item.minimum is not None:
        out["min"] = item.minimum
    if item.maximum is not None:
        out["max"] = item.maximum
    if item.choices:
        out["choices"] = item.choices
    if item.help:
        out["help"] = item.help
    return out


def _material_doc(item: Material) -> dict:
    return {"code": item.code, "label": item.label, "accepted_types": material_types(item.accepted_types),
            "max_size_mb": item.max_size_mb}


def _output_doc(output: Output) -> dict:
    out: dict[str, Any] = {"code": output.code, "label": output.label, "type": output.type}
    if output.pattern:
        out["pattern"] = output.pattern
    return out


def _procedure_doc(procedure: Procedure) -> dict:
    out: dict[str, Any] = {"code": procedure.code, "department": procedure.department.code, "name": procedure.name}
    if procedure.description:
        out["description"] = procedure.description
    out.update({
        "statutory_days": procedure.statutory_days,
        "committed_days": procedure.committed_days,
        "fields": [{"field": pf.field.code, "required": pf.required} for pf in procedure.procedure_fields.all()],
        "materials": [{"material": pm.material.code, "required": pm.required}
                      for pm in procedure.procedure_materials.all()],
        "needs_outputs": _json_list(procedure.needs_outputs),
        "outputs": [_output_doc(o) for o in procedure.outputs.all()],
    })
    if procedure.automatic:
        out["automatic"] = procedure.automatic
    return out


def _step_doc(step: Step) -> dict:
    out: dict[str, Any] = {"procedure": step.procedure.code}
    if step.after:
        out["after"] = _json_list(step.after)
    if step.when:
        out["when"] = step.when
    return out


def _one_thing_doc(one_thing: OneThing) -> dict:
    out: dict[str, Any] = {"code": one_thing.code, "name": one_thing.name}
    if one_thing.description:
        out["description"] = one_thing.description
    out.update({
        "committed_days": one_thing.committed_days,
        "guide": _json_list(one_thing.guide),
        "steps": [_step_doc(s) for s in one_thing.steps.all()],
    })
    return out


def export_catalog(one_thing_code: str | None = None) -> dict:
    """The live (draft) catalog as a ``govflow.catalog/1`` document.

    With ``one_thing_code``, only that one thing and what it references (its procedures,
    their departments, fields and materials, and its guide fields): a self-contained
    document, which is what a published version stores. Raises ``OneThing.DoesNotExist``
    for an unknown code. Lists of definitions are ordered by code and nested lists by
    position, so an export is deterministic. A constant number of queries.
    """
    step_qs = Step.objects.select_related("procedure").order_by("position", "id")
    one_things = OneThing.objects.order_by("code").prefetch_related(Prefetch("steps", queryset=step_qs))
    if one_thing_code is not None:
        one_things = list(one_things.filter(code=one_thing_code))
        if not one_things:
            raise OneThing.DoesNotExist(f"no one thing with code {one_thing_code!r}")
    else:
        one_things = list(one_things)

    procedures = (
        Procedure.objects.select_related("department").order_by("code").prefetch_related(
            Prefetch("procedure_fields", queryset=ProcedureField.objects.select_related("field")
                     .order_by("position", "id")),
            Prefetch("procedure_materials", queryset=ProcedureMaterial.objects.select_related("material")
                     .order_by("position", "id")),
            Prefetch("outputs", queryset=Output.objects.order_by("position", "id")),
        )
    )
    departments = Department.objects.order_by("code")
    fields = Field.objects.order_by("code")
    materials = Material.objects.order_by("code")
    if one_thing_code is not None:
        procedure_ids = {s.procedure_id for ot in one_things for s in ot.steps.all()}
        procedures = list(procedures.filter(id__in=procedure_ids))
        departments = departments.filter(id__in={p.department_id for p in procedures})
        field_ids = {pf.field_id for p in procedures for pf in p.procedure_fields.all()}
        guide = {code for ot in one_things if isinstance(ot.guide, list) for code in ot.guide if isinstance(code, str)}
        fields = fields.filter(Q(id__in=field_ids) | Q(code__in=guide))
        materials = materials.filter(id__in={pm.material_id for p in procedures for pm in p.procedure_materials.all()})

    return {
        "format": CATALOG_FORMAT,
        "departments": [_department_doc(d) for d in departments],
        "fields": [_field_doc(f) for f in fields],
        "materials": [_material_doc(m) for m in materials],
        "procedures": [_procedure_doc(p) for p in procedures],
        "one_things": [_one_thing_doc(o) for o in one_things],
    }


# =============================================================================================
# Import
# =============================================================================================


@dataclass
class ImportResult:
    """What an import did: row counts per kind (``departments``, ``fields``, ``materials``,
    ``procedures``, ``outputs``, ``one_things``) and the versions it published."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    published: list[OneThingVersion] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the import wrote anything at all."""
        return bool(sum(self.created.values()) or sum(self.updated.values()) or sum(self.deleted.values())
                    or self.published)


def _apply(obj: Any, values: dict[str, Any]) -> list[str]:
    """Set the attributes that differ; return their names (empty: nothing to save)."""
    changed = []
    for name, value in values.items():
        current = getattr(obj, name)
        # ``==`` alone would let 1 == 1.0 == True slip through a type change.
        if current != value or type(current) is not type(value):
            setattr(obj, name, value)
            changed.append(name)
    return changed


class Importer:
    """Upserts one validated document; tracks what changed so that the right one things publish."""

    def __init__(self, doc: dict, result: ImportResult) -> None:
        self.doc = doc
        self.result = result
        self.changed: dict[str, set[str]] = {k: set() for k in ("departments", "fields", "materials", "procedures")}

    def upsert(self, kind: str, model: type, items: list[dict], values_of) -> dict[str, Any]:
        """Create or update rows by code; returns ``{code: row}`` for every item."""
        existing = {o.code: o for o in model.objects.filter(code__in=[i["code"] for i in items])}
        rows: dict[str, Any] = {}
        for item in items:
            code = item["code"]
            values = values_of(item)
            row = existing.get(code)
            if row is None:
                row = model.objects.create(code=code, **values)
                self.result.created[kind] += 1
                self.changed.setdefault(kind, set()).add(code)
            else:
                changed = _apply(row, values)
                if changed:
                    row.save(update_fields=changed)
                    self.result.updated[kind] += 1
                    self.changed.setdefault(kind, set()).add(code)
                else:
                    self.result.unchanged[kind] += 1
            rows[code] = row
        return rows

    def run(self) -> list[CatalogError]:
        doc = self.doc
        departments = self.upsert("departments", Department, doc.get("departments", []),
                                  lambda d: {"name": d["name"]})
        fields = self.upsert("fields", Field, doc.get("fields", []), lambda f: {
            "label": f["label"], "type": f["type"], "max_length": f.get("max_length"),
            "pattern": f.get("pattern", ""), "minimum": f.get("min"), "maximum": f.get("max"),
            "choices": f.get("choices", []), "help": f.get("help", {}),
        })
        materials = self.upsert("materials", Material, doc.get("materials", []), lambda m: {
            "label": m["label"], "accepted_types": material_types(m["accepted_types"]),
            "max_size_mb": m["max_size_mb"],
        })
        errors = self.check_output_owners()
        if errors:
            return errors
        procedures = self.upsert("procedures", Procedure, doc.get("procedures", []), lambda p: {
            "department_id": departments[p["department"]].id, "name": p["name"], "description": p.get("description", {}),
            "statutory_days": p["statutory_days"], "committed_days": p["committed_days"],
            "needs_outputs": p.get("needs_outputs", []), "automatic": p.get("automatic", ""),
        })
        self.procedure_children(procedures, fields, materials)
        self.one_things(procedures)
        return []

    def check_output_owners(self) -> list[CatalogError]:
        """An output code is global: it may not silently move away from a procedure the
        document does not define (that procedure would lose it behind the user's back)."""
        defined = {p["code"] for p in self.doc.get("procedures", [])}
        wanted = {o["code"]: (i, j) for i, p in enumerate(self.doc.get("procedures", []))
                  for j, o in enumerate(p.get("outputs", []))}
        errors = []
        clashes = Output.objects.filter(code__in=list(wanted)).exclude(procedure__code__in=defined)
        for output in clashes.select_related("procedure"):
            i, j = wanted[output.code]
            errors.append(CatalogError(
                f"$.procedures[{i}].outputs[{j}].code",
                f"output {output.code!r} already belongs to procedure {output.procedure.code!r}, "
                "which this document does not define"))
        return sorted(errors, key=lambda e: e.path)

    def procedure_children(self, procedures: dict[str, Procedure], fields: dict, materials: dict) -> None:
        items = {p["code"]: p for p in self.doc.get("procedures", [])}
        ids = [p.id for p in procedures.values()]
        current_fields: dict[int, list] = {i: [] for i in ids}
        for pf in ProcedureField.objects.filter(procedure_id__in=ids).select_related("field").order_by("position", "id"):
            current_fields[pf.procedure_id].append((pf.field.code, pf.required, pf.position))
        current_materials: dict[int, list] = {i: [] for i in ids}
        for pm in (ProcedureMaterial.objects.filter(procedure_id__in=ids).select_related("material")
                   .order_by("position", "id")):
            current_materials[pm.procedure_id].append((pm.material.code, pm.required, pm.position))
        outputs = {o.code: o for o in Output.objects.filter(
            Q(procedure_id__in=ids) | Q(code__in=[o["code"] for p in items.values() for o in p.get("outputs", [])]))}
        current_outputs: dict[int, list] = {i: [] for i in ids}
        for o in sorted(outputs.values(), key=lambda o: (o.position, o.id)):
            current_outputs[o.procedure_id].append((o.code, o.label, o.type, o.pattern, o.position))

        # Outputs that no procedure of the document issues any more are removed first,
        # so that a code can move between two procedures of the document.
        wanted = {o["code"] for p in items.values() for o in p.get("outputs", [])}
        removed = [o for o in outputs.values() if o.code not in wanted]
        if removed:
            Output.objects.filter(id__in=[o.id for o in removed]).delete()
            self.result.deleted["outputs"] += len(removed)
            for o in removed:
                self.changed["procedures"].add(next(c for c, p in procedures.items() if p.id == o.procedure_id))

        for code, procedure in procedures.items():
            item = items[code]
            wanted_fields = [(e["field"], e.get("required", True), n) for n, e in enumerate(item.get("fields", []))]
            if wanted_fields != current_fields[procedure.id]:
                ProcedureField.objects.filter(procedure=procedure).delete()
                ProcedureField.objects.bulk_create([
                    ProcedureField(procedure=procedure, field=fields[f], required=r, position=n)
                    for f, r, n in wanted_fields])
                self.changed["procedures"].add(code)
            wanted_materials = [(e["material"], e.get("required", True), n)
                                for n, e in enumerate(item.get("materials", []))]
            if wanted_materials != current_materials[procedure.id]:
                ProcedureMaterial.objects.filter(procedure=procedure).delete()
                ProcedureMaterial.objects.bulk_create([
                    ProcedureMaterial(procedure=procedure, material=materials[m], required=r, position=n)
                    for m, r, n in wanted_materials])
                self.changed["procedures"].add(code)
            wanted_outputs = [(o["code"], o["label"], o.get("type", "string"), o.get("pattern", ""), n)
                              for n, o in enumerate(item.get("outputs", []))]
            if wanted_outputs == current_outputs[procedure.id]:
                self.result.unchanged["outputs"] += len(wanted_outputs)
                continue
            self.changed["procedures"].add(code)
            for output_code, label, kind, pattern, position in wanted_outputs:
                row = outputs.get(output_code)
                values = {"procedure_id": procedure.id, "label": label, "type": kind, "pattern": pattern,
                          "position": position}
                if row is None:
                    Output.objects.create(code=output_code, **values)
                    self.result.created["outputs"] += 1
                    continue
                if row.procedure_id != procedure.id:
                    # Moved here from another procedure of the document: that one changed too.
                    self.changed["procedures"].update(c for c, p in procedures.items() if p.id == row.procedure_id)
                changed = _apply(row, values)
                if changed:
                    row.save(update_fields=changed)
                    self.result.updated["outputs"] += 1
                else:
                    self.result.unchanged["outputs"] += 1

    def one_things(self, procedures: dict[str, Procedure]) -> None:
        items = self.doc.get("one_things", [])
        existing = {o.code: o for o in OneThing.objects.filter(code__in=[i["code"] for i in items])}
        current_steps: dict[int, list] = {o.id: [] for o in existing.values()}
        for step in (Step.objects.filter(one_thing__in=list(existing.values())).select_related("procedure")
                     .order_by("position", "id")):
            current_steps[step.one_thing_id].append((step.procedure.code, step.after, step.when, step.position))
        for item in items:
            code = item["code"]
            values = {"name": item["name"], "description": item.get("description", {}),
                      "committed_days": item["committed_days"], "guide": item.get("guide", [])}
            wanted = [(s["procedure"], s.get("after", []), s.get("when", ""), n)
                      for n, s in enumerate(item["steps"])]
            row = existing.get(code)
            if row is None:
                row = OneThing.objects.create(code=code, **values)
                self.result.created["one_things"] += 1
                steps_changed = True
            else:
                changed = _apply(row, values)
                if changed:
                    row.save(update_fields=changed)
                steps_changed = wanted != current_steps[row.id]
                kind = self.result.updated if changed or steps_changed else self.result.unchanged
                kind["one_things"] += 1
            if steps_changed:
                Step.objects.filter(one_thing=row).delete()
                Step.objects.bulk_create([
                    Step(one_thing=row, procedure=procedures[p], after=list(after), when=when, position=n)
                    for p, after, when, n in wanted])

    def affected_one_things(self) -> list[OneThing]:
        """Published one things outside the document that use something the import changed."""
        doc_codes = [o["code"] for o in self.doc.get("one_things", [])]
        uses = (Q(steps__procedure__code__in=self.changed["procedures"])
                | Q(steps__procedure__department__code__in=self.changed["departments"])
                | Q(steps__procedure__procedure_fields__field__code__in=self.changed["fields"])
                | Q(steps__procedure__procedure_materials__material__code__in=self.changed["materials"]))
        candidates = OneThing.objects.filter(is_published=True).exclude(code__in=doc_codes)
        affected = {o.pk: o for o in candidates.filter(uses).distinct()}
        if self.changed["fields"]:
            # ``guide`` is a JSON list, and JSON containment is not portable to SQLite.
            for one_thing in candidates.exclude(pk__in=list(affected)):
                if set(one_thing.guide or []) & self.changed["fields"]:
                    affected[one_thing.pk] = one_thing
        return sorted(affected.values(), key=lambda o: o.code)
