"""The papers a citizen can hold: the acceptance receipt (受理回执) of a submitted application and the
electronic certificates (电子证照) of the outputs its procedures issue, and what their public
verification pages may say.

The rules live here: what a receipt states, who issued it, how a receipt or a certificate is found
from the token its QR code carries, what a certificate template may contain, how serial numbers are
taken, when a certificate is valid, revoked or superseded, and what the public learns of its
holder. Drawing the PDFs is :mod:`govflow.applications.pdf`; the pages are templates.

Tokens: a receipt's is the application number signed with the secret key (HMAC-SHA256, 256 bits:
nothing stored, nothing to enumerate without the key; rotating the key keeps old receipts valid
through ``SECRET_KEY_FALLBACKS``); a certificate's is 192 random bits stored with it. Neither is
a database id.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from govflow.accounts import limits
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.labels import localized
from govflow.catalog.questions import procedure_name
from govflow.errors import InvalidState, NotAllowed
from govflow.parties.models import OrganisationRole, live_q

from . import certificate_templates
from .certificate_templates import render
from .models import (
    Application,
    ApplicationStatus,
    Case,
    Certificate,
    CertificateSequence,
    CertificateTemplate,
    Document,
    IssuedOutput,
    TimelineEntry,
)
from .selectors import acting_q, int_or_404

# -- the acceptance receipt ---------------------------------------------------------------------

_RECEIPT_SIGNER_SALT = "govflow.papers.receipt"


def _receipt_signer() -> signing.Signer:
    return signing.Signer(salt=_RECEIPT_SIGNER_SALT, sep=".", algorithm="sha256")


def committed_finish(application: Application) -> date | None:
    """The date the receipt commits to: the one place that says which stored date that is."""
    return application.expected_finish


def help_line() -> str:
    """The telephone number people call with questions (``GOVFLOW_HELP_LINE``, 12345 by default)."""
    return settings.GOVFLOW_HELP_LINE


def receipt_token(application: Application) -> str:
    """The token of a submitted application's receipt: its number and an HMAC of it."""
    return _receipt_signer().sign(application.number)


@dataclass(frozen=True)
class ReceiptProcedure:
    name: str
    department: str
    office: str
    due_date: date | None


@dataclass(frozen=True)
class ReceiptMaterial:
    label: str
    files: int


@dataclass(frozen=True)
class Receipt:
    """What an acceptance receipt states (受理回执)."""

    number: str
    token: str
    one_thing: str
    authority: str  # the issuing authority: the counter's office, else the lead (first) procedure's office
    offices: list[str]  # every office that handles a procedure of it
    division: str
    submitted_at: datetime
    committed_finish: date | None
    status: str
    status_label: str
    help_line: str
    applicant: str
    procedures: list[ReceiptProcedure] = field(default_factory=list)
    materials: list[ReceiptMaterial] = field(default_factory=list)

    @property
    def material_files(self) -> int:
        return sum(m.files for m in self.materials)


def _authority(application: Application, cases: list[Case]) -> tuple[str, list[str]]:
    offices = list(dict.fromkeys(case.office.display_name for case in cases))
    if application.counter_office_id:
        return application.counter_office.display_name, offices
    return (offices[0] if offices else application.division.display_name), offices


def receipt(application: Application) -> Receipt:
    """The receipt of a submitted application (3 queries: its cases with their offices and
    departments, its documents' material codes, and the counter office when it came that way)."""
    if application.status == ApplicationStatus.DRAFT or not application.number:
        raise InvalidState("A draft has no receipt.")
    definition = get_definition(application.version)
    cases = list(application.cases.select_related("department", "office__division").order_by("position", "id"))
    authority, offices = _authority(application, cases)
    counts: dict[str, int] = {}
    for code in Document.objects.filter(application=application).values_list("material_code", flat=True):
        counts[code] = counts.get(code, 0) + 1
    materials = [ReceiptMaterial(localized(definition.materials.get(code, {}).get("label")) or code, files)
                 for code, files in counts.items()]
    return Receipt(
        number=application.number, token=receipt_token(application),
        one_thing=localized(definition.one_thing.get("name")) or application.one_thing.code,
        authority=authority, offices=offices, division=application.division.display_name,
        submitted_at=application.submitted_at, committed_finish=committed_finish(application),
        status=application.status, status_label=str(application.get_status_display()),
        help_line=help_line(), applicant=application.party_ref()["name"],
        procedures=[ReceiptProcedure(procedure_name(definition, case.procedure_code),
                                     case.department.display_name, case.office.display_name, case.due_date)
                    for case in cases],
        materials=materials)


