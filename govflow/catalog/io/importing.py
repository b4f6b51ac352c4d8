"""Import: upsert a validated ``govflow.catalog/1`` document, writing only what differs."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from .. import jurisdictions
from ..models import (
    Department,
    Division,
    DivisionLevel,
    Field,
    Material,
    Office,
    OneThing,
    Output,
    Procedure,
    ProcedureField,
    ProcedureMaterial,
    Step,
)
from .format import DEFERRAL_DEFAULTS, CatalogError, material_types

if TYPE_CHECKING:
    from ..models import OneThingVersion


@dataclass
class ImportResult:
    """What an import did: row counts per kind (``departments``, ``fields``, ``materials``,
    ``procedures``, ``outputs``, ``one_things``) and the versions it published."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    published: list[OneThingVersion] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the import wrote anything at all."""
        return bool(sum(self.created.values()) or sum(self.updated.values()) or sum(self.deleted.values())
                    or self.published)


def _apply(obj: Any, values: dict[str, Any]) -> list[str]:
    """Set the attributes that differ; return their names (empty: nothing to save)."""
    changed = []
    for name, value in values.items():
        current = getattr(obj, name)
        # ``==`` alone would let 1 == 1.0 == True slip through a type change.
        if current != value or type(current) is not type(value):
            setattr(obj, name, value)
            changed.append(name)
    return changed


