"""Jurisdictions: administrative divisions, the offices at them, and which office is competent.

Every rule about places lives here: where a division sits in the tree, which one things a person
of a division may apply for, which office handles a procedure for an application's division
(属地管理), and which offices a supervisor oversees. Interfaces and the application services call
these functions; none of them re-derives a rule.

Routing, in one sentence: a case goes to the office of its procedure's department at the
division of the procedure's level on the way up from the application's division (the application's
division itself when it is at that level or above it). There is no fallback to another level: a
missing office is named, so an administrator can open it.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import StrIndex
from django.utils.translation import gettext as _

from govflow.errors import InvalidInput

from .labels import localized
from .models import LEVEL_ORDER, Division, DivisionLevel, Office, OneThing, Step, level_rank

#: The divisions shipped with govflow (Zhejiang, its cities, Hangzhou's districts).
BUNDLED_DIVISIONS = Path(__file__).resolve().parent / "data" / "divisions-zhejiang.json"
DIVISIONS_FORMAT = "govflow.divisions/1"


class DivisionsError(InvalidInput):
    """A divisions document (or the divisions of a catalog document) is wrong; ``errors`` lists why."""


@dataclass(frozen=True)
class MissingOffice:
    """No office of ``department`` at ``division``, though a procedure needs one there."""

    procedure: str
    department: str
    division: str
    division_name: str

    def describe(self) -> str:
        return _("no office of %(department)s at %(division)s (%(name)s), needed for %(procedure)s") % {
            "department": self.department, "division": self.division, "name": self.division_name,
            "procedure": self.procedure}


class NoCompetentOffice(InvalidInput, message="No office is competent for part of this application."):
    """Routing found no office for one or more procedures; ``missing`` lists them."""

    def __init__(self, missing: list[MissingOffice]) -> None:
        self.missing = missing
        text = "; ".join(m.describe() for m in missing)
        super().__init__(_("This application cannot be handled in the chosen place yet: %(missing)s.")
                         % {"missing": text},
                         errors={"division": [m.describe() for m in missing]})


# --- the tree ---------------------------------------------------------------------------------

def path_for(parent: Division | None, code: str) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def default_division() -> Division:
    """The division of ``GOVFLOW_DEFAULT_DIVISION``: where a catalog without divisions lands and
    where an applicant with no residence starts. Made when first needed: with its ancestors from
    the bundled file when it is there, else as a root named by its code (rename it in the admin)."""
    code = settings.GOVFLOW_DEFAULT_DIVISION
    found = Division.objects.filter(code=code).first()
    if found is not None:
        return found
    bundled = {e["code"]: e for e in read_divisions_file(BUNDLED_DIVISIONS)}
    chain: list[dict] = []
    current = code
    while current in bundled:
        chain.append(bundled[current])
        current = bundled[current].get("parent")
    save_divisions(reversed(chain) if chain else [{"code": code, "name": {"zh-hans": code, "en": code}}])
    return Division.objects.get(code=code)


def division_by_code(code: Any, *, field: str = "division") -> Division:
    """The division with this code, or an ``InvalidInput`` naming ``field``."""
    found = Division.objects.filter(code=code).first() if isinstance(code, str) and code else None
    if found is None:
        raise InvalidInput(_("Unknown division: %(code)s.") % {"code": code}, errors={field: [_("Unknown division.")]})
    return found


def ancestors(division: Division) -> list[Division]:
    """The division and every division above it, from the division up to the root (one query)."""
    found = {d.code: d for d in Division.objects.filter(code__in=division.lineage)}
    return [found[code] for code in reversed(division.lineage) if code in found]


def subtree(division: Division) -> QuerySet[Division]:
    """The division and everything below it (one indexed prefix match)."""
    return Division.objects.filter(path__startswith=division.path)


def children_of(code: str | None) -> QuerySet[Division]:
    """The divisions directly below ``code`` (the roots when ``code`` is empty), by code."""
    qs = Division.objects.filter(parent__code=code) if code else Division.objects.filter(parent__isnull=True)
    return qs.select_related("parent").order_by("code")


def level_for_depth(depth: int) -> str:
    """A division without a level takes the one of its depth: root province, then city, then county."""
    return LEVEL_ORDER[min(depth, len(LEVEL_ORDER) - 1)]


@transaction.atomic
def save_divisions(entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Create or update divisions from ``{"code", "name", "parent", "level"?}`` entries.

    Parents may come after their children in the list and may already exist in the database.
    Checked first (unknown parent, a cycle, a bad code or level); nothing is written on an error.
    Paths below a moved division are rewritten. Returns ``{"created": n, "updated": n}`` (an
    entry equal to what is stored is neither).
    """
    entries = list(entries)
    errors: list[str] = []
    by_code: dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(entries):
        code = entry.get("code") if isinstance(entry, Mapping) else None
        if not isinstance(code, str) or not code.isdigit() or not 6 <= len(code) <= 12:
            errors.append(f"divisions[{index}].code: 6 to 12 digits expected, got {code!r}")
            continue
        if code in by_code:
            errors.append(f"divisions[{index}].code: {code} appears twice")
        level = entry.get("level")
        if level is not None and level not in DivisionLevel.values:
            errors.append(f"divisions[{index}].level: one of {', '.join(DivisionLevel.values)} expected")
        if not isinstance(entry.get("name", {}), dict):
            errors.append(f"divisions[{index}].name: an object of labels expected")
        by_code[code] = entry
    existing = {d.code: d for d in Division.objects.all()}
    # Parents first: place an entry once its parent is placed or already stored (and not re-sent).
    order: list[str] = []
    waiting = dict(by_code)
    while waiting:
        ready = [code for code, entry in waiting.items()
                 if not entry.get("parent") or entry["parent"] in order
                 or (entry["parent"] in existing and entry["parent"] not in by_code)]
        if not ready:
            for code, entry in waiting.items():
                parent = entry["parent"]
                known = parent in by_code or parent in existing
                errors.append(f"division {code}: " + (f"its parents form a cycle (through {parent})" if known
                                                       else f"unknown parent {parent}"))
            break
        for code in ready:
            order.append(code)
            del waiting[code]
    for code in order:
        parent = by_code[code].get("parent")
        if parent in existing and parent not in by_code and f"/{code}/" in existing[parent].path:
            errors.append(f"division {code}: its parent {parent} lies below it")
    if errors:
        raise DivisionsError("The divisions are invalid.", errors=errors)

    counts = {"created": 0, "updated": 0}
    for code in order:
        entry = by_code[code]
        parent = existing.get(entry.get("parent")) if entry.get("parent") else None
        depth = len(parent.lineage) if parent else 0
        level = entry.get("level") or (existing[code].level if code in existing else level_for_depth(depth))
        division = existing.get(code)
        if division is None:
            division = Division.objects.create(code=code, name=entry.get("name") or {}, level=level, parent=parent,
                                               path=path_for(parent, code))
            counts["created"] += 1
        else:
            old_path = division.path
            wanted = (entry.get("name") or division.name, level, parent.pk if parent else None, path_for(parent, code))
            if wanted != (division.name, division.level, division.parent_id, division.path):
                division.name, division.level, division.parent, division.path = \
                    wanted[0], level, parent, wanted[3]
                division.save()
                if old_path != division.path:
                    _move_below(old_path, division.path)
                counts["updated"] += 1
        existing[code] = division
    return counts


