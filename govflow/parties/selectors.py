"""Reads: on whose behalf a person may act (a *principal*), and who holds standing roles."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govflow.catalog import jurisdictions
from govflow.errors import NotFound

from .models import Authorisation, Organisation, OrganisationRole, OrganisationRoleKind, live_q

SELF_KEY = "me"


@dataclass(frozen=True)
class Principal:
    """On whose behalf a person acts: themselves (``self``), an organisation in which they hold a
    standing role (``organisation``), or another person under an authorisation (``person``).

    ``key`` is how interfaces name it (``me``, ``org:<id>``, ``for:<authorisation id>``)."""

    kind: str
    organisation: Organisation | None = None
    role: str = ""
    authorisation: Authorisation | None = None
    #: A counter clerk acting for a walk-in person names the person directly (no authorisation).
    person: Any = None

    @property
    def key(self) -> str:
        if self.kind == "organisation":
            return f"org:{self.organisation.pk}"
        if self.kind == "person":
            return f"for:{self.authorisation.pk}" if self.authorisation else f"person:{self.person.pk}"
        return SELF_KEY

    @property
    def applicant_kind(self) -> str:
        """What the catalog's ``applicant`` rule compares: ``person`` or ``organisation``."""
        return "organisation" if self.kind == "organisation" else "person"

    @property
    def label(self) -> str:
        if self.kind == "organisation":
            return self.organisation.name
        if self.kind == "person":
            subject = self.subject
            return subject.name or subject.username
        return str(_("Myself"))

    @property
    def subject(self) -> Any:
        """The person an application of this principal is for (``None`` for an organisation;
        the acting user themselves for ``self``, which has no object here)."""
        if self.kind == "person":
            return self.authorisation.subject if self.authorisation else self.person
        return None


MYSELF = Principal("self")


def standing_roles(user: Any) -> QuerySet[OrganisationRole]:
    """The user's roles that are neither revoked nor expired, with their organisations."""
    if user is None or not user.is_authenticated:
        return OrganisationRole.objects.none()
    return (OrganisationRole.objects.filter(live_q(), user=user)
            .select_related("organisation__division").order_by("organisation__name", "organisation_id"))


def organisation_ids_for(user: Any) -> list[int]:
    """The organisations the user may act for now."""
    return list(standing_roles(user).values_list("organisation_id", flat=True))


def live_authorisations(user: Any) -> QuerySet[Authorisation]:
    """Authorisations the user holds as an agent, neither revoked nor expired."""
    if user is None or not user.is_authenticated:
        return Authorisation.objects.none()
    return (Authorisation.objects.filter(live_q(), agent=user)
            .select_related("subject__residence", "one_thing").order_by("-created_at", "-id"))


def principals_for(user: Any) -> list[Principal]:
    """Everyone the user may act as now, themselves first (the portal's switcher; 2 queries)."""
    found = [MYSELF]
    found += [Principal("organisation", organisation=r.organisation, role=r.role) for r in standing_roles(user)]
    found += [Principal("person", authorisation=a) for a in live_authorisations(user)]
    return found


def principal_for(user: Any, key: Any) -> Principal:
    """The principal ``key`` names for this user, or ``NotFound`` when they may not act for it
    (an unknown, expired or revoked one is the same to them)."""
    if key in (None, "", SELF_KEY):
        return MYSELF
    if isinstance(key, str) and ":" in key:
        kind, _sep, raw = key.partition(":")
        if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63:
            if kind == "org":
                role = standing_roles(user).filter(organisation_id=int(raw)).first()
                if role is not None:
                    return Principal("organisation", organisation=role.organisation, role=role.role)
            elif kind == "for":
                found = live_authorisations(user).filter(pk=int(raw)).first()
                if found is not None:
                    return Principal("person", authorisation=found)
    raise NotFound("You cannot act for this organisation or person.")


def holders_of(organisation_id: int) -> list[Any]:
    """The people who may act for an organisation now (its notifications go to each of them)."""
    return [r.user for r in OrganisationRole.objects.filter(live_q(), organisation_id=organisation_id)
            .select_related("user").order_by("role", "id")]


def legal_representative_of(user: Any, organisation_id: int) -> bool:
    return OrganisationRole.objects.filter(live_q(), user=user, organisation_id=organisation_id,
                                           role=OrganisationRoleKind.LEGAL_REPRESENTATIVE).exists()


def roles_of(organisation: Organisation) -> QuerySet[OrganisationRole]:
    """Every role of an organisation, standing first, then revoked or expired (the record)."""
    return organisation.roles.select_related("user", "granted_by", "revoked_by").order_by(
        "revoked_at", "role", "-granted_at", "-id")


