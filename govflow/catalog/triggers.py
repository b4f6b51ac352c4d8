"""Proactive services (免申即享): the triggers of a one thing, as the catalog states them.

A trigger is ``{"on": "<source>:<name>", "when": "<CEL>", "mode": "offer" | "grant"}`` on a one
thing (``OneThing.triggers``, ``docs/proactive.md``):

* ``on`` — the event: ``output:<output code>`` (a case issued that output), ``completed:<one thing
  code>`` (an application of that one thing completed) or ``import:<name>`` (a row of a department's
  eligibility list, by CSV or by the events API).
* ``when`` — optional CEL over two maps, :data:`VARIABLES`: ``event`` (what happened, see
  :func:`govflow.applications.proactive` for the keys each source fills) and ``person`` (the party's
  profile). Empty: always. A rule that fails to evaluate is false (``rules.CompiledRule``).
* ``mode`` — ``offer``: a pre-filled draft waits for the citizen to confirm or decline; ``grant``:
  the application is submitted and decided by automatic checkers, so every step's procedure must
  name one (checked here, for the catalog, and again when an event fires).
* ``expires_days`` — optional, calendar days an offer waits before it expires (absent: the
  setting ``GOVFLOW_OFFER_EXPIRES_DAYS``).

A **procedure** may carry triggers too (``Procedure.triggers``): a citizen applies for one things,
and a procedure runs as its own application through a one thing made of that procedure alone, so
a procedure's trigger offers or grants each published one thing whose only step is that procedure
(``proactive.listening``). Its ``grant`` needs the procedure's own automatic checker.

Triggers are live configuration, like whether a one thing is published: they are not part of a
published version's snapshot and a change applies at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .models import OneThing, Output, Procedure, Step
from .rules import CompiledRule, RuleError, compile_rule

__all__ = ["KEYS", "MAX_EXPIRES_DAYS", "MODES", "SOURCES", "VARIABLES", "Trigger", "TriggerError", "parse_trigger",
           "parse_triggers", "procedures_with_triggers", "stored_trigger_errors", "trigger_problems"]

SOURCES = ("output", "completed", "import")
MODES = ("offer", "grant")
#: The names a trigger's ``when`` may use.
VARIABLES = frozenset({"event", "person"})

#: The members a trigger may have.
KEYS = frozenset({"on", "when", "mode", "expires_days"})
#: The longest an offer may wait (days).
MAX_EXPIRES_DAYS = 3650

_ON = re.compile(r"^(output|completed|import):([A-Za-z0-9_.-]{1,64})$")


class TriggerError(ValueError):
    """A trigger that is not well formed; ``key`` is the member at fault (on, when, mode)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Trigger:
    source: str  # output | completed | import
    name: str  # the output code, one thing code or import name
    when: str
    mode: str
    expires_days: int | None = None

    @property
    def on(self) -> str:
        return f"{self.source}:{self.name}"

    @property
    def rule(self) -> CompiledRule | None:
        return compile_rule(self.when) if self.when else None

    def applies(self, *, event: dict[str, Any], person: dict[str, Any]) -> bool:
        """Whether the rule holds for this event and person (no rule: always)."""
        rule = self.rule
        return True if rule is None else rule.evaluate({"event": event, "person": person})


def parse_trigger(value: Any) -> Trigger:
    """One trigger from its catalog form; raises :class:`TriggerError` (the first problem)."""
    errors = trigger_problems(value)
    if errors:
        key, message = errors[0]
        raise TriggerError(key, message)
    match = _ON.match(value["on"])
    assert match is not None
    return Trigger(source=match.group(1), name=match.group(2), when=value.get("when") or "", mode=value["mode"],
                   expires_days=value.get("expires_days"))