@dataclass(frozen=True)
class ReceiptCheck:
    """What the public verification page of a receipt says: no personal data."""

    number: str
    submitted_at: datetime
    authority: str
    one_thing: str
    status: str
    status_label: str


def count_verification(address: str) -> None:
    """Count one look at a verification page from this client address: over
    ``GOVFLOW_VERIFY_RATE`` an hour, :class:`~govflow.accounts.limits.RateLimited` (no one walks
    through tokens; a wrong one counts as well)."""
    wait = limits.hit("papers.verify", address or "-", limit=settings.GOVFLOW_VERIFY_RATE, window=3600)
    if wait is not None:
        raise limits.RateLimited(wait, "Too many verifications from your address.")


def check_receipt(token: Any, *, address: str) -> ReceiptCheck:
    """The non-personal facts of the receipt whose token this is; 404 for anything else (a forged,
    altered or unknown token looks the same). Counted (:func:`count_verification`)."""
    count_verification(address)
    if not isinstance(token, str) or len(token) > 120:
        raise Http404("Unknown receipt.")
    try:
        number = _receipt_signer().unsign(token)
    except signing.BadSignature:
        raise Http404("Unknown receipt.") from None
    application = (Application.objects.select_related("version", "one_thing", "division", "counter_office")
                   .exclude(status=ApplicationStatus.DRAFT).filter(number=number).first())
    if application is None:
        raise Http404("Unknown receipt.")
    cases = list(application.cases.select_related("office").order_by("position", "id"))
    authority, _offices = _authority(application, cases)
    definition = get_definition(application.version)
    return ReceiptCheck(number=application.number, submitted_at=application.submitted_at, authority=authority,
                        one_thing=localized(definition.one_thing.get("name")) or application.one_thing.code,
                        status=application.status, status_label=str(application.get_status_display()))


# -- issuing certificates ----------------------------------------------------------------------

def _serials(office, year: int, count: int) -> list[str]:
    """``count`` new serial numbers of the office for the year (``<OFFICE>-<year>-<6 digits>``),
    from the office's sequence row, locked until the transaction ends."""
    CertificateSequence.objects.get_or_create(office=office, year=year)
    sequence = CertificateSequence.objects.select_for_update().get(office=office, year=year)
    first = sequence.last + 1
    CertificateSequence.objects.filter(pk=sequence.pk).update(last=F("last") + count)
    prefix = office.code.upper()
    return [f"{prefix}-{year}-{number:06d}" for number in range(first, first + count)]


def template_codes() -> frozenset[str]:
    """The codes of the outputs whose certificates are issued (an active template)."""
    cache = certificate_templates.template_codes_cache
    now = time.monotonic()
    if not cache or now - cache[0][0] > certificate_templates.TEMPLATE_CODES_SECONDS:
        codes = frozenset(CertificateTemplate.objects.filter(is_active=True).values_list("output__code", flat=True))
        cache[:] = [(now, codes)]
    return cache[0][1]


