"""The condition builder of the steps' ``when`` and the live prerequisites of the steps table.

The builder (``designer/steps.js``, a dialog in ``onething/change_form.html``) lets an
administrator pick a field, a comparison suited to its type and a value, in one or more clauses
joined by AND or OR. It does not write CEL itself: it asks :func:`condition_view`, which calls the
catalog's :func:`~govflow.catalog.rules.write_condition` (the one rule), and reads a condition back
with :func:`~govflow.catalog.rules.read_condition`. The ``when`` input stays free CEL for experts,
and without JavaScript it is all there is; the form checks what is typed as before.
"""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from govflow.catalog.models import Field, OneThing, Procedure, ProcedureField, Step, localized
from govflow.catalog.rules import (
    Clause,
    RuleError,
    condition_operators,
    read_condition,
    referenced_names,
    write_condition,
)

MAX_CLAUSES = 20

OPERATOR_LABELS = {
    "is_true": _("is yes"), "is_false": _("is no"), "eq": _("is"), "ne": _("is not"),
    "gt": _("is more than"), "ge": _("is at least"), "lt": _("is less than"), "le": _("is at most"),
    "in": _("is one of"), "not_in": _("is none of"),
}
DATE_OPERATOR_LABELS = {
    "eq": _("is on"), "ne": _("is not on"), "gt": _("is after"), "ge": _("is on or after"),
    "lt": _("is before"), "le": _("is on or before"),
}
GROUPS = {"guide": _("Guide questions"), "form": _("Fields of this one thing's form"), "other": _("Other fields")}


def _operators(field_type: str) -> list[list[str]]:
    labels = DATE_OPERATOR_LABELS if field_type == "date" else {}
    return [[code, str(labels.get(code) or OPERATOR_LABELS[code])] for code in condition_operators(field_type)]


def builder_data(one_thing: OneThing | None) -> dict[str, Any]:
    """What the page's script needs: the procedures' codes (for the prerequisites of rows added
    before saving), the fields a condition may use (grouped: the guide's, the form's, the others)
    and the operators of each, and the address that writes the CEL. Three queries."""
    guide = set(one_thing.guide or []) if one_thing is not None and one_thing.pk else set()
    in_form: set[str] = set()
    if one_thing is not None and one_thing.pk:
        steps = Step.objects.filter(one_thing=one_thing).values("procedure_id")
        in_form = set(ProcedureField.objects.filter(procedure_id__in=steps).values_list("field__code", flat=True))
    fields = []
    for field in Field.objects.order_by("code"):
        group = "guide" if field.code in guide else "form" if field.code in in_form else "other"
        fields.append({
            "code": field.code, "label": f"{field.code} — {localized(field.label)}", "type": field.type,
            "group": group, "operators": _operators(field.type),
            "choices": [{"value": str(c.get("value")), "label": localized(c.get("label")) or str(c.get("value"))}
                        for c in (field.choices or []) if isinstance(c, dict)],
        })
    return {
        "url": reverse("admin:catalog_onething_condition"),
        "procedures": {str(pk): code for pk, code in Procedure.objects.values_list("pk", "code")},
        "groups": [[code, str(label)] for code, label in GROUPS.items()],
        "fields": fields,
    }


def _catalog_fields(codes: set[str]) -> dict[str, dict[str, Any]]:
    return {f.code: {"type": f.type, "choices": f.choices or []}
            for f in Field.objects.filter(code__in=codes)}


def condition_view(model_admin: Any, request: HttpRequest) -> JsonResponse:
    """``GET ?join=and&field-0=…&op-0=…&value-0=…`` → ``{"cel": …}``, or 400 ``{"error": …}``;
    ``GET ?cel=…`` → ``{"join": …, "clauses": [{field, operator, values}]}`` or ``{"clauses": null}``
    when the builder cannot show that condition (it stays free CEL)."""
    if not model_admin.has_view_permission(request):
        return JsonResponse({"error": str(_("You may not see the catalog."))}, status=403)
    query = request.GET
    if "cel" in query:
        expr = query.get("cel", "")[:1000]
        try:
            names = set(referenced_names(expr))
        except RuleError:
            return JsonResponse({"clauses": None})
        found = read_condition(expr, _catalog_fields(names))
        if found is None:
            return JsonResponse({"clauses": None})
        join, clauses = found
        return JsonResponse({"join": join, "clauses": [
            {"field": c.field, "operator": c.operator, "values": list(c.values)} for c in clauses]})
    clauses = []
    for index in range(MAX_CLAUSES + 1):
        if f"field-{index}" not in query:
            break
        if index == MAX_CLAUSES:
            return JsonResponse({"error": str(_("At most %(count)d clauses.") % {"count": MAX_CLAUSES})}, status=400)
        clauses.append(Clause(field=query.get(f"field-{index}", "")[:100], operator=query.get(f"op-{index}", "")[:20],
                              values=tuple(v[:1000] for v in query.getlist(f"value-{index}")[:50])))
    try:
        cel = write_condition(clauses, _catalog_fields({c.field for c in clauses}), join=query.get("join", "and"))
    except RuleError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"cel": cel})
