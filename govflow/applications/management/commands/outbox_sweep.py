"""Run the periodic jobs once, without beat: for cron, or in the embedded default (no broker)."""
from __future__ import annotations

from django.core.management.base import BaseCommand
from viewflow.workflow.timers import fire_due_timers

from govflow.applications import sla
from govflow.notifications import delivery


class Command(BaseCommand):
    help = ("Hand pending outbox messages to the workers again (without a broker: carry them out here), "
            "then run the SLA sweep and fire viewflow's due timers. Safe to run at any time.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all-pending", action="store_true",
                            help="every pending message that is due, without waiting GOVFLOW_OUTBOX_SWEEP_AFTER")
        parser.add_argument("--no-sla", action="store_true", help="skip the SLA sweep")
        parser.add_argument("--no-timers", action="store_true", help="skip viewflow's timers")

    def handle(self, *args, all_pending: bool, no_sla: bool, no_timers: bool, **options) -> None:
        sent = delivery.sweep_outbox(grace=0 if all_pending else None)
        self.stdout.write(f"outbox: {sent} message(s) handed over")
        if not no_sla:
            self.stdout.write(f"sla: {sla.sweep()}")
        if not no_timers:
            self.stdout.write(f"timers: {fire_due_timers()} fired")
