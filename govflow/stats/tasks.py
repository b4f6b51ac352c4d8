"""The statistics' periodic job: keep the daily rollups up to yesterday (``rollups.refresh``).

Like the other periodic tasks it is ``acks_late`` and idempotent, and takes a periodic lock
(:func:`govflow.notifications.locks.periodic_turn`), so several beat processes cause one run per period.
"""
from __future__ import annotations

from celery import shared_task

from govflow.notifications.locks import periodic_turn

from . import rollups


@shared_task(acks_late=True, ignore_result=True)
def refresh_rollups(period: float = 3600) -> dict | None:
    """Rebuild the days the rollup lacks (and the recent ones) up to yesterday."""
    if not periodic_turn("stats-rollup", period):
        return None
    done = rollups.refresh()
    return {"from": done.date_from and done.date_from.isoformat(), "to": done.date_to and done.date_to.isoformat(),
            "late_days": len(done.late_days), "rows": done.rows}
