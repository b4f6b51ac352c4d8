"""What the clerk's task page shows: the answers and materials, outputs received from earlier
procedures, history and timeline, sibling cases, the correction rounds and what changed in them,
physical results and their next steps. A fixed number of queries whatever the application holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govflow.applications import delivery as delivery_rules
from govflow.applications import selectors as app_selectors
from govflow.applications.models import (
    Case,
    CaseStatus,
    Delivery,
    DeliveryState,
    TimelineEntry,
)
from govflow.applications.rules import correction_targets
from govflow.applications.states import state_label
from govflow.applications.timeline import staff_label
from govflow.catalog.checkers import readable_comment
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.fieldtypes import field_type
from govflow.catalog.models import localized

from .sla import Sla, SlaClock

# -- the task page -----------------------------------------------------------------------------

CASE_STATUS_LABELS = dict(CaseStatus.choices)


@dataclass(frozen=True)
class Answer:
    code: str
    label: str
    value: str
    answered: bool
    corrected: bool = False


@dataclass(frozen=True)
class MaterialDoc:
    code: str
    label: str
    document: Any  # Document or None
    corrected: bool = False

    @property
    def deferred(self) -> bool:
        """容缺受理: accepted without it; ``document.due_date`` says by when it follows."""
        return self.document is not None and self.document.status == "deferred"

    @property
    def kind(self) -> str:
        if self.document is None or self.deferred:
            return ""
        return {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}.get(
            self.document.content_type, "other")


@dataclass(frozen=True)
class ReceivedOutput:
    code: str
    label: str
    value: str
    issuer: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str
    label: str
    actor: str
    message: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    kind: str
    label: str
    department: str
    procedure: str
    message: str  # empty for other procedures' entries: their contents are not this clerk's to read


@dataclass(frozen=True)
class SiblingCase:
    procedure: str
    department: str
    status: str
    status_label: str
    is_this: bool


@dataclass(frozen=True)
class ChangedAnswer:
    """A marked answer before the correction and now."""

    code: str
    label: str
    before: str
    now: str
    changed: bool


@dataclass(frozen=True)
class ChangedMaterial:
    """A marked material's file before the correction (``before``: its file name, type and size,
    or ``None`` when none is on record) and now (the document)."""

    code: str
    label: str
    before: dict | None
    now: Any  # Document or None


@dataclass(frozen=True)
class CorrectionRound:
    """The applicant's answer to the case's latest correction request, side by side."""

    request_id: int
    requested_at: datetime
    resolved_at: datetime
    message: str
    answers: list[ChangedAnswer]
    materials: list[ChangedMaterial]


@dataclass(frozen=True)
class DeliveryRow:
    """A physical result of this case on its way, and the clerk's next step for it."""

    pk: int
    label: str
    state: str
    state_label: str
    tracking_number: str
    next_state: str  # empty when finished
    next_label: str


#: What the button that moves a delivery to a state says.
DELIVERY_ACTIONS = {
    DeliveryState.READY: _("Mark ready for pick-up"),
    DeliveryState.POSTED: _("Mark posted"),
    DeliveryState.COLLECTED: _("Mark collected"),
    DeliveryState.DELIVERED: _("Mark delivered"),
}


@dataclass
class TaskPage:
    """Everything the task page shows, read in a fixed number of queries (data minimisation:
    only this procedure's answers and materials, the outputs it needs, the application's
    timeline without other procedures' messages)."""

    case: Case
    definition: Definition
    sla: Sla
    answers: list[Answer]
    outputs_received: list[ReceivedOutput]
    materials: list[MaterialDoc]
    history: list[HistoryEntry]
    timeline: list[TimelineLine]
    siblings: list[SiblingCase]
    outputs_to_issue: list[dict]
    correctable_fields: list[tuple[str, str]]
    correctable_materials: list[tuple[str, str]]
    locked_fields: list[tuple[str, str]]
    procedure_name: str
    office_name: str
    one_thing_name: str
    applicant: app_selectors.ApplicantFacts
    correction: CorrectionRound | None = None
    delivery: dict | None = None  # the applicant's choice, when this procedure issues something physical
    deliveries: list[DeliveryRow] = field(default_factory=list)
    application_state: str = ""
    #: 容缺受理: the deferred materials this procedure still waits for, whether it may be approved
    #: conditionally meanwhile, and whether the deadline sweep flagged the case.
    deferral: dict | None = None


