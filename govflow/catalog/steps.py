"""The steps of a one thing as a graph: each step's prerequisites (``after``), order and cycles.

Every reader of ``after`` goes through :class:`StepGraph`: the validator (cycles, outputs
issued upstream), the designer (critical path, layers, unreachable steps), the admin's steps
form (cycles), the compiled :class:`~govflow.catalog.definition.Definition` (applicability in
order) and the engine (cancelling dependents, the expected finish). Topological order and
cycle detection are the standard library's :mod:`graphlib`.

A graph is built from whatever a draft holds, so it never raises: a procedure listed twice
counts once (its first step), a prerequisite that is not a step is set aside in
:attr:`StepGraph.unknown`, and a step that names itself does not depend on itself. A cycle is
reported in :attr:`StepGraph.cycles` and cut where it closes, so :attr:`StepGraph.order`
always exists and nothing built on it can loop.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from graphlib import CycleError, TopologicalSorter
from typing import Any

__all__ = ["StepGraph"]

# More cycles than this are not reported one by one: each costs a pass over the graph, and a
# hostile document could hold very many. The rest is cut in one go (see ``_cut_cycles``).
MAX_REPORTED_CYCLES = 50


class StepGraph:
    """A one thing's steps and the prerequisites among them."""

    def __init__(self, steps: Iterable[tuple[str, Iterable[str]]]) -> None:
        """``steps``: ``(procedure code, the procedure codes it comes after)`` in step order."""
        written: dict[str, list[str]] = {}
        for code, after in steps:
            written.setdefault(code, list(dict.fromkeys(after)))
        #: The steps' procedure codes, in step order.
        self.nodes: tuple[str, ...] = tuple(written)
        self._prerequisites = {code: tuple(p for p in after if p in written and p != code)
                               for code, after in written.items()}
        #: Step → the prerequisites it names that are not steps (only steps that name any).
        self.unknown: dict[str, list[str]] = {
            code: missing for code, after in written.items() if (missing := [p for p in after if p not in written])}
        dependents: dict[str, list[str]] = {code: [] for code in written}
        for code, prerequisites in self._prerequisites.items():
            for prerequisite in prerequisites:
                dependents[prerequisite].append(code)
        self._dependents = {code: tuple(found) for code, found in dependents.items()}
        #: Each cycle as ``[a, b, …, a]``: every procedure must be approved before the next.
        self.cycles: list[list[str]]
        self.cycles, self._acyclic = _cut_cycles(self._prerequisites, self.nodes)
        #: Every step after its prerequisites (a cycle cut where it closes).
        self.order: tuple[str, ...] = tuple(TopologicalSorter(self._acyclic).static_order())

    @classmethod
    def of_steps(cls, steps: Any) -> StepGraph:
        """The graph of a document's ``steps`` list, read defensively (drafts may be invalid)."""
        items = steps if isinstance(steps, list) else []
        return cls((step["procedure"], _strings(step.get("after"))) for step in items
                   if isinstance(step, dict) and isinstance(step.get("procedure"), str))

    def __contains__(self, code: object) -> bool:
        return code in self._prerequisites

    def __len__(self) -> int:
        return len(self.nodes)

    def prerequisites(self, code: str) -> tuple[str, ...]:
        """The steps ``code`` comes after directly, as written (an unknown code: none)."""
        return self._prerequisites.get(code, ())

    def dependents(self, code: str) -> tuple[str, ...]:
        """The steps that come directly after ``code``, in step order."""
        return self._dependents.get(code, ())

    def ancestors(self, code: str) -> set[str]:
        """Every step ``code`` comes after, transitively (itself too if it is on a cycle)."""
        return _reach(code, self._prerequisites)

    def descendants(self, code: str) -> set[str]:
        """Every step that comes after ``code``, transitively (itself too if it is on a cycle)."""
        return _reach(code, self._dependents)

    @property
    def on_cycle(self) -> list[str]:
        """The steps that lie on some cycle, in step order."""
        return [code for code in self.nodes if code in self.ancestors(code)]

    def depths(self) -> dict[str, int]:
        """Step → 0 without prerequisites, else 1 + its deepest prerequisite's depth."""
        depth: dict[str, int] = {}
        for code in self.order:
            depth[code] = max((depth[p] + 1 for p in self._acyclic[code]), default=0)
        return {code: depth[code] for code in self.nodes}

    def longest_chain(self, weight: Callable[[str], int]) -> tuple[int, list[str]]:
        """The heaviest chain of steps along ``after``: ``(total weight, [codes, first to last])``.

        On a tie the prerequisite written first, and then the step listed first, wins.
        """
        best: dict[str, tuple[int, list[str]]] = {}
        for code in self.order:
            before: tuple[int, list[str]] = (0, [])
            for prerequisite in self._acyclic[code]:
                if best[prerequisite][0] > before[0]:
                    before = best[prerequisite]
            best[code] = (before[0] + weight(code), [*before[1], code])
        longest: tuple[int, list[str]] = (0, [])
        for code in self.nodes:
            if best[code][0] > longest[0]:
                longest = best[code]
        return longest


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _reach(start: str, edges: dict[str, tuple[str, ...]]) -> set[str]:
    found: set[str] = set()
    pending = list(edges.get(start, ()))
    while pending:
        code = pending.pop()
        if code not in found:
            found.add(code)
            pending.extend(edges[code])
    return found


def _cut_cycles(prerequisites: dict[str, tuple[str, ...]],
                nodes: tuple[str, ...]) -> tuple[list[list[str]], dict[str, tuple[str, ...]]]:
    """``(cycles, prerequisites without the edges that closed them)``.

    graphlib names one cycle at a time; each is cut at its closing edge and the graph sorted
    again. Past :data:`MAX_REPORTED_CYCLES`, every prerequisite listed after its step is dropped
    instead, which leaves no cycle at all.
    """
    edges = {code: list(after) for code, after in prerequisites.items()}
    cycles: list[list[str]] = []
    while True:
        try:
            TopologicalSorter(edges).prepare()
        except CycleError as exc:
            cycle = list(exc.args[1])
            if len(cycles) == MAX_REPORTED_CYCLES:
                position = {code: index for index, code in enumerate(nodes)}
                edges = {code: [p for p in after if position[p] < position[code]] for code, after in edges.items()}
                continue
            cycles.append(cycle)
            edges[cycle[-1]].remove(cycle[-2])
        else:
            return cycles, {code: tuple(after) for code, after in edges.items()}
