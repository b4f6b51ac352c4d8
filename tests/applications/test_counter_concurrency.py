"""Real threads on PostgreSQL: a receipt code is claimed once, however many press "claim" at once."""
from __future__ import annotations

import pytest
from django.db import connection

from govflow.applications import counter
from govflow.applications.models import Application, TimelineEntry
from govflow.catalog.services import import_catalog
from govflow.errors import InvalidInput

from ..conftest import load_demo_document
from ..counter_story import counter_clerk, counter_office, walk_in
from ..factories import UserFactory
from ..threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def test_two_accounts_claiming_one_walk_in_application_at_once_have_one_winner():
    import_catalog(load_demo_document())
    office = counter_office()
    app, code = walk_in(counter_clerk(office=office), office)
    walk_in_id = app.applicant.id_number
    claimants = [UserFactory(), UserFactory()]  # signed-in accounts without an id number yet

    def claim(user):
        return lambda: counter.application_claim(user=user, number=app.number, code=code,
                                                 client_address="203.0.113.7")

    results = run_together([claim(u) for u in claimants])

    won = [r for r in results if isinstance(r, Application)]
    assert len(won) == 1 and sum(isinstance(r, InvalidInput) for r in results) == 1, results
    app.refresh_from_db()
    winner = type(claimants[0]).objects.get(pk=won[0].claimed_by_id)
    assert app.applicant == winner and winner.id_number == walk_in_id
    assert TimelineEntry.objects.filter(application=app, kind="application.claimed").count() == 1
