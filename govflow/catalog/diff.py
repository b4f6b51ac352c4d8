"""What changed between two snapshots of a one thing (the published version and the draft), in
words, so that administrators see what they are about to publish.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govflow.text import join_list

from .drafts import after_of, by_code, codes_of, one_thing_of, steps_of
from .models import ApplicantKind, localized

__all__ = ["Change", "diff_documents", "display_name"]


@dataclass(frozen=True)
class Change:
    """One readable change: ``subject`` (``Step tax-registration``) and what happened to it."""

    kind: str  # added | removed | changed
    subject: str
    text: str


#: What administrators call the keys a diff mentions (the designer's words, not the format's).
_KEY_LABELS = {
    "name": gettext_lazy("name"), "description": gettext_lazy("description"),
    "department": gettext_lazy("department"), "statutory_days": gettext_lazy("statutory working days"),
    "committed_days": gettext_lazy("committed working days"), "automatic": gettext_lazy("automatic checker"),
    "code": gettext_lazy("code"), "division": gettext_lazy("division"),
    "route_by": gettext_lazy("place that decides the office"), "applicant": gettext_lazy("who may apply"),
    "label": gettext_lazy("label"), "type": gettext_lazy("type"), "pattern": gettext_lazy("format (pattern)"),
    "max_length": gettext_lazy("maximum length"), "min": gettext_lazy("minimum"), "max": gettext_lazy("maximum"),
    "choices": gettext_lazy("choices"), "help": gettext_lazy("help text"),
    "accepted_types": gettext_lazy("accepted file types"), "max_size_mb": gettext_lazy("maximum size (MB)"),
}


def _show(value: Any, both: bool = False) -> str:
    """A value as a diff shows it: a label in the page's language (both languages when ``both``, for
    a change the page's language does not show), lists as the page's language lists them."""
    if value is None or value == "" or value == [] or value == {}:
        return _("(none)")
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        shown = localized(value) if not both else " / ".join(v for v in (value.get("en"), value.get("zh-hans")) if v)
        return shown or json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return join_list(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _list_changes(subject: str, what: str, old: list, new: list, out: list[Change],
                  name: Callable[[str], str] = str) -> None:
    """Added and removed members of a list of codes (each shown by ``name``); a mere reordering is
    said once."""
    added = [v for v in new if v not in old]
    removed = [v for v in old if v not in new]
    for value in added:
        out.append(Change("added", subject, _("%(what)s: added %(value)s") % {"what": what, "value": name(value)}))
    for value in removed:
        out.append(Change("removed", subject, _("%(what)s: removed %(value)s") % {"what": what,
                                                                                  "value": name(value)}))
    if not added and not removed and old != new:
        out.append(Change("changed", subject, _("%(what)s: new order %(order)s") % {
            "what": what, "order": join_list(name(v) for v in new)}))


def _value_changes(subject: str, old: dict, new: dict, keys: Iterable[str], out: list[Change]) -> None:
    for key in keys:
        if old.get(key) != new.get(key):
            before, after = _show(old.get(key)), _show(new.get(key))
            if before == after:  # e.g. only the other language's text changed
                before, after = _show(old.get(key), both=True), _show(new.get(key), both=True)
            out.append(Change("changed", subject, _("%(key)s: %(old)s → %(new)s") % {
                "key": _KEY_LABELS.get(key, key.replace("_", " ")), "old": before, "new": after}))


class _Names:
    """Things of the two documents by what administrators call them (their label in the page's
    language, the code when they have none), so that a diff never shows a bare code."""

    def __init__(self, old: dict, new: dict) -> None:
        self.labels: dict[tuple[str, str], Any] = {}
        for doc in (old, new):
            for section, key in (("fields", "label"), ("materials", "label"), ("procedures", "name"),
                                 ("departments", "name")):
                for code, item in by_code(doc, section).items():
                    self.labels[section, code] = item.get(key)
            for procedure in by_code(doc, "procedures").values():
                for output in _items(procedure.get("outputs")):
                    if isinstance(output.get("code"), str):
                        self.labels["outputs", output["code"]] = output.get("label")

    def of(self, section: str) -> Callable[[str], str]:
        return lambda code: display_name(self.labels.get((section, code)), code)


def _items(value: Any) -> list[dict]:
    """The objects of a JSON list (anything else: none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _refs(procedure: dict, member: str, key: str) -> dict[str, bool]:
    return {e[key]: e.get("required", True) for e in _items(procedure.get(member)) if isinstance(e.get(key), str)}


def _procedure_changes(code: str, old: dict, new: dict, out: list[Change], names: _Names) -> None:
    subject = _("Procedure %(code)s") % {"code": names.of("procedures")(code)}
    _value_changes(subject, old, new, ("name", "description", "department", "statutory_days", "committed_days",
                                       "legal_basis", "fees", "automatic", "physical_results", "remedy"), out)
    for member, key, what in (("fields", "field", _("fields")), ("materials", "material", _("materials"))):
        before, after = _refs(old, member, key), _refs(new, member, key)
        _list_changes(subject, what, list(before), list(after), out, names.of(member))
        for ref in after:
            if ref in before and before[ref] != after[ref]:
                out.append(Change("changed", subject, (
                    _("%(what)s: %(ref)s is now required") if after[ref] else
                    _("%(what)s: %(ref)s is now optional")) % {"what": what, "ref": names.of(member)(ref)}))
    _list_changes(subject, _("inputs from other procedures"), codes_of(old.get("needs_outputs")),
                  codes_of(new.get("needs_outputs")), out, names.of("outputs"))
    before = {o["code"]: o for o in _items(old.get("outputs")) if isinstance(o.get("code"), str)}
    after = {o["code"]: o for o in _items(new.get("outputs")) if isinstance(o.get("code"), str)}
    _list_changes(subject, _("outputs"), list(before), list(after), out, names.of("outputs"))
    for output in after:
        if output in before:
            _value_changes(_("Output %(code)s") % {"code": names.of("outputs")(output)}, before[output],
                           after[output], ("label", "type", "pattern", "hint", "example"), out)


def diff_documents(old: Any, new: Any) -> list[Change]:
    """What changed from ``old`` to ``new`` (two one-thing snapshots), in words, in a stable order.

    ``old`` may be ``None`` (never published): every step is then "added".
    """
    out: list[Change] = []
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    old_ot, new_ot = one_thing_of(old), one_thing_of(new)
    names = _Names(old, new)
    step_name = names.of("procedures")
    subject = _("One thing")
    _value_changes(subject, old_ot, new_ot, ("code", "name", "description", "keywords", "committed_days",
                                             "division", "route_by"), out)
    # Absent is "person" (the export writes only the others): say what changed, not "(none)"; the
    # kinds by their names, not their codes.
    kinds = dict(ApplicantKind.choices)

    def kind(doc: dict) -> dict:
        value = doc.get("applicant") or ApplicantKind.PERSON
        return {"applicant": str(kinds.get(value, value))}

    _value_changes(subject, kind(old_ot) if old_ot else {}, kind(new_ot), ("applicant",), out)
    _list_changes(subject, _("guide questions"), codes_of(old_ot.get("guide")), codes_of(new_ot.get("guide")), out,
                  names.of("fields"))

    old_steps = {s["procedure"]: s for s in steps_of(old)}
    new_steps = {s["procedure"]: s for s in steps_of(new)}
    for code, step in new_steps.items():
        step_subject = _("Step %(code)s") % {"code": step_name(code)}
        if code not in old_steps:
            out.append(Change("added", step_subject, _("added")))
            continue
        before = old_steps[code]
        _list_changes(step_subject, _("after"), after_of(before), after_of(step), out, step_name)
        if (before.get("when") or "") != (step.get("when") or ""):
            out.append(Change("changed", step_subject, _("when: %(old)s → %(new)s") % {
                "old": before.get("when") or _("(always)"), "new": step.get("when") or _("(always)")}))
    for code in old_steps:
        if code not in new_steps:
            out.append(Change("removed", _("Step %(code)s") % {"code": step_name(code)}, _("removed")))
    if [c for c in old_steps if c in new_steps] != [c for c in new_steps if c in old_steps]:
        out.append(Change("changed", subject, _("steps: new order %(order)s") % {
            "order": join_list(step_name(c) for c in new_steps)}))

    old_procedures, new_procedures = by_code(old, "procedures"), by_code(new, "procedures")
    for code, procedure in new_procedures.items():
        if code in old_procedures and old_procedures[code] != procedure:
            _procedure_changes(code, old_procedures[code], procedure, out, names)

    for section, label, keys in (
        ("fields", _("Field %(code)s"), ("label", "type", "max_length", "pattern", "min", "max", "choices", "help",
                                               "hint", "example")),
        ("materials", _("Material %(code)s"), ("label", "accepted_types", "max_size_mb", "sample")),
        ("departments", _("Department %(code)s"), ("name",)),
    ):
        before_items, after_items = by_code(old, section), by_code(new, section)
        for code, item in after_items.items():
            if code in before_items and before_items[code] != item:
                _value_changes(label % {"code": names.of(section)(code)}, before_items[code], item, keys, out)
    return out


def display_name(labels: Any, code: str | None = None) -> str:
    """A ``{language: text}`` object in the active language, or the code."""
    return (localized(labels) if isinstance(labels, dict) else "") or (code or "")
