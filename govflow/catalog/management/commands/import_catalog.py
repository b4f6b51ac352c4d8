"""``manage.py import_catalog FILE``: validate, import and publish a catalog document."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govflow.catalog.io import CatalogValidationError, ImportResult
from govflow.catalog.services import import_catalog

KINDS = ("departments", "fields", "materials", "procedures", "outputs", "one_things")


class Command(BaseCommand):
    help = ("Import a govflow.catalog/1 JSON document. Every problem is printed (PATH: message) and "
            "nothing is written when the document is invalid (exit status 1).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the catalog JSON file ('-' reads standard input)")

    def handle(self, *args: Any, **options: Any) -> None:
        doc = self.read(options["file"])
        try:
            result = import_catalog(doc)
        except CatalogValidationError as exc:
            for error in exc.errors:
                self.stderr.write(f"{error.path}: {error.message}")
            # returncode=1: ``manage.py`` exits with status 1; call_command() raises.
            raise CommandError(f"{len(exc.errors)} error(s); nothing was imported.", returncode=1) from exc
        self.report(result)

    def read(self, path: str) -> Any:
        try:
            if path == "-":
                import sys

                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}", returncode=1) from exc
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            self.stderr.write(f"$: not valid JSON: {exc}")
            raise CommandError("1 error(s); nothing was imported.", returncode=1) from exc

    def report(self, result: ImportResult) -> None:
        for kind in KINDS:
            counts = [(result.created[kind], "created"), (result.updated[kind], "updated"),
                      (result.unchanged[kind], "unchanged"), (result.deleted[kind], "deleted")]
            parts = ", ".join(f"{n} {label}" for n, label in counts if n)
            if parts:
                self.stdout.write(f"{kind.replace('_', ' ')}: {parts}")
        if result.published:
            for version in result.published:
                self.stdout.write(self.style.SUCCESS(
                    f"published {version.one_thing.code} version {version.number}"))
        else:
            self.stdout.write("no one thing changed; no new version published")