def refusal_for(principal: Principal, *, applicant_kind: str, one_thing_id: int | None = None) -> str:
    """Why this principal may not apply for a one thing whose published version says
    ``applicant_kind`` (``person``, ``organisation``, ``either``), in the person's words; ``""``
    when they may. An authorisation covers its own one thing only. (Whether a one-application
    authorisation has been used already is the service's question: it needs a lock.)"""
    kind = applicant_kind or "person"
    if kind != "either" and kind != principal.applicant_kind:
        if kind == "organisation":
            return gettext("This one thing is applied for by organisations.")
        return gettext("This one thing is applied for by a person, not an organisation.")
    mandate = principal.authorisation
    if mandate is not None and one_thing_id is not None and mandate.one_thing_id != one_thing_id:
        return gettext("Your authorisation does not cover this one thing.")
    return ""


def served_in(principal: Principal, user: Any) -> Any:
    """The division where the principal is served (which one things are offered to it): an
    organisation's registered address division; a person's residence (the acting user's own
    for ``self``), else the default division."""
    if principal.kind == "organisation":
        return principal.organisation.division
    person = principal.subject if principal.kind == "person" else user
    return jurisdictions.home_division(person)


def _as_id(pk: Any) -> Any:
    """A path's or a form's id as an int when it is one (anything else stays as it is: not found)."""
    return int(pk) if isinstance(pk, str) and pk.isascii() and pk.isdigit() and len(pk) < 20 else pk


def organisation_for(user: Any, pk: Any) -> tuple[Organisation, OrganisationRole]:
    """An organisation in which the user holds a standing role, with that role; ``NotFound`` for
    any other (one whose role was revoked or expired is another's, at once)."""
    role = organisation_role_for(user, _as_id(pk))
    return role.organisation, role


def organisation_role_for(user: Any, organisation_id: Any) -> OrganisationRole:
    """The user's standing role in this organisation, with the organisation and its division; or
    ``NotFound`` (an organisation they do not act for does not exist for them)."""
    if isinstance(organisation_id, int) and 0 < organisation_id < 2**63:
        found = standing_roles(user).select_related("organisation__division").filter(
            organisation_id=organisation_id).first()
        if found is not None:
            return found
    raise NotFound("Organisation not found.")


def represented_organisation(user: Any, organisation_id: Any) -> Organisation:
    """An organisation of which the user is the standing legal representative (who may see who read
    its data, issue 20); ``NotFound`` for anyone else, its agents included."""
    standing = organisation_role_for(user, _as_id(organisation_id))
    if standing.role != OrganisationRoleKind.LEGAL_REPRESENTATIVE:
        raise NotFound("Organisation not found.")
    return standing.organisation


def roles_shown_to(standing: OrganisationRole) -> QuerySet[OrganisationRole]:
    """The roles of an organisation someone with the ``standing`` role may see: every role, past
    ones included, for its legal representative (who grants and revokes them); an agent sees
    their own."""
    roles = roles_of(standing.organisation)
    if standing.role == OrganisationRoleKind.LEGAL_REPRESENTATIVE:
        return roles
    return roles.filter(user_id=standing.user_id)


def role_shown_to(standing: OrganisationRole, role_id: Any) -> OrganisationRole:
    """One of :func:`roles_shown_to`, or ``NotFound``."""
    role_id = _as_id(role_id)
    if isinstance(role_id, int) and 0 < role_id < 2**63:
        found = roles_shown_to(standing).filter(pk=role_id).first()
        if found is not None:
            return found
    raise NotFound("Role not found.")


def authorisations_of(user: Any, *, side: str | None = None) -> QuerySet[Authorisation]:
    """The authorisations the user holds (``side="agent"``), gave (``"subject"``) or both, live
    or not, newest first, with both people and the one thing."""
    if user is None or not user.is_authenticated:
        return Authorisation.objects.none()
    where = {"agent": Q(agent=user), "subject": Q(subject=user)}.get(side or "", Q(agent=user) | Q(subject=user))
    return (Authorisation.objects.filter(where).select_related("agent", "subject", "one_thing", "revoked_by")
            .order_by("-created_at", "-id"))


def authorisation_for(user: Any, pk: Any) -> Authorisation:
    """An authorisation the user holds or gave (live or not), or ``NotFound``."""
    pk = _as_id(pk)
    if isinstance(pk, int) and 0 < pk < 2**63:
        found = authorisations_of(user).filter(pk=pk).first()
        if found is not None:
            return found
    raise NotFound("Authorisation not found.")
