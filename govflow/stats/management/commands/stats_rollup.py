"""``manage.py stats_rollup [--since DATE]``: bring the supervision pages' daily rollup up to yesterday."""
from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from govflow.stats import rollups


class Command(BaseCommand):
    help = ("Rebuild the daily rollup of decided cases up to yesterday: the days it lacks, the recent ones, "
            "days with decisions revoked since the last run, and with --since every day from that date.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="also rebuild every day from this date (YYYY-MM-DD)")

    def handle(self, *args, since: str | None = None, **options) -> None:
        try:
            first = date.fromisoformat(since) if since else None
        except ValueError as exc:
            raise CommandError(f"--since: {exc}") from exc
        done = rollups.refresh(since=first)
        rebuilt = f"{done.date_from} to {done.date_to}" if done.date_from else "no day"
        self.stdout.write(f"Rebuilt {rebuilt} and {len(done.late_days)} older day(s): {done.rows} rows; "
                          f"figures up to {done.freshness.through}.")
