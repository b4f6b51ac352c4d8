"""Custom viewflow nodes that open-source viewflow 2.x lacks.

``DynamicSplit`` fans out over rows computed at run time: its router returns the
branches to start, each as a node and the new task's data. It replaces Split + Join: a case
starts the moment its own prerequisites are approved, and no Join ever has to
count tokens of branches spawned mid-flight. This relies on viewflow's
``Activation`` internals; the version is pinned in requirements.txt and the node
is covered by the flow tests.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.db import transaction
from django.utils.timezone import now
from viewflow import this
from viewflow.workflow.activation import Activation, has_manage_permission
from viewflow.workflow.base import Edge, Node
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.signals import task_started
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token


class Branch(NamedTuple):
    node: Any
    data: dict


class DynamicSplitActivation(Activation):
    """Computes its branches when activated, then creates one task per branch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.branches: list[Branch] = []
        super().__init__(*args, **kwargs)

    @Activation.status.super()
    def activate(self) -> None:
        with self.exception_guard(), transaction.atomic(savepoint=True):
            self.task.started = now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            self.branches = list(self.flow_task._router(self))
            if not self.branches:
                raise FlowRuntimeError(f"No branch to start from {self.flow_task.name}")

    @Activation.status.transition(source=STATUS.DONE)
    def create_next(self) -> Iterable[Activation]:
        token_source = Token.split_token_source(self.task.token, self.task.pk)
        # Create every task before handing any over, as viewflow's Split does.
        created = [
            branch.node._create(prev_activation=self, token=next(token_source), data=branch.data)
            for branch in self.branches
        ]
        yield from created

    @Activation.status.transition(source=[STATUS.ERROR], target=STATUS.CANCELED, permission=has_manage_permission)
    def cancel(self) -> None:
        self.task.finished = now()
        self.task.save()


class DynamicSplit(Node):
    """A parallel gateway whose outgoing branches are computed by ``router(activation)``.

    ``targets`` lists every node the router may return, for the flow graph.
    """

    activation_class = DynamicSplitActivation
    task_type = "PARALLEL_GATEWAY"
    bpmn_element = "parallelGateway"
    shape = {
        "width": 50,
        "height": 50,
        "svg": """
            <path class="gateway" d="M25,0L50,25L25,50L0,25L25,0"/>
            <text font-size="30" x="16" y="35">+</text>
        """,
    }

    def __init__(self, router: Callable[[DynamicSplitActivation], Iterable[Branch]], targets: Iterable[Any],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._router = router
        self._targets = list(targets)

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._router = this.resolve(instance, self._router)
        self._targets = [this.resolve(instance, target) for target in self._targets]

    def _outgoing(self) -> Iterable[Edge]:
        for target in self._targets:
            yield Edge(src=self, dst=target, edge_class="next")
