"""The compiled form of a published one-thing version: the one object every reader goes through.

A version's ``definition`` is a self-contained ``govflow.catalog/1`` document with exactly one
entry in ``one_things`` plus the departments, fields, materials and procedures it references (see
``docs/catalog.md``). :class:`Definition` compiles it once: the indexes and the step rules (CEL) at
construction, the merged form (what is asked, what each procedure requires, the answers' JSON
Schema and its validator) on first use.

One form: a field shared by several procedures is asked once. Fields (and materials) whose code
is an output issued by a procedure of the one thing are never asked: a later procedure gets them
from the earlier one.

A published version never changes, so :func:`get_definition` compiles it once per process and
caches it by version id. A document that is not a published version (a draft in the designer's
preview, an import being checked) is compiled with ``Definition(doc)``, uncached.
"""
from __future__ import annotations

import copy
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

from jsonschema.exceptions import SchemaError

from . import commitments, rules
from .answers import FORMAT_CHECKER, FormValidator, validate_answers
from .fieldkind import Unparsable
from .fieldtypes import FIELD_TYPES
from .labels import localized
from .physical import methods_for
from .steps import StepGraph

__all__ = ["JSON_SCHEMA_DIALECT", "Definition", "DefinitionError", "MergedForm", "clear_definition_cache",
           "get_definition"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class DefinitionError(ValueError):
    """The version definition is not a usable ``govflow.catalog/1`` one-thing document."""


def _is_conditional(step: Mapping) -> bool:
    """Only a non-blank ``when`` makes a step conditional."""
    return bool((step.get("when") or "").strip())


@dataclass(frozen=True)
class MergedForm:
    """What the citizen is asked and what each procedure requires, with the answers' validator."""

    asked: tuple[str, ...]  # guide first, then in step and procedure order
    asked_order: Mapping[str, int]
    asked_guide: tuple[str, ...]
    unconditional_required: tuple[str, ...]
    required_fields: Mapping[str, frozenset[str]]  # procedure → fields it requires
    required_materials: Mapping[str, frozenset[str]]  # procedure → materials it requires
    field_procedures: Mapping[str, tuple[str, ...]]
    field_required_by: Mapping[str, tuple[str, ...]]
    materials: tuple[dict, ...]
    validator: Any = None


class Definition:
    """A ``govflow.catalog/1`` document holding exactly one one thing, compiled.

    Immutable and shared between threads: the document is copied first, so later changes to the
    caller's dict never reach it. The structure (indexes, step rules) is compiled at construction;
    the merged form and its validator on first use (:attr:`form`). Either raises
    :class:`DefinitionError` for a document that cannot be compiled.
    """

    def __init__(self, doc: Mapping) -> None:
        if not isinstance(doc, Mapping):
            raise DefinitionError("a version definition must be a JSON object")
        with _compiling():
            doc = copy.deepcopy(dict(doc))
            one_things = doc.get("one_things") or []
            if len(one_things) != 1:
                raise DefinitionError("a version definition must contain exactly one one thing")
            self.doc = doc
            self.one_thing: dict = one_things[0]
            self.code: str = self.one_thing["code"]
            #: Who may apply: ``person``, ``organisation`` or ``either`` (absent from a snapshot: ``person``).
            self.applicant: str = self.one_thing.get("applicant") or "person"
            self.departments = {d["code"]: d for d in doc.get("departments", [])}
            self.fields = {f["code"]: f for f in doc.get("fields", [])}
            self.materials = {m["code"]: m for m in doc.get("materials", [])}
            self.procedures = {p["code"]: p for p in doc.get("procedures", [])}
            self.steps: list[dict] = list(self.one_thing.get("steps", []))
            self.step_by_procedure = {s["procedure"]: s for s in self.steps}
            self.guide: list[str] = list(self.one_thing.get("guide", []))
            self.output_issuer = {o["code"]: p["code"] for p in self.procedures.values()
                                  for o in p.get("outputs", [])}
            self._rules = {s["procedure"]: rules.compile_rule(s["when"]) for s in self.steps if _is_conditional(s)}
            self.when_fields = frozenset(name for rule in self._rules.values() for name in rule.names)

    # -- compiling the merged form ---------------------------------------------------------------

    @cached_property
    def form(self) -> MergedForm:
        """The merged form, compiled once (a race compiles it twice, harmlessly)."""
        with _compiling():
            for step in self.steps:
                if step["procedure"] not in self.procedures:
                    raise DefinitionError(f"step names unknown procedure {step['procedure']!r}")
            outputs = frozenset(o["code"] for s in self.steps for o in self.outputs_of(s["procedure"]))
            form = MergedForm(**self._asked(outputs), **self._materials_asked(outputs))
            schema = self._schema(form, "en")
            FormValidator.check_schema(schema, format_checker=FormValidator.FORMAT_CHECKER)
            # Validation ignores the schema's "required": validate() decides what is required now.
            validator = FormValidator({k: v for k, v in schema.items() if k != "required"},
                                      format_checker=FORMAT_CHECKER)
            return replace(form, validator=validator)

    def _asked(self, outputs: frozenset[str]) -> dict[str, Any]:
        """What is asked (guide first, then in step and procedure order) and who requires what."""
        asked: dict[str, None] = {}
        guide = tuple(code for code in self.guide if code not in outputs)
        for code in guide:
            self._known_field(code)
            asked[code] = None
        used_by: dict[str, list[str]] = {}
        required_by: dict[str, list[str]] = {}
        required: dict[str, frozenset[str]] = {}
        for step in self.steps:
            procedure = step["procedure"]
            required_here: set[str] = set()
            for ref in self.procedures[procedure].get("fields", []):
                code = ref["field"]
                self._known_field(code)
                if code in outputs:
                    continue
                asked[code] = None
                used_by.setdefault(code, []).append(procedure)
                if ref.get("required", True):
                    required_by.setdefault(code, []).append(procedure)
                    required_here.add(code)
            required[procedure] = frozenset(required_here)
        order = {code: index for index, code in enumerate(asked)}
        unconditional = {code for step in self.steps if not _is_conditional(step)
                         for code in required[step["procedure"]]}
        return {"asked": tuple(asked), "asked_order": order, "asked_guide": guide, "required_fields": required,
                "unconditional_required": tuple(sorted(unconditional, key=order.__getitem__)),
                "field_procedures": {code: tuple(procs) for code, procs in used_by.items()},
                "field_required_by": {code: tuple(procs) for code, procs in required_by.items()}}

    def _known_field(self, code: str) -> None:
        if code not in self.fields:
            raise DefinitionError(f"unknown field {code!r}")

    def _materials_asked(self, outputs: frozenset[str]) -> dict[str, Any]:
        """The one set of materials, in order of first use, and what each procedure requires."""
        info: dict[str, dict] = {}
        required: dict[str, frozenset[str]] = {}
        for step in self.steps:
            procedure, conditional = step["procedure"], _is_conditional(step)
            required_here: set[str] = set()
            for ref in self.procedures[procedure].get("materials", []):
                code = ref["material"]
                if code not in self.materials:
                    raise DefinitionError(f"unknown material {code!r}")
                if code in outputs:
                    continue
                if code not in info:
                    material = self.materials[code]
                    info[code] = {"code": code, "label": material.get("label", {}), "required": False,
                                  "accepted_types": list(material.get("accepted_types", [])),
                                  "max_size_mb": material.get("max_size_mb", 10), "procedures": []}
                if procedure not in info[code]["procedures"]:
                    info[code]["procedures"].append(procedure)
                if ref.get("required", True):
                    required_here.add(code)
                    info[code]["required"] = info[code]["required"] or not conditional
            required[procedure] = frozenset(required_here)
        return {"materials": tuple(info.values()), "required_materials": required}

    # -- the form --------------------------------------------------------------------------------

    @property
    def asked_fields(self) -> list[str]:
        """Codes of the fields the citizen is asked: guide first, then in step and procedure order.

        Deduplicated; fields whose code is an output issued by a procedure of the one thing are
        left out (never ask what another procedure issues).
        """
        return list(self.form.asked)

    @property
    def field_required_by(self) -> dict[str, list[str]]:
        """Field code → codes of the procedures (in step order) that require it.

        Only fields that at least one procedure requires appear; see :attr:`field_procedures` for
        every procedure that uses a field.
        """
        return {code: list(procs) for code, procs in self.form.field_required_by.items()}

    @property
    def field_procedures(self) -> dict[str, list[str]]:
        """Field code → codes of the procedures (in step order) that use it, required or not."""
        return {code: list(procs) for code, procs in self.form.field_procedures.items()}

    @property
    def materials_asked(self) -> list[dict]:
        """The one set of materials, in order of first use (fresh dicts; callers may change them).

        Each: ``code``, ``label`` (the ``{language: text}`` dict), ``required`` (a procedure of an
        unconditional step requires it), ``accepted_types``, ``max_size_mb`` and ``procedures``
        (codes of every procedure that lists it). Materials issued as outputs are left out.
        """
        return [{**info, "label": dict(info["label"]), "accepted_types": list(info["accepted_types"]),
                 "procedures": list(info["procedures"])} for info in self.form.materials]

    def _property(self, code: str, language: str) -> dict:
        spec = self.fields[code]
        prop: dict[str, Any] = {"title": localized(dict(spec.get("label") or {}), language)}
        if spec.get("help"):
            prop["description"] = localized(dict(spec["help"]), language)
        if spec.get("hint"):
            prop["x-govflow-hint"] = localized(dict(spec["hint"]), language)
        kind = prop["x-govflow-type"] = spec.get("type", "string")
        if kind not in FIELD_TYPES:
            raise DefinitionError(f"field {code!r} has unknown type {kind!r}")
        prop.update(FIELD_TYPES[kind].schema(spec, language))
        if isinstance(spec.get("example"), str) and spec["example"]:
            try:  # the answer the example stands for (an integer's is a number), as JSON Schema's examples hold
                prop["examples"] = [FIELD_TYPES[kind].parse(spec, spec["example"])]
            except Unparsable:
                pass  # a published example is valid; a draft's is checked at import and in the admin
        return prop

    def _schema(self, form: MergedForm, language: str) -> dict:
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": localized(dict(self.one_thing.get("name") or {}), language),
            "type": "object",
            "properties": {code: self._property(code, language) for code in form.asked},
            "required": list(form.unconditional_required),
            "additionalProperties": False,
            "x-govflow-guide": list(form.asked_guide),
            "x-govflow-order": list(form.asked),
        }

    def form_schema(self, language: str | None = None) -> dict:
        """The merged form as a JSON Schema 2020-12 document (a fresh dict; callers may change it).

        ``properties`` hold every asked field in asking order (also listed in ``x-govflow-order``,
        for clients that do not keep key order), with ``title`` in ``language`` (``zh-hans`` or
        ``en``; English when None or unknown). ``required`` lists what the unconditional steps
        require; the rest depends on the answers and is checked at submission. Non-standard
        annotations: ``x-govflow-type`` (the catalog field type), ``x-govflow-hint`` (the format in
        plain words; the standard ``examples`` holds the catalog's example), ``x-govflow-choices`` (labelled
        choices), ``x-govflow-widget``, ``x-govflow-minimum``/``x-govflow-maximum`` (decimal bounds,
        exact, as strings) and ``x-govflow-guide`` (the guide questions, asked first).
        """
        return self._schema(self.form, language or "en")

    def validate(self, data: Any, *, required: Iterable[str] | None = None, partial: bool = False) -> dict:
        """Check answers: see :func:`govflow.catalog.answers.validate_answers`."""
        return validate_answers(self, data, required=required or (), partial=partial)

    # -- structure -------------------------------------------------------------------------------

    def after(self, procedure: str) -> list[str]:
        return list(self.step_by_procedure[procedure].get("after", []))

    def outputs_of(self, procedure: str) -> list[dict]:
        return list(self.procedures[procedure].get("outputs", []))

    def physical_results_of(self, procedure: str) -> list[dict]:
        """What the procedure issues physically, with the delivery methods each allows."""
        return list(self.procedures[procedure].get("physical_results", []))

    def physical_procedures(self, procedures: Iterable[str]) -> list[str]:
        """Those of ``procedures`` that issue something physical, in the given order."""
        return [code for code in procedures if self.procedures.get(code, {}).get("physical_results")]

    def delivery_methods(self, procedures: Iterable[str]) -> tuple[str, ...]:
        """The delivery methods every physical result of ``procedures`` allows (empty: none is
        physical, or they allow no method in common)."""
        results = [r for code in self.physical_procedures(procedures) for r in self.physical_results_of(code)]
        return methods_for(results) if results else ()

    def remedy(self, procedure: str) -> dict:
        """What a refusal of ``procedure`` names (docs/catalog.md, ``remedy``), the law's defaults
        filled in: ``{"reconsideration": {"body": labels, "days"}, "litigation": {"court": labels,
        "months"}}`` (labels ``{}`` when the catalog names no place)."""
        remedy = self.procedures.get(procedure, {}).get("remedy") or {}
        reconsideration = remedy.get("reconsideration") or {}
        litigation = remedy.get("litigation") or {}
        return {"reconsideration": {"body": dict(reconsideration.get("body") or {}),
                                    "days": int(reconsideration.get("days", 60))},
                "litigation": {"court": dict(litigation.get("court") or {}),
                               "months": int(litigation.get("months", 6))}}

    def retention_years(self, procedure: str) -> int | None:
        """How many calendar years after its decision the materials ``procedure`` uses are kept
        (docs/catalog.md, ``retention``); ``None``: for ever."""
        years = (self.procedures.get(procedure, {}).get("retention") or {}).get("years")
        return int(years) if years is not None else None

    # -- 容缺受理 (deferred materials) ---------------------------------------------------------------

    def deferral(self, procedure: str) -> dict:
        """The procedure's deferral policy (docs/catalog.md, ``deferral``), defaults filled in:
        ``{"conditional_approval": bool, "on_missed": "reject"|"revoke", "clock": "paused"|"running"}``."""
        policy = self.procedures.get(procedure, {}).get("deferral") or {}
        return {"conditional_approval": bool(policy.get("conditional_approval", False)),
                "on_missed": policy.get("on_missed", "reject"), "clock": policy.get("clock", "running")}

    def deferrable_days(self, procedure: str) -> dict[str, int]:
        """Material code → working days, for the materials ``procedure`` lets follow after submission."""
        return {m["material"]: int(m["deferrable"]["days"]) for m in self.procedures[procedure].get("materials", [])
                if m.get("deferrable") and m.get("required", True)}

    def deferrable_materials(self, procedures: Iterable[str]) -> dict[str, int]:
        """Material code → working days it may follow by, for the required materials of ``procedures``
        that every one of them requiring it lets follow (the shortest deadline counts)."""
        procedures = list(procedures)
        required = {code: self.required_materials([code]) for code in procedures}
        result: dict[str, int] = {}
        for material in set().union(*required.values()) if required else set():
            days = [self.deferrable_days(code).get(material) for code in procedures if material in required[code]]
            if days and all(d is not None for d in days):
                result[material] = min(d for d in days if d is not None)
        return result

    def needs_outputs(self, procedure: str) -> list[str]:
        return list(self.procedures[procedure].get("needs_outputs", []))

    def field_codes_of(self, procedure: str) -> list[str]:
        """Fields the citizen answers for this procedure (never another procedure's output)."""
        return [f["field"] for f in self.procedures[procedure].get("fields", [])
                if f["field"] not in self.output_issuer]

    def material_codes_of(self, procedure: str) -> list[str]:
        return [m["material"] for m in self.procedures[procedure].get("materials", [])]

    # -- 告知承诺制: commitments instead of materials (govflow/catalog/commitments.py) -------------

    def commitment_of(self, procedure: str, material: str) -> dict | None:
        """The commitment (defaults filled in) that may replace ``material`` for ``procedure``;
        ``None`` when it must be provided."""
        for ref in self.procedures.get(procedure, {}).get("materials", []):
            if ref["material"] == material:
                return commitments.normalized(ref.get("commitment"))
        return None

    def commitment_for(self, material: str, procedures: Iterable[str] | None = None) -> dict | None:
        """The commitment that may replace ``material`` in this one thing (among ``procedures``,
        default every step's), from the first procedure in step order that offers one."""
        codes = [s["procedure"] for s in self.steps] if procedures is None else list(procedures)
        for code in codes:
            found = self.commitment_of(code, material)
            if found is not None:
                return found
        return None

    @cached_property
    def committable_materials(self) -> dict[str, list[str]]:
        """Material code → the procedures (in step order) whose commitment may replace it."""
        out: dict[str, list[str]] = {}
        for step in self.steps:
            for ref in self.procedures[step["procedure"]].get("materials", []):
                if ref.get("commitment"):
                    out.setdefault(ref["material"], []).append(step["procedure"])
        return out

    @cached_property
    def graph(self) -> StepGraph:
        """The steps and their prerequisites (``after``)."""
        return StepGraph((s["procedure"], s.get("after", [])) for s in self.steps)

    # -- search ----------------------------------------------------------------------------------

    @cached_property
    def search_text(self) -> str:
        """What a search looks in, folded (:func:`fold`): the one thing's code, and its name,
        description and keywords and its procedures' and departments' names in every language,
        whatever the language of the person searching."""
        texts: list[str] = [self.code]
        for value in (self.one_thing.get("name"), self.one_thing.get("description")):
            texts.extend(_texts(value))
        texts.extend(self.keywords)
        for step in self.steps:
            procedure = self.procedures.get(step["procedure"], {})
            texts.extend(_texts(procedure.get("name")))
            texts.extend(_texts(self.departments.get(procedure.get("department"), {}).get("name")))
        return "\n".join(fold(text) for text in texts)

    @cached_property
    def keywords(self) -> tuple[str, ...]:
        """The one thing's keywords of every language, folded, longest first."""
        words = {fold(w) for words in _mapping(self.one_thing.get("keywords")).values() if isinstance(words, list)
                 for w in words if isinstance(w, str)}
        return tuple(sorted((w for w in words if w), key=lambda w: (-len(w), w)))

    def matches(self, query: str) -> bool:
        """Whether a person's search finds this one thing: every word of ``query`` occurs in
        :attr:`search_text`, or the query holds one of its keywords ("我想开公司" holds "开公司").
        Case, full-width letters and the language do not matter; an empty query finds everything."""
        folded = fold(query)
        words = folded.split()
        if not words:
            return True
        if all(word in self.search_text for word in words):
            return True
        return any(len(keyword) > 1 and keyword in folded for keyword in self.keywords)

    # -- applicability ---------------------------------------------------------------------------

    def applicable_procedures(self, data: dict) -> list[str]:
        """Steps that apply to these answers, in step order.

        A step applies when its ``when`` is true (a missing answer or an evaluation
        error counts as false) and every prerequisite applies: a step can never wait
        for a prerequisite that will not run.
        """
        included: set[str] = set()
        # Steps may be listed in any order; resolve prerequisites first.
        for code in self.graph.order:
            rule = self._rules.get(code)
            if rule is not None and not rule.evaluate(data):
                continue
            if all(prereq in included for prereq in self.after(code)):
                included.add(code)
        return [step["procedure"] for step in self.steps if step["procedure"] in included]

    def fields_for(self, procedures: list[str]) -> set[str]:
        codes = set(self.guide)
        for code in procedures:
            codes.update(self.field_codes_of(code))
        return codes

    def materials_for(self, procedures: list[str]) -> set[str]:
        codes: set[str] = set()
        for code in procedures:
            codes.update(self.material_codes_of(code))
        return codes

    def _required(self, procedures: Iterable[str], table: Mapping[str, frozenset[str]]) -> set[str]:
        result: set[str] = set()
        for code in procedures:
            if code not in table:
                raise ValueError(f"{code!r} is not a procedure of this one thing")
            result |= table[code]
        return result

    def required_fields(self, procedures: Iterable[str]) -> set[str]:
        """Fields required by the given procedures (those of the applicable steps)."""
        return self._required(procedures, self.form.required_fields)

    def required_materials(self, procedures: Iterable[str]) -> set[str]:
        """Materials required by the given procedures (those of the applicable steps)."""
        return self._required(procedures, self.form.required_materials)


