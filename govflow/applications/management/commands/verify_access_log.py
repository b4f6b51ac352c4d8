"""``manage.py verify_access_log``: check the access records' integrity chain (docs/privacy.md).

Exit status 0 when every chained row is intact, 1 at the first broken row (which it names)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from govflow.applications import access


class Command(BaseCommand):
    help = "Verify the access records' integrity chain; report the first broken row."

    def add_arguments(self, parser):
        parser.add_argument("--seal", action="store_true", help="Chain the rows not chained yet first.")

    def handle(self, *args, **options):
        if options["seal"]:
            self.stdout.write(f"sealed {access.seal()} record(s)")
        verdict = access.verify()
        if verdict.broken is not None:
            row = verdict.broken
            raise CommandError(f"access record {row.pk} (chain position {row.seq}, at {row.at.isoformat()}) is "
                               f"broken: {verdict.problem}; {verdict.checked} record(s) before it are intact")
        self.stdout.write(f"OK: {verdict.checked} record(s) intact; {verdict.unsealed} not chained yet")
