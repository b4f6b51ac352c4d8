"""``StepGraph``: a one thing's steps and their prerequisites, on graphlib."""
from __future__ import annotations

from govflow.catalog import steps as steps_module
from govflow.catalog.steps import StepGraph

# a → b, a → c, b → d, c → d: d comes after b and c, which both come after a.
DIAMOND = [("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["b", "c"])]


def position(graph: StepGraph) -> dict[str, int]:
    return {code: index for index, code in enumerate(graph.order)}


def test_an_empty_graph_has_nothing_and_never_fails():
    graph = StepGraph([])
    assert (graph.nodes, graph.order, graph.cycles, graph.unknown) == ((), (), [], {})
    assert graph.on_cycle == [] and graph.depths() == {}
    assert graph.longest_chain(lambda code: 1) == (0, [])
    assert graph.prerequisites("x") == () and graph.dependents("x") == ()
    assert graph.ancestors("x") == set() and graph.descendants("x") == set()
    assert "x" not in graph and len(graph) == 0


def test_a_diamond_is_ordered_with_every_step_after_its_prerequisites():
    graph = StepGraph(DIAMOND)
    where = position(graph)
    assert sorted(graph.order) == ["a", "b", "c", "d"]
    for code, after in DIAMOND:
        assert all(where[p] < where[code] for p in after)
    assert graph.cycles == [] and graph.on_cycle == []


def test_a_diamond_answers_direct_and_transitive_questions():
    graph = StepGraph(DIAMOND)
    assert graph.prerequisites("d") == ("b", "c")
    assert graph.dependents("a") == ("b", "c")
    assert graph.ancestors("d") == {"a", "b", "c"}
    assert graph.descendants("a") == {"b", "c", "d"}
    assert graph.descendants("d") == set()
    assert graph.depths() == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_the_longest_chain_weighs_each_step_and_prefers_the_first_written_on_a_tie():
    graph = StepGraph(DIAMOND)
    assert graph.longest_chain({"a": 1, "b": 2, "c": 5, "d": 1}.__getitem__) == (7, ["a", "c", "d"])
    assert graph.longest_chain(lambda code: 1) == (3, ["a", "b", "d"])


def test_unknown_prerequisites_are_set_aside_and_a_step_never_waits_for_itself():
    graph = StepGraph([("a", ["ghost", "a"]), ("b", ["a", "a", "phantom"])])
    assert graph.unknown == {"a": ["ghost"], "b": ["phantom"]}
    assert graph.prerequisites("a") == ()
    assert graph.prerequisites("b") == ("a",)  # listed twice, counted once
    assert graph.cycles == [] and graph.order == ("a", "b")


def test_a_procedure_listed_twice_counts_once_with_its_first_step():
    graph = StepGraph([("a", []), ("b", ["a"]), ("b", [])])
    assert graph.nodes == ("a", "b")
    assert graph.prerequisites("b") == ("a",)


def test_a_cycle_is_reported_in_approval_order_and_cut_where_it_closes():
    graph = StepGraph([("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", [])])
    assert len(graph.cycles) == 1
    cycle = graph.cycles[0]
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    for before, after in zip(cycle, cycle[1:], strict=False):
        assert before in graph.prerequisites(after)  # each is approved before the next
    assert sorted(graph.order) == ["a", "b", "c", "d"]  # still an order
    assert graph.on_cycle == ["a", "b", "c"]
    assert graph.ancestors("a") == {"a", "b", "c"}


def test_every_cycle_is_reported_once_and_only_steps_on_one_are_members():
    # Two cycles sharing the step b, and e hanging after them.
    graph = StepGraph([("a", ["b"]), ("b", ["a", "c"]), ("c", ["b"]), ("e", ["c"])])
    assert sorted(sorted(set(c)) for c in graph.cycles) == [["a", "b"], ["b", "c"]]
    assert graph.on_cycle == ["a", "b", "c"]
    assert graph.depths()["e"] >= 1
    assert len(graph.order) == 4


def test_a_hostile_number_of_cycles_is_cut_in_one_go(monkeypatch):
    monkeypatch.setattr(steps_module, "MAX_REPORTED_CYCLES", 3)
    codes = [f"s{i}" for i in range(12)]
    graph = StepGraph((code, [other for other in codes if other != code]) for code in codes)
    assert len(graph.cycles) == 3
    assert sorted(graph.order) == sorted(codes)
    assert graph.on_cycle == codes


def test_it_reads_a_documents_steps_defensively():
    graph = StepGraph.of_steps([
        {"procedure": "a"}, None, {"procedure": 3}, {"procedure": "b", "after": ["a", 7, None]},
        {"procedure": "c", "after": "a"}])
    assert graph.nodes == ("a", "b", "c")
    assert graph.prerequisites("b") == ("a",) and graph.prerequisites("c") == ()
    assert StepGraph.of_steps(None).nodes == ()
