"""The stats part's synthetic decided cases (PostgreSQL only: ``INSERT … SELECT generate_series``)
fill exactly what the supervision pages read, so the pages count them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from govflow.accounts.models import User
from govflow.applications.models import Application, ApplicationStatus, Case, Evaluation
from govflow.bench import stats
from govflow.catalog.calendar import local_date
from govflow.stats.heatmap import Scope, heatmap
from govflow.stats.reform import reform_figures
from govflow.stats.stages import critical_paths, where_time_goes

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the stats part runs on PostgreSQL")]


def test_grown_cases_are_decided_and_counted_by_the_pages(demo_catalog, clerks, citizen_alice, supervisor_sue_amr):
    written = stats.grow(1000, stats._steps(), clerk_ids=[u.pk for u in clerks.values()],
                         supervisor_id=supervisor_sue_amr.pk, citizen_ids=[citizen_alice.pk])
    assert written["cases"] == Case.objects.filter(decided_at__isnull=False, working_days_used__isnull=False,
                                                   on_time__isnull=False).count() == stats.decided_cases()
    assert 900 <= written["cases"] <= 1100
    assert Application.objects.filter(status=ApplicationStatus.COMPLETED).count() == written["applications"]
    assert Evaluation.objects.count() == written["ratings"] > 0
    assert Evaluation.objects.filter(needs_follow_up=True, citizen_contacted=True).exists()
    today = local_date(timezone.now())
    period = {"date_from": today - timedelta(days=365), "date_to": today}
    everything = Scope(office_ids=None)
    assert heatmap(everything, granularity="month", **period).total.decided == written["cases"]
    assert sum(row.decided for row in where_time_goes(everything, **period)) == written["cases"]
    assert sum(row.applications for row in critical_paths(everything, **period)) == written["applications"]
    assert reform_figures(everything, **period)[1].applications == written["applications"]
    assert User.objects.filter(pk__in=Case.objects.values("decided_by_id")).count() == len(clerks)
