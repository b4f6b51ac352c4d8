"""``python manage.py load_divisions [FILE]``: create or update administrative divisions.

FILE is a ``govflow.divisions/1`` document (``{"divisions": [{"code", "name", "parent", "level"}]}``)
or a catalog document with a ``divisions`` list; without FILE, the bundled Zhejiang divisions.
Codes are GB/T 2260; parents may come in any order and may already exist. Nothing is written
when any entry is wrong.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govflow.catalog import jurisdictions


class Command(BaseCommand):
    help = "Create or update administrative divisions from a JSON file (default: the bundled Zhejiang divisions)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(jurisdictions.BUNDLED_DIVISIONS))

    def handle(self, *args, file: str, **options) -> None:
        try:
            entries = jurisdictions.read_divisions_file(file)
            counts = jurisdictions.save_divisions(entries)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except jurisdictions.DivisionsError as exc:
            problems = "\n".join(f"  {e}" for e in (exc.errors or [exc.message]))
            raise CommandError(f"{file}: the divisions are invalid:\n{problems}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"{counts['created']} divisions created, {counts['updated']} updated from {file}."))