def field_label(definition: Definition, code: str) -> str:
    return localized(definition.fields.get(code, {}).get("label")) or code


def material_label(definition: Definition, code: str) -> str:
    return localized(definition.materials.get(code, {}).get("label")) or code


def output_specs(definition: Definition) -> dict[str, tuple[dict, str]]:
    """Every output of the version: code -> (spec, issuing procedure code)."""
    return {o["code"]: (o, p["code"]) for p in definition.procedures.values() for o in p.get("outputs", [])}


def procedure_label(definition: Definition, code: str) -> str:
    return localized(definition.procedures.get(code, {}).get("name")) or code


def correction_choices(definition: Definition, case: Case, sibling_rows: list[tuple[str, str]]):
    """What the clerk may mark for correction, labelled: the service's own rule
    (:func:`govflow.applications.rules.correction_targets`), so the form offers exactly what it accepts."""
    targets = correction_targets(definition, case.procedure_code, sibling_rows)
    return ([(code, field_label(definition, code)) for code in targets.fields],
            [(code, material_label(definition, code)) for code in targets.materials],
            [(code, field_label(definition, code)) for code in targets.locked_fields])


def correction_round(case: Case, definition: Definition, data: dict, documents: dict) -> CorrectionRound | None:
    """What the applicant changed in answer to the case's latest correction request, each marked
    answer and material before and now (1 query: :func:`app_selectors.answered_correction`);
    ``data`` and ``documents`` are the case's answers and documents now. Only what the request
    recorded is shown (requests made before the record began have no "before")."""
    request = app_selectors.answered_correction(case)
    if request is None:
        return None
    own_fields, own_materials = set(definition.field_codes_of(case.procedure_code)), \
        set(definition.material_codes_of(case.procedure_code))
    answers = []
    for code in request.fields:
        if code not in own_fields or code not in request.answers_before:
            continue
        spec = definition.fields.get(code)
        before, now = request.answers_before.get(code), data.get(code)
        answers.append(ChangedAnswer(code=code, label=field_label(definition, code),
                                     before=field_type(spec).display(spec, before),
                                     now=field_type(spec).display(spec, now), changed=before != now))
    materials = [ChangedMaterial(code=code, label=material_label(definition, code),
                                 before=request.documents_before.get(code), now=documents.get(code))
                 for code in request.materials if code in own_materials]
    return CorrectionRound(request_id=request.pk, requested_at=request.requested_at,
                           resolved_at=request.resolved_at, message=request.message, answers=answers,
                           materials=materials)


