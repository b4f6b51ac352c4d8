"""``manage.py import_eligibility <name> FILE.csv``: a department's list of people (or organisations)
eligible for the proactive services triggered by ``import:<name>`` (docs/proactive.md).

The CSV's header names the columns: ``event_id`` (unique per row in the department's system: a
row imported twice creates nothing the second time), ``id_number`` or ``uscc``, and any others,
which the trigger's rule reads as ``event.data.<column>`` and which pre-fill the fields of the
same code. Every row is checked first; with any problem nothing is done and every problem is
printed (exit status 1)."""
from __future__ import annotations

import csv

from django.core.management.base import BaseCommand, CommandError

from govflow.applications import eligibility
from govflow.errors import InvalidInput


class Command(BaseCommand):
    help = "Import a department's eligibility list for proactive services (import:<name> triggers)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the import's name: one things with a trigger on import:<name>")
        parser.add_argument("file", help="a UTF-8 CSV file with a header row")

    def handle(self, *args, name: str, file: str, **options) -> None:
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                rows = [{k: v for k, v in row.items() if k is not None and v not in (None, "")}
                        for row in csv.DictReader(handle)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            report = eligibility.import_eligibility(name, rows)
        except InvalidInput as exc:
            problems = exc.errors.get("rows") or exc.errors.get("name") or {}
            lines = ([f"  row {row}: {' '.join(messages)}" for row, messages in problems.items()]
                     if isinstance(problems, dict) else [f"  {message}" for message in problems])
            raise CommandError("Nothing was imported:\n" + "\n".join(lines)) from exc
        self.stdout.write(f"{report.created} created, {report.already} already done, "
                          f"{report.not_eligible} not eligible, {len(report.unknown)} naming nobody known")
        for event_id in report.unknown:
            self.stdout.write(f"  no account for the row with event_id {event_id}")
