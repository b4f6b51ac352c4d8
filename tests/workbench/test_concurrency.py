"""Real threads on PostgreSQL: two clerks press "claim" on the same row at the same instant."""
from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from govflow.applications.models import Case, TimelineEntry

from ..stories import case_of, submitted
from ..threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def test_two_simultaneous_claims_through_the_pages_have_one_winner_and_one_clear_message(
        citizen_alice, clerks, clerk_dan_amr):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    url = reverse("workbench:claim", args=[case.task_id])
    people = [clerks["amr"], clerk_dan_amr]
    clients = []
    for person in people:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(person)
        clients.append(client)
    def press(client) -> tuple:
        response = client.post(url)
        return response.status_code, response.url, [str(m) for m in get_messages(response.wsgi_request)]

    results = run_together([lambda client=client: press(client) for client in clients])

    winners = [r for r in results if r[1] == reverse("workbench:task", args=[case.task_id])]
    losers = [r for r in results if r[1] == reverse("workbench:queue")]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0][2] == [f"Someone else was faster: {app.number} is already claimed."]
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "in_review" and fresh.owner in people
    assert TimelineEntry.objects.filter(case=case, kind="case.claimed").count() == 1
