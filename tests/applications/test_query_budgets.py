"""Query budgets of the hot paths (issue #2): business-startup with all five steps."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.applications import selectors, services

from ..stories import OUTPUTS, case_of, draft, submitted

pytestmark = pytest.mark.django_db

PARALLEL = ("psb-seal-filing", "tax-registration", "hrss-employer-insurance", "hpf-employer-account")


def count(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def test_submit_costs_at_most_40_queries(citizen_alice, demo_catalog, django_assert_max_num_queries):
    app = draft(citizen_alice, "business-startup")
    with django_assert_max_num_queries(40):
        services.application_submit(application=app, user=citizen_alice)


def test_claim_costs_at_most_12_queries(citizen_alice, clerks, django_assert_max_num_queries):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    with django_assert_max_num_queries(12):
        services.task_claim(case=case, user=clerks["amr"])


def test_every_completion_costs_at_most_45_queries(citizen_alice, clerks, django_assert_max_num_queries):
    app = submitted(citizen_alice, "business-startup")
    order = ("amr-licence", *PARALLEL)
    for code in order:
        case = case_of(app, code)
        services.task_claim(case=case, user=clerks[code.split("-")[0]])
        with django_assert_max_num_queries(45):
            services.task_complete(case=case, user=clerks[code.split("-")[0]], decision="approve",
                                   outputs=OUTPUTS[code])
    app.refresh_from_db()
    assert app.status == "completed"


@pytest.mark.parametrize("applications", [1, 30])
def test_the_clerk_queue_costs_a_constant_number_of_queries(applications, citizen_alice, clerks,
                                                            django_assert_max_num_queries):
    for _ in range(applications):
        submitted(citizen_alice, "newborn")
    with django_assert_max_num_queries(6):
        rows = [(c.task_id, c.application.number, c.procedure.code, c.department.code, c.owner, c.task.created)
                for c in selectors.task_queue_for_clerk(user=clerks["health"])]
    assert len(rows) == applications