def issue_certificates(session, case: Case, issued: list[IssuedOutput]) -> list[Certificate]:
    """Inside an approval (``engine.session``, the application row locked): a certificate for
    each issued output whose template is active, with its serial, token and frozen text; one
    timeline entry lists their serials. No query when no output has a template
    (:func:`template_codes`)."""
    if not issued or not template_codes() & {o.code for o in issued}:
        return []
    templates = {t.output.code: t for t in CertificateTemplate.objects.filter(
        output__code__in=[o.code for o in issued], is_active=True).select_related("output")}
    made = [o for o in issued if o.code in templates]
    if not made:
        return []
    application = session.application
    definition = get_definition(application.version)
    now = timezone.now()
    today = timezone.localdate(now)
    office = case.office
    authority = localized(office.name, "zh-hans") or office.code
    serials = _serials(office, today.year, len(made))
    holder = application.organisation.name if application.organisation_id else (
        application.applicant.name or application.applicant.username)
    certificates = []
    for output, serial in zip(made, serials, strict=True):
        template = templates[output.code]
        values = {
            "holder_name": holder, "output_label": localized(template.output.label, "zh-hans") or output.code,
            "output_value": output.value, "authority": authority, "issue_date": today.isoformat(),
            "serial": serial, "one_thing": localized(definition.one_thing.get("name"), "zh-hans"),
            "procedure": localized(definition.procedures.get(case.procedure_code, {}).get("name"), "zh-hans")
            or case.procedure_code,
            "application_number": application.number or "",
        }
        certificates.append(Certificate(
            output=output, office=office, serial=serial, token=secrets.token_urlsafe(24),
            title=render(template.title, values), template_text=template.body, values=values,
            body=render(template.body, values), issued_at=now))
    Certificate.objects.bulk_create(certificates)
    session.log("certificate.issued", case=case, message=", ".join(serials), data={"serials": serials})
    return certificates


# -- reading certificates --------------------------------------------------------------------------

class CertificateState:
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


STATE_LABELS = {
    CertificateState.VALID: gettext_lazy("Valid"),
    CertificateState.REVOKED: gettext_lazy("Revoked"),
    CertificateState.SUPERSEDED: gettext_lazy("Superseded by a newer certificate"),
}


def _holder_q(output: IssuedOutput) -> Q:
    return Q(output__organisation_id=output.organisation_id) if output.organisation_id else Q(
        output__holder_id=output.holder_id, output__organisation__isnull=True)


def certificate_state(certificate: Certificate) -> str:
    """Revoked; else superseded when the holder has a newer unrevoked certificate of the same
    output; else valid (1 query for an unrevoked one)."""
    if certificate.revoked_at is not None:
        return CertificateState.REVOKED
    output = certificate.output
    newer = (Certificate.objects.filter(_holder_q(output), output__code=output.code, revoked_at__isnull=True)
             .filter(Q(issued_at__gt=certificate.issued_at) | Q(issued_at=certificate.issued_at,
                                                                   pk__gt=certificate.pk)))
    return CertificateState.SUPERSEDED if newer.exists() else CertificateState.VALID


def mask_name(name: str) -> str:
    """A name as the public sees it without the holder's consent: its first character."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * min(max(len(name) - 1, 1), 8)


@dataclass(frozen=True)
class CertificateCheck:
    """What the public verification page of a certificate says."""

    serial: str
    title: str
    authority: str
    issued_on: date
    output_label: str
    state: str
    state_label: str
    holder: str  # masked unless the holder consented
    name_shown: bool


def check_certificate(token: Any, *, address: str) -> CertificateCheck:
    """The verification facts of the certificate whose token this is; 404 for anything else.
    Counted (:func:`count_verification`)."""
    count_verification(address)
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise Http404("Unknown certificate.")
    certificate = Certificate.objects.select_related("output").filter(token=token).first()
    if certificate is None:
        raise Http404("Unknown certificate.")
    state = certificate_state(certificate)
    name = certificate.values.get("holder_name", "")
    return CertificateCheck(
        serial=certificate.serial, title=certificate.title, authority=certificate.values.get("authority", ""),
        issued_on=timezone.localdate(certificate.issued_at), output_label=certificate.values.get("output_label", ""),
        state=state, state_label=str(STATE_LABELS[state]),
        holder=name if certificate.show_name else mask_name(name), name_shown=certificate.show_name)


def certificates_of(application: Application) -> dict[int, Certificate]:
    """The application's certificates by issued output id (1 query)."""
    return {c.output_id: c for c in Certificate.objects.filter(output__application=application)
            .select_related("output")}