def task_page(case: Case, *, clock: SlaClock) -> TaskPage:
    """The task page's content: 6 queries (version, outputs, documents, history, timeline+cases,
    the answered correction request)."""
    application = case.application
    definition = get_definition(application.version)
    view = app_selectors.task_view_for_clerk(case)
    proc = case.procedure_code

    # What the last correction request asked for, so the clerk sees what changed since.
    last_request = next((e for e in reversed(view["history"]) if e.kind == "case.correction_requested"), None)
    corrected_fields = set(last_request.data.get("fields", [])) if last_request else set()
    corrected_materials = set(last_request.data.get("materials", [])) if last_request else set()

    answers = []
    for code in definition.field_codes_of(proc):
        spec = definition.fields.get(code)
        value = view["data"].get(code)
        answers.append(Answer(code=code, label=field_label(definition, code), value=field_type(spec).display(spec, value),
                              answered=value not in (None, ""), corrected=code in corrected_fields))

    specs = output_specs(definition)
    outputs_received = []
    for code in definition.needs_outputs(proc):
        spec, issuer = specs.get(code, ({}, ""))
        outputs_received.append(ReceivedOutput(code=code, label=localized(spec.get("label")) or code,
                                               value=view["outputs"].get(code, ""),
                                               issuer=procedure_label(definition, issuer)))

    by_material = {d.material_code: d for d in view["documents"]}
    materials = [MaterialDoc(code=code, label=material_label(definition, code), document=by_material.get(code),
                             corrected=code in corrected_materials)
                 for code in definition.material_codes_of(proc)]

    history = []
    for entry in view["history"]:
        details = []
        if entry.kind == "case.correction_requested":
            details = [field_label(definition, c) for c in entry.data.get("fields", [])] + \
                      [material_label(definition, c) for c in entry.data.get("materials", [])]
        elif entry.kind == "case.reassigned":
            before, after = entry.data.get("from") or {}, entry.data.get("to") or {}
            details = [gettext("from %(from)s to %(to)s") % {"from": before.get("name") or gettext("the queue"),
                                                             "to": after.get("name", "")}]
        elif entry.kind == "case.approved":
            details = [f"{localized(specs.get(c, ({}, ''))[0].get('label')) or c}: {v}"
                       for c, v in (entry.data.get("outputs") or {}).items()]
        history.append(HistoryEntry(at=entry.at, kind=entry.kind, label=staff_label(entry.kind),
                                    actor=(entry.actor.get_full_name() or entry.actor.name or entry.actor.username)
                                    if entry.actor_id else "",
                                    message=readable_comment(entry.message), details=details))

    sibling_rows = list(Case.objects.filter(application=application)
                        .values_list("procedure_code", "status", "office__name", "id"))
    siblings = [SiblingCase(procedure=procedure_label(definition, code), department=localized(dept_name),
                            status=status, status_label=str(CASE_STATUS_LABELS.get(status, status)),
                            is_this=pk == case.pk)
                for code, status, dept_name, pk in sibling_rows]
    procedure_of_case = {pk: code for code, _status, _dept, pk in sibling_rows}

    timeline = []
    entries = (TimelineEntry.objects.filter(application=application)
               .values_list("at", "kind", "department__name", "case_id", "message").order_by("at", "id"))
    for at, kind, dept_name, case_id, message in entries:
        own = case_id == case.pk
        # Other procedures' entries show what happened and where, never what was said or issued;
        # application-level entries carry only the number or the outcome.
        shown = message if own or (case_id is None and kind != "evaluation.created") else ""
        timeline.append(TimelineLine(at=at, kind=kind, label=staff_label(kind),
                                     department=localized(dept_name) if dept_name else "",
                                     procedure=procedure_label(definition, procedure_of_case.get(case_id, ""))
                                     if case_id else "",
                                     message=shown))

    fields, mats, frozen = correction_choices(definition, case, [(c, s) for c, s, _d, _p in sibling_rows])
    delivery, deliveries = None, []
    if application.delivery_method and definition.physical_results_of(proc):
        delivery = delivery_rules.choice_summary(application)
        states = dict(DeliveryState.choices)
        for row in Delivery.objects.filter(case=case).order_by("id"):
            following = delivery_rules.next_state(row.method, row.state) or ""
            deliveries.append(DeliveryRow(pk=row.pk, label=localized(row.label) or row.code, state=row.state,
                                          state_label=str(states.get(row.state, row.state)),
                                          tracking_number=row.tracking_number, next_state=following,
                                          next_label=str(DELIVERY_ACTIONS.get(following, ""))))
    return TaskPage(
        case=case, definition=definition, sla=clock.sla(case.due_date), answers=answers,
        outputs_received=outputs_received, materials=materials, history=history, timeline=timeline,
        siblings=siblings, outputs_to_issue=definition.outputs_of(proc), correctable_fields=fields,
        correctable_materials=mats, locked_fields=frozen,
        procedure_name=procedure_label(definition, proc) or localized(case.procedure.name),
        office_name=case.office.display_name,
        one_thing_name=localized(definition.one_thing.get("name")) or definition.code,
        applicant=app_selectors.applicant_facts(application), delivery=delivery, deliveries=deliveries,
        correction=correction_round(case, definition, view["data"], by_material),
        application_state=state_label(application.status, application.outcome),
        deferral=_deferral_state(case, definition, materials),
    )


def _deferral_state(case: Case, definition: Definition, materials: list[MaterialDoc]) -> dict | None:
    """容缺受理 on the task page (no query: the documents are loaded)."""
    waiting = [m for m in materials if m.deferred]
    if not waiting and case.material_overdue_at is None:
        return None
    return {"waiting": waiting, "conditional": definition.deferral(case.procedure_code)["conditional_approval"],
            "on_missed": definition.deferral(case.procedure_code)["on_missed"],
            "overdue": case.material_overdue_at is not None, "approved_conditionally": case.conditional}
