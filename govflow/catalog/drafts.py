"""Reading a one thing's snapshot defensively: a draft may be invalid, and nothing here raises on it.

The design checks (:mod:`.design`), the diff (:mod:`.diff`) and the designer's diagram read drafts
through these.
"""
from __future__ import annotations

from typing import Any

from .steps import StepGraph


def one_thing_of(doc: Any) -> dict:
    items = doc.get("one_things") if isinstance(doc, dict) else None
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return {}


def steps_of(doc: Any) -> list[dict]:
    steps = one_thing_of(doc).get("steps")
    if not isinstance(steps, list):
        return []
    return [s for s in steps if isinstance(s, dict) and isinstance(s.get("procedure"), str)]


def by_code(doc: Any, section: str) -> dict[str, dict]:
    items = doc.get(section) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return {}
    return {i["code"]: i for i in items if isinstance(i, dict) and isinstance(i.get("code"), str)}


def after_of(step: dict) -> list[str]:
    after = step.get("after")
    return [a for a in after if isinstance(a, str)] if isinstance(after, list) else []


def codes_of(value: Any) -> list[str]:
    """The strings of a JSON list (anything else: none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def committed_days_of(procedure: dict | None) -> int:
    value = (procedure or {}).get("committed_days")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def graph_of(doc: Any) -> StepGraph:
    return StepGraph.of_steps(one_thing_of(doc).get("steps"))