def certificate_for_user(user: Any, application_pk: Any, output_pk: Any = None, *, code: Any = None) -> Certificate:
    """The certificate of an output (by its id, or by its code as the API names outputs) of an
    application the user may act on (``acting_q``, as documents); 404 otherwise, and for an output
    without a certificate."""
    application_pk = int_or_404(application_pk)
    if not getattr(user, "is_authenticated", False):
        raise Http404("Certificate not found.")
    if code is not None:
        if not isinstance(code, str) or not 0 < len(code) <= 64:
            raise Http404("Certificate not found.")
        which = Q(output__code=code)
    else:
        which = Q(output_id=int_or_404(output_pk))
    found = (Certificate.objects.select_related("output__application", "office")
             .filter(which, output__application_id=application_pk,
                     output__application__in=Application.objects.filter(acting_q(user)))
             .first())
    if found is None:
        raise Http404("Certificate not found.")
    return found


def may_consent(user: Any, certificate: Certificate) -> bool:
    """Whether ``user`` speaks for the holder: the person themselves, or for an organisation one of
    its live legal representatives or agents. A person's agent or a counter clerk does not."""
    output = certificate.output
    if output.organisation_id:
        return OrganisationRole.objects.filter(live_q(), user_id=getattr(user, "pk", None),
                                               organisation_id=output.organisation_id).exists()
    return output.holder_id is not None and output.holder_id == getattr(user, "pk", None)


@transaction.atomic
def certificate_show_name(*, certificate: Certificate, user: Any, show: bool) -> Certificate:
    """The holder's consent to show their name on the verification page (or its withdrawal), on the
    timeline."""
    if not may_consent(user, certificate):
        raise NotAllowed("Only the holder decides whether their name is shown.")
    application = Application.objects.select_for_update().get(pk=certificate.output.application_id)
    certificate = Certificate.objects.select_for_update().select_related("output").get(pk=certificate.pk)
    if certificate.show_name == bool(show):
        return certificate
    certificate.show_name = bool(show)
    certificate.save(update_fields=["show_name"])
    TimelineEntry.objects.create(application=application, case_id=certificate.output.case_id,
                                 kind="certificate.name_shown" if show else "certificate.name_hidden",
                                 actor=user, message=certificate.serial, data={"serial": certificate.serial})
    return certificate


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, user: Any, reason: str = "") -> Certificate:
    """Revoke a certificate (by an administrator): its verification page says so from then on."""
    application = Application.objects.select_for_update().get(pk=certificate.output.application_id)
    certificate = Certificate.objects.select_for_update().select_related("output").get(pk=certificate.pk)
    if certificate.revoked_at is not None:
        raise InvalidState("This certificate is revoked already.")
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = (reason or "")[:500]
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    TimelineEntry.objects.create(application=application, case_id=certificate.output.case_id,
                                 kind="certificate.revoked", actor=user, message=certificate.serial,
                                 data={"serial": certificate.serial, "reason": certificate.revoked_reason})
    return certificate


def outputs_with_certificates(definition: Definition, application: Application) -> list[dict]:
    """The application's issued outputs in order, each with its label and its certificate (or
    None): what the application page lists under its results (1 query)."""
    rows = []
    for output in (IssuedOutput.objects.filter(application=application).select_related("case", "certificate")
                   .order_by("issued_at", "id")):
        labels = {o["code"]: localized(o.get("label")) for o in definition.outputs_of(output.case.procedure_code)} \
            if output.case.procedure_code in definition.procedures else {}
        try:
            certificate = output.certificate
        except Certificate.DoesNotExist:
            certificate = None
        rows.append({"output": output, "label": labels.get(output.code) or output.code,
                     "procedure": procedure_name(definition, output.case.procedure_code),
                     "certificate": certificate})
    return rows