class Importer:
    """Upserts one validated document; tracks what changed so that the right one things publish."""

    def __init__(self, doc: dict, result: ImportResult) -> None:
        self.doc = doc
        self.result = result
        self.changed: dict[str, set[str]] = {k: set() for k in ("departments", "fields", "materials", "procedures")}
        self.divisions: dict[str, Division] = {}

    def upsert(self, kind: str, model: type, items: list[dict], values_of) -> dict[str, Any]:
        """Create or update rows by code; returns ``{code: row}`` for every item."""
        existing = {o.code: o for o in model.objects.filter(code__in=[i["code"] for i in items])}
        rows: dict[str, Any] = {}
        for item in items:
            code = item["code"]
            values = values_of(item)
            row = existing.get(code)
            if row is None:
                row = model.objects.create(code=code, **values)
                self.result.created[kind] += 1
                self.changed.setdefault(kind, set()).add(code)
            else:
                changed = _apply(row, values)
                if changed:
                    row.save(update_fields=changed)
                    self.result.updated[kind] += 1
                    self.changed.setdefault(kind, set()).add(code)
                else:
                    self.result.unchanged[kind] += 1
            rows[code] = row
        return rows

    def run(self) -> list[CatalogError]:
        doc = self.doc
        errors = self.load_divisions()
        if errors:
            return errors
        departments = self.upsert("departments", Department, doc.get("departments", []),
                                  lambda d: {"name": d["name"]})
        errors = self.offices(departments)
        if errors:
            return errors
        fields = self.upsert("fields", Field, doc.get("fields", []), lambda f: {
            "label": f["label"], "type": f["type"], "max_length": f.get("max_length"),
            "pattern": f.get("pattern", ""), "minimum": f.get("min"), "maximum": f.get("max"),
            "choices": f.get("choices", []), "help": f.get("help", {}), "hint": f.get("hint", {}),
            "example": f.get("example", ""),
        })
        materials = self.upsert("materials", Material, doc.get("materials", []), lambda m: {
            "label": m["label"], "accepted_types": material_types(m["accepted_types"]),
            "max_size_mb": m["max_size_mb"], "sample": m.get("sample", {}),
        })
        errors = self.check_output_owners()
        if errors:
            return errors
        procedures = self.upsert("procedures", Procedure, doc.get("procedures", []), lambda p: {
            "department_id": departments[p["department"]].id, "name": p["name"], "description": p.get("description", {}),
            "statutory_days": p["statutory_days"], "committed_days": p["committed_days"],
            "needs_outputs": p.get("needs_outputs", []), "automatic": p.get("automatic", ""),
            "level": p.get("level", DivisionLevel.COUNTY.value),
            "legal_basis": p.get("legal_basis", {}), "fees": p.get("fees", {}),
            "physical_results": p.get("physical_results", []),
            **remedy_fields(p.get("remedy") or {}),
            **deferral_fields(p.get("deferral") or {}),
            "retention_years": (p.get("retention") or {}).get("years"),
            **_trigger_values(p),
        })
        self.procedure_children(procedures, fields, materials)
        self.one_things(procedures)
        return []

    def load_divisions(self) -> list[CatalogError]:
        """Save the document's divisions, then check that every division it names exists."""
        entries = self.doc.get("divisions", [])
        if entries:
            try:
                counts = jurisdictions.save_divisions(entries)
            except jurisdictions.DivisionsError as exc:
                return [CatalogError("$.divisions", str(message)) for message in exc.errors or [exc.message]]
            for kind, n in counts.items():
                if n:
                    getattr(self.result, kind)["divisions"] += n
        named = {o["division"]: f"$.offices[{i}].division" for i, o in enumerate(self.doc.get("offices", []))}
        named.update({o["division"]: f"$.one_things[{i}].division"
                      for i, o in enumerate(self.doc.get("one_things", [])) if "division" in o})
        self.divisions = {d.code: d for d in Division.objects.filter(code__in=list(named))}
        errors = [CatalogError(path, f"unknown division {code!r}: list it in divisions or load it first "
                                     "(manage.py load_divisions)")
                  for code, path in named.items() if code not in self.divisions]
        if any(not o.get("division") for o in self.doc.get("one_things", [])) or self.doc.get("departments"):
            try:
                self.divisions.setdefault("", jurisdictions.default_division())
            except jurisdictions.DivisionsError as exc:
                errors.append(CatalogError("$", exc.message))
        return sorted(errors, key=lambda e: e.path)

    def offices(self, departments: dict[str, Department]) -> list[CatalogError]:
        """Upsert the document's offices; a department of the document with no office at all gets
        one at the default division (a document from before jurisdictions)."""
        items = self.doc.get("offices", [])
        errors = []
        stored = dict(Office.objects.filter(code__in=[i["code"] for i in items]).values_list("code", "department__code"))
        taken = {(department_id, division_id): code for department_id, division_id, code in Office.objects.filter(
            department__in=list(departments.values()), division__in=list(self.divisions.values()),
        ).values_list("department_id", "division_id", "code")}
        for i, item in enumerate(items):
            if item["code"] in stored and stored[item["code"]] != item["department"]:
                # Its cases and members belong to that department (see Office.clean).
                errors.append(CatalogError(f"$.offices[{i}].department", f"office {item['code']!r} belongs to "
                                           f"department {stored[item['code']]!r}; an office cannot move to another "
                                           "department"))
                continue
            department = departments.get(item["department"])
            clash = taken.get((department.pk, self.divisions[item["division"]].pk)) if department else None
            if clash is not None and clash != item["code"]:
                errors.append(CatalogError(f"$.offices[{i}].code", f"department {item['department']!r} already has "
                                           f"office {clash!r} at division {item['division']}"))
        if errors:
            return errors
        self.upsert("offices", Office, items, lambda o: {
            "department_id": departments[o["department"]].id, "division_id": self.divisions[o["division"]].id,
            "name": o["name"], "address": o.get("address", {}), "opening_hours": o.get("opening_hours", {}),
            "phone": o.get("phone", "")})
        staffed = set(Office.objects.filter(department__in=list(departments.values()))
                      .values_list("department_id", flat=True))
        default = self.divisions.get("")
        for department in departments.values():
            if department.pk not in staffed and default is not None:
                Office.objects.create(
                    code=jurisdictions.office_code(department.code, default.code), department=department,
                    division=default, name=jurisdictions.office_name(department, default))
                self.result.created["offices"] += 1
        return []

    def check_output_owners(self) -> list[CatalogError]:
        """An output code is global: it may not silently move away from a procedure the
        document does not define (that procedure would lose it behind the user's back)."""
        defined = {p["code"] for p in self.doc.get("procedures", [])}
        wanted = {o["code"]: (i, j) for i, p in enumerate(self.doc.get("procedures", []))
                  for j, o in enumerate(p.get("outputs", []))}
        errors = []
        clashes = Output.objects.filter(code__in=list(wanted)).exclude(procedure__code__in=defined)
        for output in clashes.select_related("procedure"):
            i, j = wanted[output.code]
            errors.append(CatalogError(
                f"$.procedures[{i}].outputs[{j}].code",
                f"output {output.code!r} already belongs to procedure {output.procedure.code!r}, "
                "which this document does not define"))
        return sorted(errors, key=lambda e: e.path)

    def procedure_children(self, procedures: dict[str, Procedure], fields: dict, materials: dict) -> None:
        items = {p["code"]: p for p in self.doc.get("procedures", [])}
        ids = [p.id for p in procedures.values()]
        current_fields: dict[int, list] = {i: [] for i in ids}
        for pf in ProcedureField.objects.filter(procedure_id__in=ids).select_related("field").order_by("position", "id"):
            current_fields[pf.procedure_id].append((pf.field.code, pf.required, pf.position))
        current_materials: dict[int, list] = {i: [] for i in ids}
        for pm in (ProcedureMaterial.objects.filter(procedure_id__in=ids).select_related("material")
                   .order_by("position", "id")):
            current_materials[pm.procedure_id].append((pm.material.code, pm.required, pm.position,
                                                       pm.deferrable_days, pm.commitment))
        outputs = {o.code: o for o in Output.objects.filter(
            Q(procedure_id__in=ids) | Q(code__in=[o["code"] for p in items.values() for o in p.get("outputs", [])]))}
        current_outputs: dict[int, list] = {i: [] for i in ids}
        for o in sorted(outputs.values(), key=lambda o: (o.position, o.id)):
            current_outputs[o.procedure_id].append((o.code, o.label, o.type, o.pattern, o.hint, o.example, o.position))

        # Outputs that no procedure of the document issues any more are removed first,
        # so that a code can move between two procedures of the document.
        wanted = {o["code"] for p in items.values() for o in p.get("outputs", [])}
        removed = [o for o in outputs.values() if o.code not in wanted]
        if removed:
            Output.objects.filter(id__in=[o.id for o in removed]).delete()
            self.result.deleted["outputs"] += len(removed)
            for o in removed:
                self.changed["procedures"].add(next(c for c, p in procedures.items() if p.id == o.procedure_id))

        for code, procedure in procedures.items():
            item = items[code]
            wanted_fields = [(e["field"], e.get("required", True), n) for n, e in enumerate(item.get("fields", []))]
            if wanted_fields != current_fields[procedure.id]:
                ProcedureField.objects.filter(procedure=procedure).delete()
                ProcedureField.objects.bulk_create([
                    ProcedureField(procedure=procedure, field=fields[f], required=r, position=n)
                    for f, r, n in wanted_fields])
                self.changed["procedures"].add(code)
            wanted_materials = [(e["material"], e.get("required", True), n, deferrable_days(e),
                                 e.get("commitment") or {})
                                for n, e in enumerate(item.get("materials", []))]
            if wanted_materials != current_materials[procedure.id]:
                ProcedureMaterial.objects.filter(procedure=procedure).delete()
                ProcedureMaterial.objects.bulk_create([
                    ProcedureMaterial(procedure=procedure, material=materials[m], required=r, position=n,
                                      deferrable_days=d, commitment=c)
                    for m, r, n, d, c in wanted_materials])
                self.changed["procedures"].add(code)
            wanted_outputs = [(o["code"], o["label"], o.get("type", "string"), o.get("pattern", ""),
                               o.get("hint", {}), o.get("example", ""), n)
                              for n, o in enumerate(item.get("outputs", []))]
            if wanted_outputs == current_outputs[procedure.id]:
                self.result.unchanged["outputs"] += len(wanted_outputs)
                continue
            self.changed["procedures"].add(code)
            for output_code, label, kind, pattern, hint, example, position in wanted_outputs:
                row = outputs.get(output_code)
                values = {"procedure_id": procedure.id, "label": label, "type": kind, "pattern": pattern,
                          "hint": hint, "example": example, "position": position}
                if row is None:
                    Output.objects.create(code=output_code, **values)
                    self.result.created["outputs"] += 1
                    continue
                if row.procedure_id != procedure.id:
                    # Moved here from another procedure of the document: that one changed too.
                    self.changed["procedures"].update(c for c, p in procedures.items() if p.id == row.procedure_id)
                changed = _apply(row, values)
                if changed:
                    row.save(update_fields=changed)
                    self.result.updated["outputs"] += 1
                else:
                    self.result.unchanged["outputs"] += 1

    def one_things(self, procedures: dict[str, Procedure]) -> None:
        items = self.doc.get("one_things", [])
        existing = {o.code: o for o in OneThing.objects.filter(code__in=[i["code"] for i in items])}
        current_steps: dict[int, list] = {o.id: [] for o in existing.values()}
        for step in (Step.objects.filter(one_thing__in=list(existing.values())).select_related("procedure")
                     .order_by("position", "id")):
            current_steps[step.one_thing_id].append((step.procedure.code, step.after, step.when, step.position))
        for item in items:
            code = item["code"]
            values = {"name": item["name"], "description": item.get("description", {}),
                      "keywords": item.get("keywords", {}),
                      "committed_days": item["committed_days"], "guide": item.get("guide", []),
                      "division_id": self.divisions[item.get("division", "")].id,
                      "route_by": item.get("route_by", ""), "applicant": item.get("applicant", "person"),
                      **_trigger_values(item)}
            wanted = [(s["procedure"], s.get("after", []), s.get("when", ""), n)
                      for n, s in enumerate(item["steps"])]
            row = existing.get(code)
            if row is None:
                row = OneThing.objects.create(code=code, **values)
                self.result.created["one_things"] += 1
                steps_changed = True
            else:
                changed = _apply(row, values)
                if changed:
                    row.save(update_fields=changed)
                steps_changed = wanted != current_steps[row.id]
                kind = self.result.updated if changed or steps_changed else self.result.unchanged
                kind["one_things"] += 1
            if steps_changed:
                Step.objects.filter(one_thing=row).delete()
                Step.objects.bulk_create([
                    Step(one_thing=row, procedure=procedures[p], after=list(after), when=when, position=n)
                    for p, after, when, n in wanted])

    def affected_one_things(self) -> list[OneThing]:
        """Published one things outside the document that use something the import changed."""
        doc_codes = [o["code"] for o in self.doc.get("one_things", [])]
        uses = (Q(steps__procedure__code__in=self.changed["procedures"])
                | Q(steps__procedure__department__code__in=self.changed["departments"])
                | Q(steps__procedure__procedure_fields__field__code__in=self.changed["fields"])
                | Q(steps__procedure__procedure_materials__material__code__in=self.changed["materials"]))
        candidates = OneThing.objects.filter(is_published=True).exclude(code__in=doc_codes)
        affected = {o.pk: o for o in candidates.filter(uses).distinct()}
        if self.changed["fields"]:
            # ``guide`` is a JSON list, and JSON containment is not portable to SQLite.
            for one_thing in candidates.exclude(pk__in=list(affected)):
                if set(one_thing.guide or []) & self.changed["fields"]:
                    affected[one_thing.pk] = one_thing
        return sorted(affected.values(), key=lambda o: o.code)


