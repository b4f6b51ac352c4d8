"""Outbound webhooks: every case change POSTed to its office's system (else its department's), signed.

Body (UTF-8 JSON)::

    {"event_id": "1234", "type": "case.approved", "occurred_at": "2026-12-01T10:00:00+08:00",
     "application": {"id": 7, "number": "GF-2026-000007"},
     "case": {"id": 21, "procedure": "amr-licence", "department": "amr", "office": "amr-330106",
              "status": "approved", "due_date": "2026-12-02", "outputs": {...}, "corrections": null}}

``event_id`` is the outbox row's id as a string: the same for every attempt of one event, so
a receiver deduplicates on it (delivery is at least once). ``type`` is the timeline kind. The
payload is the state at the moment of the change, not at the moment of sending.

Header ``X-Govflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with the
receiving system's webhook secret (the office's, else the department's); ``t`` is the time of this attempt, so a receiver can refuse old
signatures (govflow's own inbound endpoint allows 300 s). Also sent: ``X-Govflow-Event-Id``,
``X-Govflow-Event`` and ``X-Govflow-Delivery-Attempt``. Any 2xx answer is success; anything
else, a timeout or a connection error is retried with exponential back-off.
"""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from govflow.catalog.models import Department, Office, validate_webhook_url

from .channels import ChannelError, PermanentChannelError
from .signing import SIGNATURE_HEADER, TOLERANCE_SECONDS, signature, signature_header, verify_signature

USER_AGENT = "govflow-webhooks/1"

# The scheme is shared with the inbound callbacks; these names are what receivers' docs use.
sign = signature


def verify(secret: str, header: str, body: bytes, *, tolerance: int = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """Check a signature the way a receiver should (used by tests and documented in docs/webhooks.md)."""
    return verify_signature(secret, header, body, now=now, tolerance=tolerance)


_TOP_KEYS = ("type", "occurred_at", "application", "case")
_CASE_KEYS = ("id", "procedure", "department", "office", "status", "due_date", "outputs", "corrections")


def _ordered(data: dict, keys: tuple[str, ...]) -> dict:
    """Documented keys in the documented order, then any others (PostgreSQL's jsonb reorders keys)."""
    return {**{k: data[k] for k in keys if k in data}, **{k: v for k, v in data.items() if k not in keys}}


def _local(timestamp: Any) -> Any:
    """ISO 8601 in TIME_ZONE (Asia/Shanghai), like every time in the API."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return timestamp
    if moment.tzinfo is None:
        return timestamp
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat()


def body_of(message: Any) -> bytes:
    """The exact bytes sent for an outbox row: ``event_id`` first, then the stored payload."""
    payload = {k: v for k, v in (message.payload or {}).items() if k != "event_id"}
    if isinstance(payload.get("case"), dict):
        payload["case"] = _ordered(payload["case"], _CASE_KEYS)
    if "occurred_at" in payload:
        payload["occurred_at"] = _local(payload["occurred_at"])
    data = {"event_id": str(message.pk), **_ordered(payload, _TOP_KEYS)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def send(message: Any) -> str:
    """POST one webhook outbox row to its office's current URL (the office's own webhook, else its
    department's); return ``"HTTP <status>"``.

    Raises :class:`ChannelError` when it should be tried again, :class:`PermanentChannelError`
    when the webhook used (the office's or the department's, named in the error) has no secret or
    its URL is not https:// while plain http is not allowed (fix that configuration, then retry it
    in the admin).
    """
    import requests
    from django.core.exceptions import ValidationError

    case = (message.payload or {}).get("case") or {}
    code = case.get("department")
    office = (Office.objects.filter(code=case.get("office")).select_related("department").first()
              if case.get("office") else None)
    if office is not None:
        url, secret = office.webhook
    else:  # a message queued before offices existed
        department = Department.objects.filter(code=code).only("webhook_url", "webhook_secret").first()
        url, secret = (department.webhook_url, department.webhook_secret) if department else ("", "")
    # Whose configuration to fix: the office's own webhook replaces its department's.
    owner = f"office {office.code!r}" if office is not None and office.webhook_url else f"department {code!r}"
    if not url:
        return "skipped: the office and its department have no webhook URL any more"
    if not secret:
        raise PermanentChannelError(f"{owner} has a webhook URL but no secret: nothing is sent unsigned")
    try:
        validate_webhook_url(url)
    except ValidationError:
        raise PermanentChannelError(
            f"{owner} has a plain http:// webhook URL and http is not allowed "
            "(GOVFLOW_ALLOW_HTTP_WEBHOOKS): nothing is sent; set an https:// URL, then retry") from None
    body = body_of(message)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(secret, body),
        "X-Govflow-Event-Id": str(message.pk),
        "X-Govflow-Event": message.event,
        "X-Govflow-Delivery-Attempt": str(message.attempts),
    }
    timeout = float(getattr(settings, "GOVFLOW_WEBHOOK_TIMEOUT", 10))
    try:
        response = requests.post(url, data=body, headers=headers,
                                 timeout=(min(5.0, timeout), timeout), allow_redirects=False)
    except requests.RequestException as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
    status = response.status_code
    response.close()
    if not 200 <= status < 300:
        raise ChannelError(f"HTTP {status} from {url}")
    return f"HTTP {status}"