def trigger_problems(value: Any) -> list[tuple[str, str]]:
    """Every problem of one trigger's form, ``[(member, message)]`` (its references aside)."""
    if not isinstance(value, dict):
        return [("", _("a trigger must be an object with 'on' and 'mode'"))]
    problems: list[tuple[str, str]] = []
    on = value.get("on")
    if not isinstance(on, str) or not _ON.match(on):
        problems.append(("on", _("must be 'output:<output code>', 'completed:<one thing code>' or 'import:<name>'")))
    if value.get("mode") not in MODES:
        problems.append(("mode", _("must be 'offer' or 'grant'")))
    days = value.get("expires_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_EXPIRES_DAYS):
        problems.append(("expires_days", _("must be a whole number of days from 1 to %(max)s") % {
            "max": MAX_EXPIRES_DAYS}))
    when = value.get("when", "")
    if when:
        if not isinstance(when, str):
            problems.append(("when", _("must be a CEL expression")))
        else:
            try:
                names = compile_rule(when).names
            except RuleError as exc:
                problems.append(("when", str(exc)))
            else:
                for name in sorted(names - VARIABLES):
                    problems.append(("when", _("names '%(name)s'; a trigger's rule may use only 'event' and 'person'") % {"name": name}))
    return problems


def parse_triggers(value: Any) -> list[Trigger]:
    """The well-formed triggers of a stored ``OneThing.triggers`` (a malformed one is skipped:
    the catalog's validation and the admin refuse them, so only a hand-edited row can hold one)."""
    found = []
    for item in value if isinstance(value, list) else []:
        try:
            found.append(parse_trigger(item))
        except TriggerError:
            continue
    return found


def stored_trigger_errors(value: Any, *, one_thing: Any = None, procedure_automatic: str | None = None) -> list[str]:
    """Every problem of triggers about to be stored on ``one_thing`` (the admin's form), against the
    live catalog: the rules of :func:`trigger_problems`, plus a known output or one thing, each event
    once, and ``grant`` only when every saved step's procedure has an automatic checker. For a
    procedure's triggers, ``procedure_automatic`` is its checker (``""``: none, so no ``grant``)."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        return [_("Triggers are a list: [{\"on\": …, \"when\": …, \"mode\": …}].")]
    errors: list[str] = []
    seen: set[str] = set()
    for index, trigger in enumerate(value, start=1):
        problems = trigger_problems(trigger)
        if isinstance(trigger, dict) and set(trigger) - KEYS:  # the catalog's schema says it on import
            problems.append(("", _("unknown members: %(keys)s") % {
                "keys": ", ".join(sorted(map(str, set(trigger) - KEYS)))}))
        errors += [f"{index}: {key + ' ' if key else ''}{message}" for key, message in problems]
        if problems:
            continue
        on = trigger["on"]
        if on in seen:
            errors.append(f"{index}: " + _("the event '%(on)s' is listed twice") % {"on": on})
        seen.add(on)
        source, name = on.split(":", 1)
        if source == "output" and not Output.objects.filter(code=name).exists():
            errors.append(f"{index}: " + _("unknown output '%(code)s'") % {"code": name})
        if source == "completed":
            if not OneThing.objects.filter(code=name).exists():
                errors.append(f"{index}: " + _("unknown one thing '%(code)s'") % {"code": name})
            elif one_thing is not None and name == one_thing.code:
                errors.append(f"{index}: " + _("a one thing cannot be triggered by its own completion"))
        if trigger["mode"] == "grant" and procedure_automatic is not None and not procedure_automatic:
            errors.append(f"{index}: " + _("'grant' needs the procedure's automatic checker; it has none"))
        if trigger["mode"] == "grant" and one_thing is not None and one_thing.pk:
            manual = list(Step.objects.filter(one_thing=one_thing, procedure__automatic="")
                          .values_list("procedure__code", flat=True))
            if manual:
                errors.append(f"{index}: " + _("'grant' needs an automatic checker on every step; these have none: "
                                              "%(codes)s") % {"codes": ", ".join(manual)})
    return errors


def procedures_with_triggers() -> list[Procedure]:
    """Procedures that carry triggers (1 query; procedures with triggers are few)."""
    return list(Procedure.objects.exclude(triggers=[]).order_by("code"))
