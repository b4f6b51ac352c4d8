"""``manage.py govstack_aliases FILE``: load id aliases of services and eForms (docs/govstack.md).

FILE is JSON: ``{"services": {"<id>": "<one thing code>", ...}, "eForms": {"<id>": "<one thing code>", ...}}``.
Each alias is created or moved to the named one thing; all or nothing.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from govflow.catalog.models import OneThing

from ...models import Alias, AliasKind

SECTIONS = {"services": AliasKind.SERVICE, "eForms": AliasKind.EFORM}


class Command(BaseCommand):
    help = "Load GovStack id aliases (services and eForms) from a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        if not isinstance(document, dict) or set(document) - set(SECTIONS):
            raise CommandError(f"{file}: an object with {' and/or '.join(SECTIONS)}.")
        wanted = [(kind, external, code) for section, kind in SECTIONS.items()
                  for external, code in (document.get(section) or {}).items()]
        if not all(isinstance(code, str) for _k, _e, code in wanted):
            raise CommandError(f"{file}: each id names a one thing by its code (a string).")
        one_things = {o.code: o for o in OneThing.objects.filter(code__in={code for _k, _e, code in wanted})}
        missing = sorted({code for _k, _e, code in wanted if code not in one_things})
        if missing:
            raise CommandError(f"Unknown one things: {', '.join(map(str, missing))}.")
        with transaction.atomic():
            for kind, external, code in wanted:
                Alias.objects.update_or_create(kind=kind, external_id=external,
                                               defaults={"one_thing": one_things[code]})
        self.stdout.write(f"{len(wanted)} aliases loaded.")
