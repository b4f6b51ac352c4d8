"""Seed the working-day calendar (holidays and make-up working days) for some years."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from govflow.catalog.calendar import seed_calendar


class Command(BaseCommand):
    help = "Add public holidays and make-up working days (调休) of China for the given years; keeps edited rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("years", nargs="+", type=int, help="e.g. 2027 2028")

    def handle(self, *args, years: list[int], **options) -> None:
        created = seed_calendar(years)
        self.stdout.write(f"{created} calendar days added for {', '.join(map(str, years))}.")
