"""Query budgets of the hot paths (issues #2 and #8): business-startup with all five steps.

The budgets are the numbers ``manage.py bench`` measures (BENCHMARKS.md), so they are counted the
same way: outside any enclosing transaction (``transaction=True``), where a service's own
``atomic`` block costs no statement, and after one warm-up application, so that the per-process
caches (the compiled version, the working-day calendar) are loaded, as in a running server.
The issue's floors are submit ≤ 30, claim ≤ 8, completion ≤ 30; the budgets below are tighter.
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.applications import commitments, selectors
from govflow.applications.services import deciding, submitting

from ..commitment_story import WITHOUT_PREMISES, with_rate
from ..stories import OUTPUTS, case_of, draft, submitted

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance", "hpf-employer-account")
# Submit: 24 before jurisdictions, +2 for routing (the application division's ancestors, then the
# competent offices of every procedure in one query), whatever the number of steps or offices.
SUBMIT, CLAIM, COMPLETE_MIDDLE, COMPLETE_LAST = 26, 7, 22, 26


@pytest.fixture(autouse=True)
def _outbox_to_an_in_memory_broker():
    """As in the benchmark: outbox rows are handed to a broker after the commit, not delivered
    inline by eager Celery, so only the service's own statements are counted."""
    from govflow.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="memory://")
    yield
    app.conf.update(saved)


def queries(fn) -> tuple[int, object]:
    """Statements a service call runs; SQLite's logged BEGIN/COMMIT are the transaction itself,
    which PostgreSQL's driver does not log, so they are left out to count alike on both."""
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return sum(1 for q in ctx.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")), result


def run_story(citizen, clerks, measure: bool) -> dict[str, list[int]]:
    app = draft(citizen, "business-startup")
    counts: dict[str, list[int]] = {"submit": [], "claim": [], "complete": [], "complete_last": []}
    n, _ = queries(lambda: submitting.application_submit(application=app, user=citizen))
    counts["submit"].append(n)
    for index, code in enumerate(ORDER):
        clerk = clerks[code.split("-")[0]]
        case = case_of(app, code)
        n, _ = queries(lambda: deciding.task_claim(case=case, user=clerk))  # noqa: B023
        counts["claim"].append(n)
        n, _ = queries(lambda: deciding.task_complete(case=case, user=clerk, decision="approve",  # noqa: B023
                                                       outputs=OUTPUTS[code]))  # noqa: B023
        counts["complete_last" if index == len(ORDER) - 1 else "complete"].append(n)
    app.refresh_from_db()
    assert app.status == "completed" and app.outcome == "approved"
    return counts


def test_submit_claim_and_completions_stay_within_their_budgets(citizen_alice, clerks):
    run_story(citizen_alice, clerks, measure=False)  # warm the per-process caches
    counts = run_story(citizen_alice, clerks, measure=True)
    assert max(counts["submit"]) <= SUBMIT, counts
    assert max(counts["claim"]) <= CLAIM, counts
    assert max(counts["complete"]) <= COMPLETE_MIDDLE, counts
    assert max(counts["complete_last"]) <= COMPLETE_LAST, counts


def test_a_cold_process_costs_only_its_cache_loads_more(citizen_alice, clerks):
    """The first submission in a fresh process (and of a new year) costs four more, no more."""
    from govflow.catalog.calendar import invalidate_calendar_cache
    from govflow.catalog.definition import clear_definition_cache

    invalidate_calendar_cache()
    clear_definition_cache()
    app = draft(citizen_alice, "business-startup")
    invalidate_calendar_cache()
    clear_definition_cache()
    n, _ = queries(lambda: submitting.application_submit(application=app, user=citizen_alice))
    # + the calendar (1 query) + the year's first number (insert of the counter row in a savepoint: 3)
    assert n <= SUBMIT + 4


@pytest.mark.parametrize("applications", [1, 30])
def test_the_clerk_queue_costs_a_constant_number_of_queries(applications, citizen_alice, clerks,
                                                            django_assert_max_num_queries):
    for _ in range(applications):
        submitted(citizen_alice, "newborn")
    with django_assert_max_num_queries(6):
        rows = [(c.task_id, c.application.number, c.procedure.code, c.department.code, c.owner, c.task.created)
                for c in selectors.task_queue_for_clerk(user=clerks["health"])]
    assert len(rows) == applications


def test_a_commitment_costs_three_more_at_submission_and_one_insert_at_the_draw(citizen_alice, clerks):
    """告知承诺制: signing 6; a submission with a signed commitment SUBMIT + 3 (the refusal list, the
    commitment, the redrawn PDF's document); approving the procedure that offers it, when drawn,
    COMPLETE_MIDDLE + 1 (the verification's insert). Without a commitment signed, the licence's
    approval costs its one read of the commitments within COMPLETE_MIDDLE (the story above)."""
    with_rate(1)
    run_story(citizen_alice, clerks, measure=False)  # warm the caches on the new version
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    n, _ = queries(lambda: commitments.commitment_sign(application=app, user=citizen_alice,
                                                       material_code="premises_proof", confirmed=True))
    assert n <= 6, n
    n, _ = queries(lambda: submitting.application_submit(application=app, user=citizen_alice))
    assert n <= SUBMIT + 3, n
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    n, _ = queries(lambda: deciding.task_complete(case=case, user=clerks["amr"], decision="approve",
                                                   outputs=OUTPUTS["amr-licence"]))
    assert n <= COMPLETE_MIDDLE + 1, n
    assert case.verifications.count() == 1
