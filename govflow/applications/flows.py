"""The one generic flow that interprets every published one-thing version.

Administrators never write code, and the names viewflow stores in the database
(``Process.flow_class``, ``Task.flow_task``) never change when a one thing does (they
changed once, when this module moved here from a top-level ``workflows`` app: migration
``applications.0005`` rewrote them)::

    start (StartHandle: submission)
      -> fan_out (DynamicSplit: one review task per case whose prerequisites are met)
      -> review (View: a clerk of the case's department decides)
      -> route (DynamicSplit: a correction task for the citizen; review tasks for
                cases that just became ready; delivery when every case is final;
                otherwise the branch ends)
    correction (View: the citizen answers) -> review (back to the clerk who asked)
    deliver (Function: gather outputs, outcome, notify) -> end

Every node handler calls into ``govflow.applications.engine``; every entry point
goes through ``govflow.applications.services``.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from . import engine
from .nodes import DynamicSplit


def _case_task(title: str, *, assign, then) -> flow.View:
    """A person's task on one case: it points the case at itself when created and hands the
    same case on to ``then``. The portal and the workbench show it (no viewflow view)."""
    return (
        flow.View(engine.no_view)
        .Annotation(title=title)
        .Assign(assign)
        .onCreate(this.point_case_at_task)
        .Next(then, task_data=this.same_case)
    )


class OneThingFlow(flow.Flow):
    """Runs one citizen application of any one thing."""

    process_title = _("One-thing application")
    process_description = _("A citizen's application for a one thing, interpreted from its published version.")
    # Without a lock parallel branches lose updates on PostgreSQL; nowait=False
    # queues the loser behind the winner instead of failing after random back-off.
    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.fan_out)

    fan_out = DynamicSplit(this.route_ready_cases, targets=[this.review])

    review = _case_task("Clerk review", assign=this.reviewer_for, then=this.route)

    route = DynamicSplit(this.route_after_review, targets=[this.review, this.correction, this.deliver, this.end])

    correction = _case_task("Citizen correction", assign=this.applicant_for, then=this.review)

    deliver = flow.Function(this.deliver_results).Next(this.end)

    end = flow.End()

    # -- handlers: thin adapters from viewflow activations to the engine ------------

    def start_process(self, activation, application):
        engine.bind_process(activation.process, application)
        return activation.process

    def route_ready_cases(self, activation):
        return engine.route_ready_cases(activation.process, review_node=self.review)

    def route_after_review(self, activation):
        return engine.route_after_review(
            activation.process, case_id=activation.task.data["case"],
            review_node=self.review, correction_node=self.correction,
            deliver_node=self.deliver, end_node=self.end,
        )

    def reviewer_for(self, activation):
        return engine.reviewer_for(activation.process, case_id=activation.task.data["case"])

    def applicant_for(self, activation):
        return engine.applicant_for(activation.process)

    def point_case_at_task(self, activation):
        engine.point_case_at_task(activation.process, activation.task)

    def same_case(self, activation):
        return {"case": activation.task.data["case"]}

    def deliver_results(self, activation):
        engine.deliver(activation.process)
