"""Where an application is handled: the wizard's first step chooses the division (a select of
the divisions where the one thing is offered), the check page shows it, and a submission refused
for want of a competent office says which, in the citizen's words. The rules are the domain's
(``routing``, ``jurisdictions``); these helpers only ask them and put their answers on the page."""
from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from govflow.applications import routing
from govflow.applications.models import Application
from govflow.applications.prefill import party_of
from govflow.catalog import jurisdictions
from govflow.catalog.definition import Definition
from govflow.catalog.jurisdictions import NoCompetentOffice
from govflow.catalog.models import Division, OneThing
from govflow.catalog.questions import department_name_of, procedure_name
from govflow.errors import InvalidInput
from govflow.parties.selectors import MYSELF, Principal
from govflow.web import form_error_items

from ..forms import DivisionForm
from ..selectors import division_choices


class Place:
    """The first step's choice of the division an application is handled in: a select of the
    divisions where the one thing is offered (one query), or just the name when there is one.
    The service decides whether a posted division will do; its refusal becomes the select's error."""

    def __init__(self, one_thing: OneThing, current: Division, post=None) -> None:
        divisions = list(jurisdictions.subtree(one_thing.division))
        self.division = current
        self.form = None
        if len(divisions) > 1:
            bound = post is not None and f"{DivisionForm.prefix}-division" in post
            self.form = DivisionForm(post if bound else None, choices=division_choices(divisions),
                                     initial={"division": current.code})

    def posted(self) -> str | None:
        """The code the citizen chose, when they sent one of the right shape (else None: no change)."""
        if self.form is None or not self.form.is_bound or not self.form.is_valid():
            return None
        return self.form.cleaned_data["division"]

    @property
    def has_errors(self) -> bool:
        return self.form is not None and self.form.is_bound and bool(self.form.errors)

    def refused(self, exc: InvalidInput) -> bool:
        """Put a service's refusal of the division on the select; whether it was about the division."""
        if (self.form is None or not self.form.is_bound or not isinstance(exc.errors, dict)
                or "division" not in exc.errors):
            return False
        self.form.add_error("division", exc.message)
        return True

    def error_items(self) -> list[dict]:
        return form_error_items(self.form, top="#place") if self.has_errors else []


def first_step_url(application: Application, definition: Definition) -> str:
    """Where a draft's division is chosen: the wizard's first page."""
    return reverse("apply-guide" if definition.guide else "apply-form", args=[application.pk])


def place_for(request: HttpRequest, one_thing: OneThing, application: Application | None,
              principal: Principal = MYSELF) -> Place:
    """The division choice of the first step: the draft's division, or where a new one would start
    (for the principal: an organisation's registered division, a person's residence)."""
    if application is not None:
        current = application.division
    else:
        organisation, person = party_of(principal, request.user)
        current = routing.starting_division(one_thing, person, organisation)
    return Place(one_thing, current, request.POST if request.method == "POST" else None)


def shown_division(application: Application, definition: Definition) -> Division:
    """The division a submission would be routed by (a ``route_by`` answer wins over the draft's);
    the draft's own when that answer is not usable (submitting says why)."""
    try:
        return routing.routing_division(definition, application.data or {}, application.division,
                                        application.one_thing.division)
    except InvalidInput:
        return application.division


def refusal_messages(exc: InvalidInput, definition: Definition) -> list[str]:
    """A submission's refusal about the division, in the citizen's words: each missing office by
    its department and place, and the procedure that needs it."""
    if isinstance(exc, NoCompetentOffice):
        return [_("No office of %(department)s in %(place)s handles “%(procedure)s” yet.") % {
            "department": department_name_of(definition, m.procedure) or m.department, "place": m.division_name,
            "procedure": procedure_name(definition, m.procedure)} for m in exc.missing]
    if isinstance(exc.errors, dict) and exc.errors.get("division"):
        return [exc.message]
    return []


def check_row(application: Application, definition: Definition, errors: Iterable[str] = ()) -> dict:
    """The check page's row of the division: what it is, the way to change it (when the one thing
    is offered in more than one division) and the submission's refusal about it."""
    offered_in = application.one_thing.division
    changeable = jurisdictions.subtree(offered_in).exclude(pk=offered_in.pk).exists()
    return {"label": _("Where your application is handled"), "division": shown_division(application, definition),
            "errors": list(errors),
            "change_url": f"{first_step_url(application, definition)}#id_{DivisionForm.prefix}-division"
            if changeable else ""}