def _trigger_values(item: dict) -> dict:
    """Proactive services' triggers of a one thing or a procedure (docs/proactive.md); absent: none."""
    return {"triggers": [dict(t) for t in item.get("triggers", [])]}


def remedy_fields(remedy: dict) -> dict:
    """A procedure's ``remedy`` (docs/catalog.md) as its model fields; absent parts: the law's defaults."""
    reconsideration = remedy.get("reconsideration") or {}
    litigation = remedy.get("litigation") or {}
    return {"reconsideration_body": reconsideration.get("body") or {},
            "reconsideration_days": reconsideration.get("days", 60),
            "litigation_court": litigation.get("court") or {},
            "litigation_months": litigation.get("months", 6)}


def deferrable_days(entry: dict) -> int | None:
    """A procedure's material entry's 容缺受理 deadline in working days (``None``: not deferrable)."""
    deferrable = entry.get("deferrable")
    return int(deferrable["days"]) if deferrable else None


def deferral_fields(deferral: dict) -> dict:
    """A procedure's ``deferral`` policy (docs/catalog.md) as its model fields; absent parts: the defaults."""
    return {"deferral_conditional_approval": bool(deferral.get("conditional_approval",
                                                              DEFERRAL_DEFAULTS["conditional_approval"])),
            "deferral_on_missed": deferral.get("on_missed", DEFERRAL_DEFAULTS["on_missed"]),
            "deferral_clock": deferral.get("clock", DEFERRAL_DEFAULTS["clock"])}
