"""Periodic Celery tasks of the applications domain: the SLA sweep and viewflow's timers.

Like the outbox's tasks they are ``acks_late`` and idempotent, and each takes a periodic lock
(:func:`govflow.notifications.locks.periodic_turn`), so several beat processes cause one run per period.
"""
from __future__ import annotations

from celery import shared_task
from viewflow.workflow.timers import fire_due_timers

from govflow.notifications.locks import periodic_turn

from . import access, access_oversight, commitments, deferral_sweep, export, offer_expiry, retention, sla


@shared_task(acks_late=True, ignore_result=True)
def sweep_sla(period: float = 300) -> dict | None:
    """Warn before due dates, escalate overdue cases (``sla.py``)."""
    if not periodic_turn("sla-sweep", period):
        return None
    return sla.sweep()


@shared_task(acks_late=True, ignore_result=True)
def sweep_deferrals(period: float = 300) -> dict | None:
    """Remind about deferred materials and act on missed deadlines (容缺受理, ``deferral_sweep.py``)."""
    if not periodic_turn("deferral-sweep", period):
        return None
    return deferral_sweep.sweep()


@shared_task(acks_late=True, ignore_result=True)
def fire_workflow_timers(period: float = 60) -> int | None:
    """Fire viewflow's database timers (``flow.Timer``, ``.OnTimeout``) that are due."""
    if not periodic_turn("workflow-timers", period):
        return None
    return fire_due_timers()


@shared_task(acks_late=True, ignore_result=True)
def sweep_verifications(period: float = 3600) -> int | None:
    """Flag commitment verifications past their due date (告知承诺制, ``commitments.py``)."""
    if not periodic_turn("verification-sweep", period):
        return None
    return commitments.sweep_overdue()


@shared_task(acks_late=True, ignore_result=True)
def seal_access_log(period: float = 60) -> int | None:
    """Chain the access records written since the last run (``access.seal``)."""
    if not periodic_turn("access-seal", period):
        return None
    return access.seal()


@shared_task(acks_late=True, ignore_result=True)
def purge_access_log(period: float = 86400) -> int | None:
    """Delete access records past their retention period (``access.purge``)."""
    if not periodic_turn("access-purge", period):
        return None
    return access.purge()


@shared_task(acks_late=True, ignore_result=True)
def scan_access_alerts(period: float = 900) -> int | None:
    """Alert supervisors to unusual reading (``access_oversight.scan``)."""
    if not periodic_turn("access-alerts", period):
        return None
    return access_oversight.scan()


#: Built on a worker when a person asks for their data (declared with its domain module).
build_data_export = export.build_data_export


@shared_task(acks_late=True, ignore_result=True)
def expire_data_exports(period: float = 3600) -> int | None:
    """Delete the archives past their day of validity (``export.expire``)."""
    if not periodic_turn("export-expiry", period):
        return None
    return export.expire()


@shared_task(acks_late=True, ignore_result=True)
def sweep_retention(period: float = 86400) -> dict | None:
    """Remind about and delete untouched drafts; delete decided applications' files past their
    retention (``retention.sweep``)."""
    if not periodic_turn("retention-sweep", period):
        return None
    return retention.sweep()


@shared_task(acks_late=True, ignore_result=True)
def expire_offers(period: float = 3600) -> int | None:
    """Mark offers past their expiry as expired (免申即享, ``offer_expiry.py``)."""
    if not periodic_turn("offer-expiry", period):
        return None
    return offer_expiry.sweep()
