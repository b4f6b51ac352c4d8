"""Real threads on PostgreSQL: the locks hold under simultaneous requests."""
from __future__ import annotations

import pytest
from django.db import connection

from govflow.applications.models import ApplicationStatus, TimelineEntry
from govflow.applications.services import deciding, submitting
from govflow.errors import DomainError
from govflow.notifications.models import OutboxMessage

from .. import threads
from ..factories import MembershipFactory, UserFactory
from ..stories import OUTPUTS, approve, case_of, submitted

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def run_together(functions) -> list:
    """Start every function at the same instant, each on its own thread and connection."""
    return [("error", r) if isinstance(r, Exception) else ("ok", r) for r in threads.run_together(functions)]


def test_twenty_simultaneous_claims_of_one_task_have_exactly_one_winner(citizen_alice, demo_catalog):
    from govflow.catalog.models import Department

    amr = Department.objects.get(code="amr")
    clerks = []
    for i in range(20):
        user = UserFactory(username=f"amr-{i}")
        MembershipFactory(user=user, department=amr, role="clerk")
        clerks.append(user)
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")

    results = run_together([lambda u=u: deciding.task_claim(case=case, user=u) for u in clerks])

    winners = [r for r in results if r[0] == "ok"]
    losers = [r for r in results if r[0] == "error"]
    assert len(winners) == 1
    assert all(isinstance(exc, DomainError) and exc.status == 409 for _, exc in losers), losers
    case.refresh_from_db()
    assert case.status == "in_review" and case.owner == winners[0][1].owner
    assert TimelineEntry.objects.filter(application=app, kind="case.claimed").count() == 1


def test_the_last_two_cases_completed_together_deliver_exactly_once(citizen_alice, clerks, settings):
    # Both last cases must be decided by clerks here, not by the demo's automatic insurance checker.
    settings.GOVFLOW_AUTOMATIC_STEPS = False
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", clerks["health"])
    approve(app, "psb-household-registration", clerks["psb"])
    mi, hrss = case_of(app, "mi-newborn-insurance"), case_of(app, "hrss-social-security-card")
    deciding.task_claim(case=mi, user=clerks["mi"])
    deciding.task_claim(case=hrss, user=clerks["hrss"])

    results = run_together([
        lambda: deciding.task_complete(case=mi, user=clerks["mi"], decision="approve",
                                       outputs=OUTPUTS["mi-newborn-insurance"]),
        lambda: deciding.task_complete(case=hrss, user=clerks["hrss"], decision="approve",
                                       outputs=OUTPUTS["hrss-social-security-card"]),
    ])

    assert [r[0] for r in results] == ["ok", "ok"], results
    app.refresh_from_db()
    assert (app.status, app.outcome) == (ApplicationStatus.COMPLETED, "approved")
    assert TimelineEntry.objects.filter(application=app, kind="application.completed").count() == 1
    # One notification of the end (a proactive-services event row goes beside it: another kind).
    assert OutboxMessage.objects.filter(application=app, kind="notification",
                                        event="application.completed").count() == 1
    assert app.process.status == "DONE"


def test_simultaneous_submissions_get_distinct_numbers(demo_catalog):
    from ..factories import CitizenFactory
    from ..stories import draft

    people = [CitizenFactory(username=f"p{i}") for i in range(6)]
    drafts = [draft(p, "newborn") for p in people]
    results = run_together([lambda a=a, p=p: submitting.application_submit(application=a, user=p)
                            for a, p in zip(drafts, people, strict=True)])
    assert all(r[0] == "ok" for r in results), results
    numbers = {r[1].number for r in results}
    assert len(numbers) == 6
