"""``manage.py export_catalog [--one-thing CODE] [--output FILE]``: the catalog as JSON."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govflow.catalog.io import export_catalog
from govflow.catalog.models import OneThing


class Command(BaseCommand):
    help = "Export the catalog (or one one thing with what it references) as a govflow.catalog/1 document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--one-thing", dest="one_thing", metavar="CODE",
                            help="export only this one thing and the definitions it references")
        parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            doc = export_catalog(options["one_thing"])
        except OneThing.DoesNotExist as exc:
            raise CommandError(f"unknown one thing {options['one_thing']!r}") from exc
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            # ending="" : the text already ends with its newline.
            self.stdout.write(text, ending="")