def _move_below(old_path: str, new_path: str) -> None:
    for below in Division.objects.filter(path__startswith=old_path).exclude(path=old_path):
        below.path = new_path + below.path[len(old_path):]
        below.save(update_fields=["path"])


def read_divisions_file(path: Path | str) -> list[dict]:
    """The ``divisions`` of a ``govflow.divisions/1`` file (or of a catalog document)."""
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    if not isinstance(doc, dict) or not isinstance(doc.get("divisions"), list):
        raise DivisionsError(f"{path}: a JSON object with a list of divisions expected.")
    return doc["divisions"]


# --- offices ----------------------------------------------------------------------------------

def office_code(department_code: str, division_code: str) -> str:
    """The code an office gets when none is given: ``<department>-<division>``."""
    return f"{department_code}-{division_code}"


def office_name(department: Any, division: Division) -> dict:
    """An office's name when none is given: the division's name before the department's."""
    return {lang: f"{division.name.get(lang) or division.code}{'' if lang.startswith('zh') else ' '}{label}"
            for lang, label in (department.name or {}).items()}


def office_of(department_id: int, division_id: int) -> Office | None:
    return Office.objects.filter(department_id=department_id, division_id=division_id).first()


def competent_division(division: Division, level: str, chain: list[Division] | None = None) -> Division:
    """The division whose office handles a procedure of ``level`` for an application of ``division``:
    the first on the way up that is at ``level`` or above it."""
    for candidate in chain if chain is not None else ancestors(division):
        if level_rank(candidate.level) <= level_rank(level):
            return candidate
    return division


