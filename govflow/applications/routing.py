"""Where an application is handled: its division, and the office each of its cases goes to.

The place rules themselves (the tree, competence, oversight) are in
:mod:`govflow.catalog.jurisdictions`; this module applies them to an application: which division
a new draft starts at, which one a submission is routed by, and the offices of its cases.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from govflow.catalog import jurisdictions
from govflow.catalog.definition import Definition
from govflow.catalog.models import Division, DivisionLevel, OneThing, Procedure
from govflow.errors import InvalidInput


def starting_division(one_thing: OneThing, applicant: Any, organisation: Any = None) -> Division:
    """A new draft's division: an organisation's registered address division, or the person's
    residence, else the default division, when the one thing is offered there; otherwise the one
    thing's own division."""
    candidate = (organisation.division if organisation is not None
                 else jurisdictions.home_division(applicant) or jurisdictions.default_division())
    return candidate if one_thing.division.contains(candidate) else one_thing.division


def chosen_division(one_thing: OneThing, code: Any) -> Division:
    """The division an applicant picks for a draft: it must exist and lie where the one thing is offered."""
    division = jurisdictions.division_by_code(code)
    jurisdictions.check_within(one_thing.division, division)
    return division


def routing_division(definition: Definition, answers: Mapping[str, Any], chosen: Division,
                     offered_in: Division) -> Division:
    """The division a submission is routed by: the answer of the one thing's ``route_by`` field
    when it names one, else the division chosen on the draft. It must lie where the one thing
    is offered."""
    route_by = definition.one_thing.get("route_by") or ""
    if not (route_by and answers.get(route_by)):
        jurisdictions.check_within(offered_in, chosen)
        return chosen
    found = Division.objects.filter(code=answers[route_by]).first()
    if found is None:
        message = _("Unknown division: %(code)s.") % {"code": answers[route_by]}
        raise InvalidInput(message, errors={"data": {route_by: [message]}})
    try:
        jurisdictions.check_within(offered_in, found)
    except InvalidInput as exc:  # the answer is what must change: said on its field, as an unknown one is
        raise InvalidInput(exc.message, errors={"data": {route_by: exc.errors["division"]}}) from None
    return found


def needs(definition: Definition, procedures: Mapping[str, Procedure], codes: Iterable[str]) -> list[jurisdictions.Need]:
    """What routing needs to know of each procedure: its department (live) and its level (as published)."""
    return [jurisdictions.Need(procedure=code, department_id=procedures[code].department_id,
                               department_code=procedures[code].department.code,
                               level=definition.procedures[code].get("level") or DivisionLevel.COUNTY)
            for code in codes]
