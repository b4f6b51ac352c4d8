"""The one signature scheme for department systems, both directions.

``X-Govflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``: outbound webhooks
are signed with it, inbound decision callbacks are verified with it.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from govflow.catalog.models import Department, Office

SIGNATURE_HEADER = "X-Govflow-Signature"
TOLERANCE_SECONDS = 300
_MAX_HEADER_LENGTH = 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Govflow-Signature`` value for ``body`` (now, unless a timestamp is given)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={signature(secret, body, t)}"


def verify_signature(secret: str, header: str | None, body: bytes, *, now: float | None = None,
                     tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within the tolerance.

    Several ``v1=`` entries are accepted (any one matching), so a department can roll its secret.
    """
    if not secret or not header or len(header) > _MAX_HEADER_LENGTH:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and _HEX64.fullmatch(value):
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


@dataclass(frozen=True)
class Signers:
    """Whose webhook secrets sign a request: departments, and offices with a system of their own."""

    department_ids: frozenset[int]
    office_ids: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.department_ids or self.office_ids)


def signing_systems(header: str | None, body: bytes) -> Signers:
    """The departments and the offices whose webhook secret signs ``body`` (usually one; none:
    refuse the request).

    Every secret is tried, whatever the request is about, so a caller that checks this before
    looking anything up answers a request without a valid signature the same way whether or not
    the object it names exists.
    """
    if not header or len(header) > _MAX_HEADER_LENGTH:
        return Signers(frozenset(), frozenset())
    departments = Department.objects.exclude(webhook_secret="").only("id", "webhook_secret")
    offices = Office.objects.exclude(webhook_url="").exclude(webhook_secret="").only("id", "webhook_secret")
    return Signers(frozenset(d.pk for d in departments if verify_signature(d.webhook_secret, header, body)),
                   frozenset(o.pk for o in offices if verify_signature(o.webhook_secret, header, body)))
