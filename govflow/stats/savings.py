"""What a one thing saves the citizen compared with doing its procedures one by one.

The reform publishes exactly these figures (减环节、减材料、减时限、减跑动). They are computed
from a published definition only (no database), over *every* step, conditional ones included:
the citizen who needs them all is the one the comparison is made for.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from govflow.catalog.definition import Definition

__all__ = ["Savings", "one_thing_savings", "savings_of"]


@dataclass(frozen=True)
class Savings:
    """The figures, one attribute each (the portal's pages read them so)."""

    procedures: int
    fields_separately: int
    fields_once: int
    materials_separately: int
    materials_once: int
    visits_separately: int
    visits_once: int
    days_separately: int
    days_committed: int


def one_thing_savings(definition: Definition | Mapping) -> dict[str, int]:
    """:func:`savings_of` by name, as the API publishes them (``savings`` of a one thing)."""
    return asdict(savings_of(definition))


def savings_of(definition: Definition | Mapping) -> Savings:
    """Savings of the one thing in ``definition`` (a :class:`Definition` or its document).

    - ``procedures``: number of steps.
    - ``fields_separately``: Σ over steps of the procedure's fields plus its ``needs_outputs``
      (separately, the citizen types in the licence number a later department needs). A code
      that is both a field of the procedure and one of its ``needs_outputs`` counts once.
    - ``fields_once``: distinct fields the citizen is asked in the merged form, guide included.
    - ``materials_separately``: Σ over steps of the procedure's materials.
    - ``materials_once``: distinct materials the citizen uploads (one set of materials).
    - ``visits_separately``: one visit per step; ``visits_once``: 0, everything is online.
    - ``days_separately``: Σ of the procedures' ``statutory_days``.
    - ``days_committed``: the one thing's ``committed_days``.
    """
    if not isinstance(definition, Definition):
        definition = Definition(definition)
    doc = definition.doc
    one_thing = doc["one_things"][0]
    procedures = {p["code"]: p for p in doc.get("procedures", [])}
    steps = [procedures[step["procedure"]] for step in one_thing.get("steps", [])]

    fields_separately = sum(
        len({ref["field"] for ref in p.get("fields", [])} | set(p.get("needs_outputs", []))) for p in steps
    )
    materials_separately = sum(len({ref["material"] for ref in p.get("materials", [])}) for p in steps)
    return Savings(
        procedures=len(steps),
        fields_separately=fields_separately,
        fields_once=len(definition.form.asked),
        materials_separately=materials_separately,
        materials_once=len(definition.materials_asked),
        visits_separately=len(steps),
        visits_once=0,
        days_separately=sum(int(p.get("statutory_days", 0)) for p in steps),
        days_committed=int(one_thing.get("committed_days", 0)),
    )