def fold(text: str) -> str:
    """Text as a search compares it: NFKC (full-width letters and digits become ASCII), case-folded,
    runs of white space as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _texts(value: Any) -> list[str]:
    """Every language's text of a ``{language: text}`` value."""
    return [text for text in _mapping(value).values() if isinstance(text, str)]


@contextmanager
def _compiling() -> Iterator[None]:
    """Whatever a malformed document raises while compiling becomes a :class:`DefinitionError`."""
    try:
        yield
    except SchemaError as exc:
        raise DefinitionError(f"the form schema is invalid: {exc.message}") from exc
    except (KeyError, IndexError, TypeError, AttributeError, rules.RuleError) as exc:
        raise DefinitionError(f"malformed version definition: {exc!r}") from exc


class _VersionKey:
    """A version's cache key (id and digest), carrying the row to the compiler on a miss: the
    document (often a deferred column) is read only then."""

    __slots__ = ("key", "version")

    def __init__(self, version: Any) -> None:
        self.key = (version.pk, version.digest)
        self.version = version

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _VersionKey) and other.key == self.key


@lru_cache(maxsize=256)
def _compiled(key: _VersionKey) -> Definition:
    definition = Definition(key.version.definition)
    key.version = None  # the cache keeps this key: not the row and its document as well
    return definition


def get_definition(version: Any) -> Definition:
    """The compiled definition of a ``OneThingVersion`` (cached by version id: versions never change).

    The key includes the digest so that a reused primary key (a rolled-back test database) can
    never serve another definition.
    """
    return _compiled(_VersionKey(version))


def clear_definition_cache() -> None:
    _compiled.cache_clear()
