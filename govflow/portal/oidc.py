"""Sign-in through the unified identity provider (OpenID Connect, mozilla-django-oidc).

mozilla-django-oidc runs the protocol: the redirect to the provider's authorization endpoint (with
state, nonce and PKCE), the token exchange and the ID token's signature check against the
provider's JWKS. This module only translates: the backend checks the ID token's issuer and
audience, fetches the userinfo and hands the provider's claims to the domain
(``govflow.parties.identity.sign_in``); the views answer 404 while OIDC is not configured and turn
a refusal or a failed exchange into a page instead of an error. Which account a person gets, and
when they are refused, is the domain's rule (``govflow.accounts.identity``).
"""
from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from govflow.accounts.identity import IdentityRefused
from govflow.parties import identity

logger = logging.getLogger(__name__)

#: Set on the request by the backend when the domain refuses the person; the callback shows it.
REFUSAL_ATTRIBUTE = "govflow_identity_refused"

NOT_COMPLETED = gettext_noop("Signing in through the identity provider was not completed. Try again.")
UNREACHABLE = gettext_noop("The identity provider could not be reached. Try again in a few minutes.")


def oidc_enabled() -> bool:
    return bool(getattr(settings, "GOVFLOW_OIDC_ENABLED", False))


class OIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of the authorization-code flow, and nothing else."""

    def authenticate(self, request, **kwargs):
        # Only the callback view passes the nonce: a password login never starts a token exchange.
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def retrieve_matching_jwk(self, token):
        """The provider's signing key. OpenID Connect Core 10.1 lets a provider with a single key
        leave ``kid`` out of the ID token's header: then the JWKS's one signing key for the
        algorithm is the key (the signature is checked with it all the same)."""
        if "kid" in jwt.get_unverified_header(token):
            return super().retrieve_matching_jwk(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, verify=self.get_settings("OIDC_VERIFY_SSL", True),
                                timeout=self.get_settings("OIDC_TIMEOUT", None),
                                proxies=self.get_settings("OIDC_PROXY", None))
        response.raise_for_status()
        keys = [key for key in response.json().get("keys", [])
                if key.get("use", "sig") == "sig" and key.get("alg", self.OIDC_RP_SIGN_ALGO) == self.OIDC_RP_SIGN_ALGO]
        if len(keys) != 1:
            raise SuspiciousOperation("The ID token names no key and the provider has several.")
        return jwt.PyJWK(keys[0])

    def get_or_create_user(self, access_token, id_token, payload):
        issuer = settings.GOVFLOW_OIDC_ISSUER
        if payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        audience = payload.get("aud")
        if self.OIDC_RP_CLIENT_ID not in ([audience] if isinstance(audience, str) else audience or []):
            raise SuspiciousOperation("The ID token is for another client.")
        claims = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo is about another subject than the ID token.")
        try:
            return identity.sign_in(issuer=issuer, subject=payload.get("sub"), claims=claims)
        except IdentityRefused as exc:
            logger.info("OIDC sign-in refused: %s", exc.message)
            setattr(self.request, REFUSAL_ATTRIBUTE, exc)
            return None


def _failed(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "portal/oidc_failed.html", {"message": _(message)}, status=status)


class AuthenticateView(OIDCAuthenticationRequestView):
    """``GET``: off to the provider's sign-in page (``?next=`` is where to land afterwards)."""

    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404("OIDC is not configured.")
        return super().dispatch(request, *args, **kwargs)


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the person back here with the code; a refusal is a page that says why."""

    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404("OIDC is not configured.")
        try:
            return super().dispatch(request, *args, **kwargs)
        except requests.HTTPError as exc:
            # The provider answered, and refused: a used, expired or forged code is a 4xx.
            logger.warning("OIDC provider refused the request: %s", exc)
            status = getattr(exc.response, "status_code", 500)
            return _failed(request, *((NOT_COMPLETED, 400) if 400 <= status < 500 else (UNREACHABLE, 502)))
        except requests.RequestException:
            logger.warning("OIDC provider could not be reached", exc_info=True)
            return _failed(request, UNREACHABLE, 502)
        except SuspiciousOperation as exc:
            logger.warning("OIDC callback refused: %s", exc)
            return _failed(request, NOT_COMPLETED, 400)

    @property
    def success_url(self) -> str:
        return self.request.session.get("oidc_login_next") or reverse("applications")

    def login_failure(self):
        refused = getattr(self.request, REFUSAL_ATTRIBUTE, None)
        if refused is not None:
            return _failed(self.request, refused.message, 403)
        return _failed(self.request, NOT_COMPLETED, 400)
