"""Token authentication: django-rest-knox, with the ``Token`` scheme of the API contract.

Only a SHA-512 digest of each token is stored. A token expires ``GOVFLOW_TOKEN_TTL_HOURS`` after
login; ``govflow.accounts.signals`` deletes a user's tokens when the password changes or the
account is deactivated, and knox refuses an inactive user's token in any case.
"""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth
from rest_framework import exceptions

from govflow.text import has_bad_text


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token authentication, one query per request and never a 500 on a malformed header."""

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if has_bad_text(text):  # PostgreSQL cannot even compare a NUL
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        # knox would also read and prune all the user's other tokens on every request; an expired
        # token is refused (and deleted) when it is used, and the others go at the next login.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme: ``Authorization: Token <token>``, named ``tokenAuth`` as before."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization",
                                                   token_prefix=self.target.authenticate_header(None))
