"""Real threads on PostgreSQL: two clerks record opposite outcomes of one verification at the same
instant; exactly one is recorded, and a false one revokes and lists once."""
from __future__ import annotations

import pytest
from django.db import connection

from govflow.applications import commitments
from govflow.applications.models import RefusalEntry, TimelineEntry, Verification
from govflow.errors import InvalidState

from ..commitment_story import approved, with_rate
from ..threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def test_two_simultaneous_outcomes_have_one_winner(citizen_alice, clerks, clerk_dan_amr):
    with_rate(1)
    app = approved(citizen_alice, clerks["amr"])
    verification = Verification.objects.get()
    attempts = [(clerks["amr"], "false", "The lease is forged."), (clerk_dan_amr, "true", "Seen on site.")]
    results = run_together([
        lambda user=user, outcome=outcome, note=note: commitments.verification_complete(
            verification=verification, user=user, outcome=outcome, note=note)
        for user, outcome, note in attempts])
    winners = [r for r in results if isinstance(r, Verification)]
    losers = [r for r in results if isinstance(r, InvalidState)]
    assert len(winners) == 1 and len(losers) == 1, results
    fresh = Verification.objects.get()
    assert fresh.outcome == winners[0].outcome
    kinds = list(TimelineEntry.objects.filter(application=app, kind__startswith="commitment.")
                 .exclude(kind__in=("commitment.signed", "commitment.verification_opened"))
                 .values_list("kind", flat=True))
    assert len(kinds) == 1
    revoked = TimelineEntry.objects.filter(application=app, kind="case.revoked").count()
    assert (revoked, RefusalEntry.objects.count()) == ((1, 1) if fresh.outcome == "false" else (0, 0))
