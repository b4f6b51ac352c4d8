"""The papers a citizen can hold: the acceptance receipt as a PDF, the electronic certificates
of an application's outputs (PDF, and the holder's consent to show their name), and the public
verification pages their QR codes open. The rules are ``govflow.applications.papers``'s; the
drawing is ``govflow.applications.pdf``'s; the markup is the templates'."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from govflow.accounts.limits import RateLimited
from govflow.applications import papers, pdf
from govflow.applications import selectors as app_selectors
from govflow.applications.models import ApplicationStatus
from govflow.errors import DomainError, NotAllowed
from govflow.web import client_address, receipt_verify_url

from .common import _domain_message


def certificate_verify_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("verify-certificate", args=[token]))


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    if application.status == ApplicationStatus.DRAFT:
        raise Http404("A draft has no receipt.")
    receipt = papers.receipt(application)
    return _pdf(pdf.receipt_pdf(receipt, receipt_verify_url(request, receipt.token)),
                f"receipt-{receipt.number}.pdf")


@login_required
@require_safe
def certificate_pdf(request: HttpRequest, pk: int, output_pk: int) -> HttpResponse:
    certificate = papers.certificate_for_user(request.user, pk, output_pk)
    return _pdf(pdf.certificate_pdf(certificate, certificate_verify_url(request, certificate.token)),
                f"certificate-{certificate.serial}.pdf")


@login_required
@require_POST
def certificate_consent(request: HttpRequest, pk: int, output_pk: int) -> HttpResponse:
    """Show (or mask again) the holder's name on the certificate's verification page."""
    certificate = papers.certificate_for_user(request.user, pk, output_pk)
    choice = request.POST.get("show_name")
    if choice not in ("yes", "no"):
        messages.error(request, _("Choose whether your name is shown."))
        return redirect(f"{reverse('application', args=[pk])}#results")
    try:
        papers.certificate_show_name(certificate=certificate, user=request.user, show=choice == "yes")
    except NotAllowed:
        return render(request, "portal/refused.html", {
            "reason": _("Only the holder decides whether their name is shown."),
            "back": reverse("application", args=[pk])}, status=403)
    except DomainError as exc:
        messages.error(request, _domain_message(exc))
    else:
        text = (_("Your name is shown on the verification page of %(serial)s.") if choice == "yes"
                else _("Your name is masked on the verification page of %(serial)s."))
        messages.success(request, text % {"serial": certificate.serial})
    return redirect(f"{reverse('application', args=[pk])}#results")


def _unindexed(response: HttpResponse) -> HttpResponse:
    """Verification pages are for whoever holds the paper, not for search engines."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = render(request, "portal/verify_limited.html", {"minutes": max(1, -(-exc.wait // 60))}, status=429)
    response["Retry-After"] = str(exc.wait)
    return response


@require_safe
def verify_receipt(request: HttpRequest, token: str) -> HttpResponse:
    """Public, no sign-in: whether a receipt is genuine, with its non-personal facts only."""
    try:
        check = papers.check_receipt(token, address=client_address(request))
    except RateLimited as exc:
        return _limited(request, exc)
    return _unindexed(render(request, "portal/verify_receipt.html", {"check": check}))


@require_safe
def verify_certificate(request: HttpRequest, token: str) -> HttpResponse:
    """Public, no sign-in: whether a certificate is genuine and valid; its holder masked unless they
    consented."""
    try:
        check = papers.check_certificate(token, address=client_address(request))
    except RateLimited as exc:
        return _limited(request, exc)
    return _unindexed(render(request, "portal/verify_certificate.html", {"check": check}))
