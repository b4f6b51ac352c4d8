"""What a refused applicant reads: per refused (or revoked) case, the reason, the date of the decision and the
remedies (:mod:`govflow.catalog.remedies`), in the active language. One rule for the status
page and the API."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from govflow.catalog.calendar import local_date
from govflow.catalog.definition import Definition
from govflow.catalog.models import localized
from govflow.catalog.remedies import remedies_for

from .models import Case, CaseStatus


@dataclass(frozen=True)
class RejectionNotice:
    procedure_code: str
    procedure: str
    department: str
    reason: str
    decided_on: date
    reconsideration_body: str
    reconsideration_days: int
    reconsideration_until: date
    litigation_court: str
    litigation_months: int
    litigation_until: date
    #: The case was approved, then the approval was revoked (``decided_on``: the revocation's day).
    revoked: bool = False


def rejection_notices(definition: Definition, cases: Iterable[Case]) -> list[RejectionNotice]:
    """A notice for every refused case, and every case whose approval was revoked (a decision against
    the applicant as well, with the same remedies); department names from the cases, loaded with them."""
    notices = []
    for case in cases:
        revoked = case.status == CaseStatus.REVOKED
        decided_at = case.revoked_at if revoked else case.decided_at
        if case.status not in (CaseStatus.REJECTED, CaseStatus.REVOKED) or decided_at is None:
            continue
        code = case.procedure_code
        procedure = definition.procedures.get(code, {})
        department = localized(case.department.name) if case.department_id else ""
        remedies = remedies_for(definition, code, local_date(decided_at))
        notices.append(RejectionNotice(
            procedure_code=code, procedure=localized(procedure.get("name")) or code, department=department,
            reason=case.revocation_reason if revoked else case.comment, decided_on=remedies.decided_on, revoked=revoked,
            reconsideration_body=localized(remedies.reconsideration_body) or _(
                "the administrative reconsideration body competent for %(department)s") % {"department": department},
            reconsideration_days=remedies.reconsideration_days,
            reconsideration_until=remedies.reconsideration_until,
            litigation_court=localized(remedies.litigation_court) or _("the competent people's court"),
            litigation_months=remedies.litigation_months, litigation_until=remedies.litigation_until))
    return notices