@dataclass(frozen=True)
class Need:
    """A procedure to route: its code, its department and its level (from the published snapshot)."""

    procedure: str
    department_id: int
    department_code: str
    level: str


def route(division: Division, needs: Iterable[Need]) -> dict[str, Office]:
    """procedure code → competent office, for an application of ``division`` (two queries).

    Raises :class:`NoCompetentOffice` naming every office that is missing."""
    needs = list(needs)
    chain = ancestors(division)
    targets = {need.procedure: competent_division(division, need.level, chain) for need in needs}
    wanted = Q(pk__in=[])
    for need in needs:
        wanted |= Q(department_id=need.department_id, division_id=targets[need.procedure].pk)
    offices = {(o.department_id, o.division_id): o
               for o in Office.objects.filter(wanted).select_related("department", "division")}
    routed: dict[str, Office] = {}
    missing: list[MissingOffice] = []
    for need in needs:
        target = targets[need.procedure]
        office = offices.get((need.department_id, target.pk))
        if office is None:
            missing.append(MissingOffice(procedure=need.procedure, department=need.department_code,
                                         division=target.code, division_name=target.display_name))
        else:
            routed[need.procedure] = office
    if missing:
        raise NoCompetentOffice(missing)
    return routed


def coverage_gaps(needs: Iterable[Need], divisions: Iterable[Division]) -> list[MissingOffice]:
    """For an administrator's dry run: every (division, procedure) of ``divisions`` without a
    competent office (a few queries whatever the number of divisions)."""
    needs = list(needs)
    divisions = list(divisions)
    codes = {code for d in divisions for code in d.lineage}
    by_code = {d.code: d for d in Division.objects.filter(code__in=codes)}
    offices = set(Office.objects.filter(department_id__in={n.department_id for n in needs})
                  .values_list("department_id", "division_id"))
    gaps: dict[tuple[str, str], MissingOffice] = {}
    for division in divisions:
        chain = [by_code[c] for c in reversed(division.lineage) if c in by_code]
        for need in needs:
            target = competent_division(division, need.level, chain)
            if (need.department_id, target.pk) not in offices:
                gaps.setdefault((need.procedure, target.code), MissingOffice(
                    procedure=need.procedure, department=need.department_code, division=target.code,
                    division_name=target.display_name))
    return sorted(gaps.values(), key=lambda m: (m.division, m.procedure))


def draft_needs(one_thing: OneThing) -> list[Need]:
    """What routing needs of each step of ``one_thing``'s draft: the procedure's department and its
    *live* level (one query). For the designer's dry run, before anything is published; a
    submission is routed by the published snapshot's levels (``applications.routing.needs``)."""
    steps = (Step.objects.filter(one_thing=one_thing).select_related("procedure__department")
             .order_by("position", "id"))
    return [Need(procedure=s.procedure.code, department_id=s.procedure.department_id,
                 department_code=s.procedure.department.code, level=s.procedure.level) for s in steps]


