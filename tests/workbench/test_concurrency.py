"""Real threads on PostgreSQL: two clerks press "claim" on the same row at the same instant."""
from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from govflow.applications.models import Case, TimelineEntry

from ..stories import case_of, submitted

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
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def press(index: int) -> None:
        try:
            barrier.wait()
            response = clients[index].post(url)
            results[index] = (response.status_code, response.url,
                              [str(m) for m in get_messages(response.wsgi_request)])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    winners = [r for r in results if r[1] == reverse("workbench:task", args=[case.task_id])]
    losers = [r for r in results if r[1] == reverse("workbench:queue")]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0][2] == [f"Someone else was faster: {app.number} is already claimed."]
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "in_review" and fresh.owner in people
    assert TimelineEntry.objects.filter(case=case, kind="case.claimed").count() == 1
