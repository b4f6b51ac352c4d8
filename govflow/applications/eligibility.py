"""Eligibility lists (免申即享, ``import:<name>`` triggers): a department's list of the people or
organisations eligible for a one thing, each row an event handed to the proactive services
(:func:`govflow.applications.proactive.handle_event`), which offer or grant it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govflow.accounts.models import User
from govflow.catalog.models import Step
from govflow.errors import InvalidInput
from govflow.parties.models import Organisation

from .proactive import handle_event, listening


@dataclass
class ImportRow:
    """One row of a department's eligibility list: who (an id number or a USCC), the event's id
    (unique per row in the department's system) and the row's other columns."""

    event_id: str
    id_number: str = ""
    uscc: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    created: int = 0
    already: int = 0
    not_eligible: int = 0
    unknown: list[str] = field(default_factory=list)  # event ids whose party has no account
    errors: dict[str, list[str]] = field(default_factory=dict)  # row -> problems


def import_name_known(name: str) -> bool:
    return bool(listening("import", name))


def import_departments(name: str) -> set[int]:
    """The departments that handle a procedure of a one thing ``import:<name>`` triggers: those
    whose systems may push that list (2 queries)."""
    one_things = [one_thing.pk for one_thing, _trigger in listening("import", name)]
    return set(Step.objects.filter(one_thing__in=one_things).values_list("procedure__department_id", flat=True))


def clean_rows(rows: list[dict[str, Any]]) -> tuple[list[ImportRow], dict[str, list[str]]]:
    """Rows as given (CSV or JSON) → :class:`ImportRow`; every problem, by row (``"1"`` is the first)."""
    cleaned: list[ImportRow] = []
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, row in enumerate(rows, start=1):
        problems = []
        if not isinstance(row, dict):
            errors[str(index)] = ["A row must be an object."]
            continue
        event_id = str(row.get("event_id") or "").strip()
        id_number = str(row.get("id_number") or "").strip().upper()
        uscc = str(row.get("uscc") or "").strip().upper()
        if not event_id or len(event_id) > 100:
            problems.append("event_id is required (at most 100 characters).")
        elif event_id in seen:
            problems.append(f"event_id {event_id!r} is repeated.")
        if bool(id_number) == bool(uscc):
            problems.append("Give exactly one of id_number and uscc.")
        if problems:
            errors[str(index)] = problems
            continue
        seen.add(event_id)
        data = {k: v for k, v in row.items() if k not in ("event_id", "id_number", "uscc")
                and isinstance(k, str) and isinstance(v, str | int | float | bool)}
        cleaned.append(ImportRow(event_id=event_id, id_number=id_number, uscc=uscc, data=data))
    return cleaned, errors


def import_eligibility(name: str, rows: list[dict[str, Any]]) -> ImportReport:
    """A department's list of eligible people or organisations for ``import:<name>``. Every row
    is checked first; with any problem nothing is done (``InvalidInput`` naming each row). Rows
    whose party has no account are reported, not failed; a row already handled (same event id and
    party) creates nothing (2 queries to find the parties, then each row's triggers)."""
    if not isinstance(name, str) or not import_name_known(name):
        raise InvalidInput("No published one thing is triggered by this import.",
                           errors={"name": [f"No trigger listens to import:{name}."]})
    cleaned, errors = clean_rows(rows)
    if errors:
        raise InvalidInput("Some rows are invalid.", errors={"rows": errors})
    people = {u.id_number.upper(): u for u in User.objects.filter(
        id_number__in=[r.id_number for r in cleaned if r.id_number], is_active=True)}
    companies = {o.uscc.upper(): o for o in Organisation.objects.filter(
        uscc__in=[r.uscc for r in cleaned if r.uscc])}
    report = ImportReport()
    for row in cleaned:
        person = people.get(row.id_number) if row.id_number else None
        organisation = companies.get(row.uscc) if row.uscc else None
        if person is None and organisation is None:
            report.unknown.append(row.event_id)
            continue
        event = {"source": "import", "name": name, "data": row.data}
        result = handle_event(source="import", name=name, event_id=row.event_id, event=event,
                              person=person, organisation=organisation)
        report.created += len(result.created)
        if not result.created:
            if any("already done" in s for s in result.skipped):
                report.already += 1
            else:
                report.not_eligible += 1
    return report
