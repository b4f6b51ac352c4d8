"""Who may call the GovStack API: a registered, active client (``Information-Mediator-Client``)
together with govflow's own authentication (a token, or a signed-in session).

The checks, in order (the first that fails answers):

- no valid govflow credentials → ``401`` (``WWW-Authenticate: Token``), as on ``/api/v1/``;
- no ``Information-Mediator-Client`` header on an operation whose specification lists it, or one
  that is not an X-Road client identifier (``INSTANCE/CLASS/MEMBER/SUBSYSTEM``, the subsystem
  optional) → ``400``; a value no active client has → ``403``;
- no header on an operation whose specification lists none (documents, tasks: the view says
  ``client_header_optional``): the credentials alone decide; an account registered to a client
  acts as that client (its departments apply as with the header; an inactive one → ``403``, and an
  account registered to several must name one in the header → ``400``), any other account as no client;
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
    """A registered, active client matching the caller's account; kept on ``request.govstack_client``
    (``None``: no header where the operation does not need one, and the account is no client's)."""

    message = _("This client is not registered for this account.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with the authenticator's challenge
        value = request.headers.get(HEADER, "")
        if not value and getattr(view, "client_header_optional", False):
            return self._implied_client(request)
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
        return self._admit(request, client)

    def _implied_client(self, request) -> bool:
        """No header where the specification lists none: the account's own client, if it has one."""
        clients = list(Client.objects.filter(user=request.user)[:2])
        if len(clients) > 1:
            raise exceptions.ValidationError(
                {HEADER: [_("This account is registered to several clients: name one in this header.")]})
        if not clients:
            request.govstack_client = None
            request.govstack_departments = set()
            return True
        return clients[0].is_active and self._admit(request, clients[0])

    @staticmethod
    def _admit(request, client: Client) -> bool:
        request.govstack_client = client
        request.govstack_departments = set(client.departments.values_list("pk", flat=True))
        return True
