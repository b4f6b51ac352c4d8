"""Who may call the GovStack API: a registered, active client (``Information-Mediator-Client``)
together with govflow's own authentication (a token, or a signed-in session).

The checks, in order (the first that fails answers):

- no valid govflow credentials → ``401`` (``WWW-Authenticate: Token``), as on ``/api/v1/``;
- no ``Information-Mediator-Client`` header, or one that is not an X-Road client identifier
  (``INSTANCE/CLASS/MEMBER/SUBSYSTEM``, the subsystem optional) → ``400``; a value no active
  client has → ``403``;
- the client is registered to an account and the credentials are another account's → ``403``;
- the client is registered to no account (a portal relaying its users' tokens) and the credentials
  are those of an account registered to some client: that account must use its own client → ``403``.

Past this gate every call is authorised exactly as the govflow API call it stands for.
"""
from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from govflow.text import has_bad_text

from .models import Client

HEADER = "Information-Mediator-Client"
#: An X-Road client identifier: INSTANCE/CLASS/MEMBER/SUBSYSTEM (a member itself: no SUBSYSTEM).
IDENTIFIER_RE = re.compile(r"[^/\s]+/[^/\s]+/[^/\s]+(?:/[^/\s]+)?")


class MissingClientHeader(exceptions.ValidationError):
    pass


class IsRegisteredClient(BasePermission):
    """A registered, active client matching the caller's account; kept on ``request.govstack_client``."""

    message = _("This client is not registered for this account.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with the authenticator's challenge
        value = request.headers.get(HEADER, "")
        if not value:
            raise exceptions.ValidationError({HEADER: [_("This header is required (INSTANCE/CLASS/MEMBER/SUBSYSTEM).")]})
        if len(value) > 255 or has_bad_text(value) or not IDENTIFIER_RE.fullmatch(value):
            raise exceptions.ValidationError({HEADER: [_("Not a client identifier: INSTANCE/CLASS/MEMBER/SUBSYSTEM.")]})
        client = Client.objects.filter(identifier=value, is_active=True).first()
        if client is None:
            return False
        if client.user_id is not None:
            if client.user_id != request.user.pk:
                return False
        elif Client.objects.filter(user=request.user).exists():
            return False
        request.govstack_client = client
        request.govstack_departments = set(client.departments.values_list("pk", flat=True))
        return True
