"""Read-only view of a published one-thing version, compiled once and cached.

A version's ``definition`` is immutable, so the compiled form (indexes, CEL
programs, JSON Schema validator) is cached per version id for the life of the
process.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property
from typing import Any

from . import forms, rules
from .steps import StepGraph


class Definition:
    """A ``govflow.catalog/1`` document holding exactly one one thing."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.one_thing: dict = doc["one_things"][0]
        self.code: str = self.one_thing["code"]
        self.departments = {d["code"]: d for d in doc.get("departments", [])}
        self.fields = {f["code"]: f for f in doc.get("fields", [])}
        self.materials = {m["code"]: m for m in doc.get("materials", [])}
        self.procedures = {p["code"]: p for p in doc.get("procedures", [])}
        self.steps: list[dict] = list(self.one_thing.get("steps", []))
        self.step_by_procedure = {s["procedure"]: s for s in self.steps}
        self.guide: list[str] = list(self.one_thing.get("guide", []))
        self.output_issuer = {
            o["code"]: p["code"] for p in self.procedures.values() for o in p.get("outputs", [])
        }
        self._rules = {s["procedure"]: rules.compile_rule(s["when"]) for s in self.steps if s.get("when")}

    # -- structure -------------------------------------------------------------------

    def after(self, procedure: str) -> list[str]:
        return list(self.step_by_procedure[procedure].get("after", []))

    def outputs_of(self, procedure: str) -> list[dict]:
        return list(self.procedures[procedure].get("outputs", []))

    def needs_outputs(self, procedure: str) -> list[str]:
        return list(self.procedures[procedure].get("needs_outputs", []))

    def field_codes_of(self, procedure: str) -> list[str]:
        """Fields the citizen answers for this procedure (never another procedure's output)."""
        return [f["field"] for f in self.procedures[procedure].get("fields", [])
                if f["field"] not in self.output_issuer]

    def material_codes_of(self, procedure: str) -> list[str]:
        return [m["material"] for m in self.procedures[procedure].get("materials", [])]

    @cached_property
    def graph(self) -> StepGraph:
        """The steps and their prerequisites (``after``)."""
        return StepGraph((s["procedure"], s.get("after", [])) for s in self.steps)

    @cached_property
    def asked_fields(self) -> list[str]:
        return forms.asked_fields(self.doc)

    @cached_property
    def when_fields(self) -> frozenset[str]:
        names: set[str] = set()
        for rule in self._rules.values():
            names |= set(rule.names)
        return frozenset(names)

    @cached_property
    def form_schema(self) -> dict:
        return forms.form_schema(self.doc)

    # -- applicability -----------------------------------------------------------------

    def applicable_procedures(self, data: dict) -> list[str]:
        """Steps that apply to these answers, in step order.

        A step applies when its ``when`` is true (a missing answer or an evaluation
        error counts as false) and every prerequisite applies: a step can never wait
        for a prerequisite that will not run.
        """
        applicable: list[str] = []
        included: set[str] = set()
        # Steps may be listed in any order; resolve prerequisites first.
        for code in self.graph.order:
            rule = self._rules.get(code)
            if rule is not None and not rule.evaluate(data):
                continue
            if all(prereq in included for prereq in self.after(code)):
                included.add(code)
        for step in self.steps:
            if step["procedure"] in included:
                applicable.append(step["procedure"])
        return applicable

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

    def required_fields(self, procedures: list[str]) -> set[str]:
        return set(forms.required_fields_for(self.doc, procedures))

    def required_materials(self, procedures: list[str]) -> set[str]:
        return set(forms.required_materials_for(self.doc, procedures))

    def validate(self, data: Any, *, required: set[str] | None = None, partial: bool = False) -> dict:
        return forms.validate_answers(self.doc, data, required=required or (), partial=partial)


_cache: OrderedDict[tuple[int, str], Definition] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 256


def get_definition(version: Any) -> Definition:
    """The compiled definition of a ``OneThingVersion`` (cached; versions never change).

    The key includes the digest so that a reused primary key (a rolled-back test
    database) can never serve another definition.
    """
    key = (version.pk, version.digest)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    compiled = Definition(version.definition)
    with _cache_lock:
        _cache[key] = compiled
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def clear_definition_cache() -> None:
    with _cache_lock:
        _cache.clear()