def one_thing_coverage_gaps(one_thing: OneThing) -> list[MissingOffice]:
    """Every office missing for ``one_thing``'s draft wherever it is offered (its division and every
    division below it), by division: :func:`coverage_gaps` of :func:`draft_needs` over
    :func:`subtree` (a few queries whatever the number of divisions)."""
    return coverage_gaps(draft_needs(one_thing), subtree(one_thing.division))


def one_things_within(division: Division) -> Q:
    """The filter of one things offered at ``division`` or below it (a local catalog's)."""
    return Q(division__path__startswith=division.path)


def overseen_offices(office_ids: Any) -> QuerySet[Office]:
    """The offices a supervisor of ``office_ids`` oversees: of the same department, at the same
    division or below it, their own offices included. ``office_ids`` may be a list or a subquery
    (``Membership….values("office_id")``): the result is one query, or none when used inside
    another filter."""
    # "the outer office's path starts with the inner one's": the inner path is found at position 1.
    scope = (Office.objects.filter(pk__in=office_ids, department_id=OuterRef("department_id"))
             .annotate(at=StrIndex(OuterRef("division__path"), F("division__path"))).filter(at=1))
    return Office.objects.filter(Exists(scope))


def overseen_office_ids(office_ids: Any) -> list[int]:
    """:func:`overseen_offices` as ids, by place (one query)."""
    return list(overseen_offices(office_ids).order_by("division__path", "code").values_list("pk", flat=True))


def home_division(person: Any) -> Division | None:
    """The division a person is served in: their residence, else the default division; ``None``
    for an anonymous visitor (who sees what the root divisions offer)."""
    if person is None or not getattr(person, "is_authenticated", False):
        return None
    return getattr(person, "residence", None) or default_division()


def one_things_visible_in(division: Division | None) -> Q:
    """The filter of one things offered to a person of ``division``: those of their division and of
    every division above it; with no division (anonymous), only those of the root divisions."""
    if division is None:
        return Q(division__parent__isnull=True)
    return Q(division__code__in=division.lineage)


def check_within(one_thing_division: Division, division: Division) -> None:
    """A one thing of a division is applied for only from that division or below it."""
    if not one_thing_division.contains(division):
        raise InvalidInput(
            _("This one thing is offered in %(where)s only; %(here)s is outside it.")
            % {"where": one_thing_division.display_name, "here": division.display_name},
            errors={"division": [_("Outside the area where this one thing is offered.")]})


def division_payload(division: Division | None) -> dict | None:
    """``{"code", "name"}`` of a division in the active language, as the API and pages show it."""
    if division is None:
        return None
    return {"code": division.code, "name": localized(division.name) or division.code}


def offices_to_visit(steps: Iterable[tuple[str, str, str]], *, offered_in: Division,
                     division: Division | None = None) -> dict[str, list[Office]]:
    """procedure code → the offices where people go for it, for a service guide.

    ``steps`` are ``(procedure, department code, level)`` as published. For a person of
    ``division``: the one competent office (:func:`competent_division`; none where it is missing).
    For a visitor (``division`` None): every office of the procedure's department at its level
    where the one thing is offered (``offered_in`` and below). Two queries at most.
    """
    steps = list(steps)
    offices = Office.objects.select_related("department", "division").order_by("division__path", "code")
    if division is not None:
        chain = ancestors(division)
        targets = {procedure: competent_division(division, level, chain) for procedure, _dept, level in steps}
        wanted = Q(pk__in=[])
        for procedure, department, _level in steps:
            wanted |= Q(department__code=department, division_id=targets[procedure].pk)
        found = {(o.department.code, o.division_id): o for o in offices.filter(wanted)}
        return {procedure: [found[department, targets[procedure].pk]] if (department, targets[procedure].pk) in found
                else [] for procedure, department, _level in steps}
    found = list(offices.filter(department__code__in={department for _p, department, _l in steps},
                                division__path__startswith=offered_in.path))
    return {procedure: [o for o in found if o.department.code == department and o.division.level == level]
            for procedure, department, level in steps}
