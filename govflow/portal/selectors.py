"""Reads for the citizen portal: published one things, what they save, pre-fill, and page models.

Everything about a one thing comes from its published version (an immutable snapshot, compiled
once and cached by ``get_definition``), so these helpers cost no query beyond the rows passed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from govflow.applications import prefill
from govflow.applications.models import Application, ApplicationStatus
from govflow.applications.selectors import principal_q
from govflow.catalog import jurisdictions
from govflow.catalog.definition import Definition, DefinitionError, fold, get_definition
from govflow.catalog.models import ApplicantKind, Division, OneThing, localized
from govflow.catalog.selectors import published_one_things
from govflow.parties.selectors import MYSELF, Principal
from govflow.stats.savings import Savings, savings_of


def published_one_thing_choices(*, for_persons: bool = False) -> list[tuple[str, str]]:
    """(code, name) of each published one thing, by code: the name ``card`` shows (the published
    snapshot's, else the live row's), in one narrow query that decodes no snapshot. ``for_persons``:
    only those a person may apply for (not the organisations' own)."""
    queryset = published_one_things()
    if for_persons:
        queryset = queryset.exclude(applicant=ApplicantKind.ORGANISATION)
    rows = queryset.values_list("code", "name", "current_version__definition__one_things__0__name")
    return [(code, localized(published or name)) for code, name, published in rows]


# -- places --------------------------------------------------------------------------------------

def offered_one_things(division: Division | None) -> QuerySet[OneThing]:
    """Published one things offered to a person of ``division`` (:func:`jurisdictions.one_things_visible_in`)."""
    return published_one_things().filter(jurisdictions.one_things_visible_in(division))


def find_one_things(division: Division | None, query: str = "") -> list[OneThing]:
    """The one things offered to a person of ``division`` that a search for ``query`` finds
    (:meth:`Definition.matches`: name, description and keywords in every language, whatever the
    interface's), by code; all of them for an empty query. One query: the published versions are
    compiled once per process."""
    found = []
    for one_thing in offered_one_things(division):
        definition = definition_of(one_thing)
        if definition is None:  # a version that does not compile: only its live name and description
            texts = [one_thing.code, *(str(t) for v in (one_thing.name, one_thing.description)
                                       if isinstance(v, dict) for t in v.values())]
            if not query.strip() or all(w in fold("\n".join(texts)) for w in fold(query).split()):
                found.append(one_thing)
        elif definition.matches(query):
            found.append(one_thing)
    return found


def offered_one_thing(division: Division | None, code: str) -> OneThing | None:
    """The published one thing ``code`` with its division, if it is offered to a person of ``division``."""
    return offered_one_things(division).select_related("division").filter(code=code).first()


def division_choices(divisions: Any) -> list:
    """Grouped ``(code, name)`` choices for a select of ``divisions`` (ordered by path, as
    ``Division.Meta`` orders them): a division whose parent is not among them stands alone, the
    others are grouped under their parent's name. No query beyond reading ``divisions``."""
    rows = list(divisions)
    by_pk = {division.pk: division for division in rows}
    alone: list[tuple[str, str]] = []
    groups: dict[int, list[tuple[str, str]]] = {}
    for division in rows:
        option = (division.code, division.display_name)
        if division.parent_id in by_pk:
            groups.setdefault(division.parent_id, []).append(option)
        else:
            alone.append(option)
    return [*alone, *((by_pk[parent].display_name, options) for parent, options in groups.items())]


def definition_of(one_thing: OneThing) -> Definition | None:
    version = one_thing.current_version
    if version is None:
        return None
    try:
        return get_definition(version)
    except (DefinitionError, KeyError, IndexError, TypeError, ValueError):
        return None


# -- what a one thing replaces -------------------------------------------------------------------

def savings(definition: Definition) -> Savings:
    """The same figures as the API's ``savings`` (one computation: ``govflow.stats.savings``)."""
    return savings_of(definition)


def definition_materials(definition: Definition) -> list[dict]:
    return definition.materials_asked


@dataclass(frozen=True)
class ProcedureInfo:
    code: str
    name: str
    department: str
    statutory_days: int | None
    committed_days: int | None
    conditional: bool
    after: list[str]


def procedure_infos(definition: Definition) -> list[ProcedureInfo]:
    infos = []
    for step in definition.steps:
        procedure = definition.procedures.get(step["procedure"], {})
        department = definition.departments.get(procedure.get("department"), {})
        infos.append(ProcedureInfo(
            code=step["procedure"],
            name=localized(procedure.get("name")) or step["procedure"],
            department=localized(department.get("name")) or procedure.get("department", ""),
            statutory_days=procedure.get("statutory_days"),
            committed_days=procedure.get("committed_days"),
            conditional=bool(step.get("when")),
            after=[localized(definition.procedures.get(p, {}).get("name")) or p for p in step.get("after", [])],
        ))
    return infos


@dataclass(frozen=True)
class OneThingCard:
    """What the home page shows of one published one thing, taken from its published version."""

    code: str
    name: str
    description: str
    committed_days: int | None
    procedure_count: int
    departments: list[str] = field(default_factory=list)
    procedures: list[str] = field(default_factory=list)
    savings: Savings | None = None
    #: Who may apply (the published version's ``applicant``: person, organisation or either).
    applicant: str = "person"
    pk: int | None = None
    #: Why the person, as whom they act now, cannot apply for it ("" when they can).
    refusal: str = ""


def card(one_thing: OneThing) -> OneThingCard:
    # Citizens see the published snapshot, not the draft an administrator may be editing.
    definition = definition_of(one_thing)
    if definition is None:
        return OneThingCard(code=one_thing.code, name=localized(one_thing.name),
                            description=localized(one_thing.description),
                            committed_days=one_thing.committed_days, procedure_count=0, pk=one_thing.pk,
                            applicant=one_thing.applicant or "person")
    published = definition.one_thing
    infos = procedure_infos(definition)
    return OneThingCard(
        code=one_thing.code,
        name=localized(published.get("name") or one_thing.name),
        description=localized(published.get("description") or one_thing.description),
        committed_days=published.get("committed_days", one_thing.committed_days),
        procedure_count=len(infos),
        departments=list(dict.fromkeys(i.department for i in infos if i.department)),
        procedures=[i.name for i in infos],
        savings=savings(definition) if definition.procedures else None,
        applicant=published.get("applicant") or "person",
        pk=one_thing.pk,
    )


# -- once-only: what is already known about the party -------------------------------------------

def prefill_answers(user: Any, definition: Definition, principal: Principal = MYSELF, *,
                    application: Application | None = None) -> dict[str, Any]:
    """Answers known already about whom the application is (or would be) for: the draft's party,
    else the principal's (the rule is the applications domain's, :mod:`govflow.applications.prefill`)."""
    organisation, person = (prefill.party_of_application(application) if application is not None
                            else prefill.party_of(principal, user))
    return prefill.answers_for(definition, person=person, organisation=organisation)


def prefill_with_sources(user: Any, definition: Definition, principal: Principal = MYSELF, *,
                         application: Application | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """:func:`prefill_answers`, and which of them an electronic certificate gave (``code -> serial``),
    in one wallet query."""
    organisation, person = (prefill.party_of_application(application) if application is not None
                            else prefill.party_of(principal, user))
    return prefill.answers_and_sources(definition, person=person, organisation=organisation)


# -- applications --------------------------------------------------------------------------------

def latest_draft(user: Any, one_thing_code: str, principal: Principal = MYSELF) -> Application | None:
    """The principal's newest draft of this one thing (started by anyone acting for it)."""
    return (Application.objects.filter(principal_q(user, principal), one_thing__code=one_thing_code,
                                       status=ApplicationStatus.DRAFT)
            .order_by("-updated_at", "-id").first())


def one_thing_name(application: Application) -> str:
    try:
        definition = get_definition(application.version)
    except (DefinitionError, KeyError, IndexError, TypeError, ValueError):
        return localized(application.one_thing.name)
    return localized(definition.one_thing.get("name")) or application.one_thing.code


# -- the service guide (办事指南) ------------------------------------------------------------------

@dataclass(frozen=True)
class GuideProcedure:
    """One procedure as the service guide shows it."""

    code: str
    name: str
    department: str
    description: str
    legal_basis: str
    fees: str
    statutory_days: int | None
    committed_days: int | None
    conditional: bool
    offices: list[GuideOffice] = field(default_factory=list)


@dataclass(frozen=True)
class GuideOffice:
    """An office where people go: the service guide's "where to go" and "contact"."""

    code: str
    name: str
    division: str
    address: str
    opening_hours: str
    phone: str


@dataclass(frozen=True)
class GuideMaterial:
    label: str
    required: bool
    sample: str
    types: list[str]
    max_size_mb: int
    procedures: list[str]
    #: 容缺受理: it may follow within this many working days of the submission (``None``: it may not).
    deferrable_days: int | None = None
    # 告知承诺制: the commitment that may replace it ("" when it must be provided)
    commitment_text: str = ""
    commitment_procedures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GuideDeferral:
    """The scope of 容缺受理 for one procedure that lets a material follow (Zhejiang's rule: every
    service guide states it)."""

    procedure: str
    materials: list[tuple[str, int]]  # (label, working days)
    conditional_approval: bool
    on_missed: str
    clock: str


@dataclass(frozen=True)
class ServiceGuide:
    """A one thing's service guide (办事指南), from its published version and the live offices."""

    code: str
    name: str
    description: str
    applicant: str
    committed_days: int | None
    questions: list[str]
    procedures: list[GuideProcedure]
    materials: list[GuideMaterial]
    offices: list[tuple[GuideOffice, list[str]]]  # each office once, with the procedures it handles
    published_at: Any = None
    version: int | None = None
    days_separately: int | None = None
    deferral: list[GuideDeferral] = field(default_factory=list)


def _guide_office(office: Any) -> GuideOffice:
    return GuideOffice(code=office.code, name=office.display_name, division=office.division.display_name,
                       address=localized(office.address), opening_hours=localized(office.opening_hours),
                       phone=office.phone)


def _guide_commitment(definition: Any, material: str, names: dict[str, str]) -> dict:
    """告知承诺制: what the service guide says of a material a signed commitment may replace."""
    procedures = definition.committable_materials.get(material)
    if not procedures:
        return {}
    commitment = definition.commitment_for(material)
    return {"commitment_text": localized(commitment["text"]),
            "commitment_procedures": [names.get(p, p) for p in procedures]}


def service_guide(one_thing: OneThing, division: Division | None) -> ServiceGuide:
    """The service guide of a published one thing (``one_thing`` with its ``division`` and
    ``current_version`` loaded) for a person of ``division`` (the competent offices), or for a
    visitor (``None``: every office where it is offered). Two queries."""
    definition = get_definition(one_thing.current_version)
    published = definition.one_thing
    steps = [(s["procedure"], definition.procedures[s["procedure"]].get("department", ""),
              definition.procedures[s["procedure"]].get("level") or "county") for s in definition.steps]
    offices = jurisdictions.offices_to_visit(steps, offered_in=one_thing.division, division=division)
    procedures = []
    by_office: dict[str, tuple[GuideOffice, list[str]]] = {}
    for step in definition.steps:
        code = step["procedure"]
        procedure = definition.procedures[code]
        name = localized(procedure.get("name")) or code
        shown = [_guide_office(o) for o in offices.get(code, [])]
        for office in shown:
            by_office.setdefault(office.code, (office, []))[1].append(name)
        procedures.append(GuideProcedure(
            code=code, name=name,
            department=localized(definition.departments.get(procedure.get("department"), {}).get("name")),
            description=localized(procedure.get("description")), legal_basis=localized(procedure.get("legal_basis")),
            fees=localized(procedure.get("fees")), statutory_days=procedure.get("statutory_days"),
            committed_days=procedure.get("committed_days"), conditional=bool((step.get("when") or "").strip()),
            offices=shown))
    names = {p.code: p.name for p in procedures}
    deferrable = definition.deferrable_materials(names)
    materials = [GuideMaterial(
        label=localized(m.get("label")) or m["code"], required=m["required"],
        sample=localized(definition.materials.get(m["code"], {}).get("sample")),
        types=list(m.get("accepted_types", [])), max_size_mb=m.get("max_size_mb", 10),
        procedures=[names.get(p, p) for p in m["procedures"]], deferrable_days=deferrable.get(m["code"]),
        **_guide_commitment(definition, m["code"], names)) for m in definition.materials_asked]
    version = one_thing.current_version
    return ServiceGuide(
        code=one_thing.code, name=localized(published.get("name")) or one_thing.code,
        description=localized(published.get("description")), applicant=published.get("applicant") or "person",
        committed_days=published.get("committed_days"),
        questions=[localized(definition.fields[c].get("label")) or c for c in definition.guide if c in definition.fields],
        procedures=procedures, materials=materials, offices=list(by_office.values()),
        published_at=version.published_at, version=version.number,
        days_separately=savings(definition).days_separately if definition.procedures else None,
        deferral=_guide_deferral(definition, names))


def _guide_deferral(definition: Any, names: dict[str, str]) -> list[GuideDeferral]:
    """容缺受理 in the service guide: per procedure, what may follow and what the procedure does."""
    out = []
    for code, name in names.items():
        days = definition.deferrable_days(code)
        if not days:
            continue
        policy = definition.deferral(code)
        out.append(GuideDeferral(
            procedure=name, materials=[(localized(definition.materials.get(m, {}).get("label")) or m, n)
                                       for m, n in days.items()],
            conditional_approval=policy["conditional_approval"], on_missed=policy["on_missed"], clock=policy["clock"]))
    return out
