"""What every portal page needs to know about signing in: whether the unified identity provider
is configured (and its name, for "Sign in with …") and whether self-registration is on."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from govflow.accounts.services import self_registration_enabled


def sign_in(request: HttpRequest) -> dict:
    return {
        "oidc_enabled": bool(getattr(settings, "GOVFLOW_OIDC_ENABLED", False)),
        "oidc_provider_name": getattr(settings, "GOVFLOW_OIDC_PROVIDER_NAME", ""),
        "self_registration": self_registration_enabled(),
    }
