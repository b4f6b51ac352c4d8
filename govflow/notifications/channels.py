"""Delivery channels: email through Django's email backend, SMS behind a small interface.

Email uses whatever ``EMAIL_BACKEND`` is configured (SMTP in production; console, file or
in-memory in development and tests; all from the environment). SMS goes through
``GOVFLOW_SMS_BACKEND``, a dotted path to a class with ``send_sms(to=, text=, event_id=)``:

* ``govflow.notifications.channels.LogSmsBackend`` (default): writes the message to the
  ``govflow.sms`` logger (the number masked) and sends nothing;
* ``govflow.notifications.channels.MemorySmsBackend``: keeps messages in
  ``MemorySmsBackend.outbox`` (tests);
* ``govflow.notifications.channels.HttpSmsBackend``: POSTs JSON to an SMS gateway at
  ``GOVFLOW_SMS_URL`` with ``Authorization: Bearer GOVFLOW_SMS_TOKEN`` (a provider's own SDK
  fits behind the same three-line interface).

A backend raises :class:`ChannelError` for a failure worth retrying and
:class:`PermanentChannelError` for one that never will succeed.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

from govflow.catalog.fieldtypes import FIELD_TYPES

logger = logging.getLogger("govflow.sms")


class ChannelError(Exception):
    """A delivery failed; trying again later may succeed."""


class PermanentChannelError(ChannelError):
    """A delivery can never succeed as it stands (bad configuration, missing template)."""


def mask_phone(phone: str) -> str:
    """PIPL: 138****0000 in logs (the phone field type's masking)."""
    return FIELD_TYPES["phone"].mask(phone)  # the same as accounts.models.mask_phone (a lower layer here)


class BaseSmsBackend:
    """What an SMS provider must offer."""

    def send_sms(self, *, to: str, text: str, event_id: str) -> str:  # pragma: no cover - interface
        """Send ``text`` to the mainland mobile number ``to``; return a short receipt for the log.

        ``event_id`` (the outbox row id) lets a provider that supports it drop duplicates.
        """
        raise NotImplementedError


class LogSmsBackend(BaseSmsBackend):
    """The default: log instead of sending (development, demos)."""

    def send_sms(self, *, to: str, text: str, event_id: str) -> str:
        logger.info("SMS to %s (event %s): %s", mask_phone(to), event_id, text)
        return "logged"


class MemorySmsBackend(BaseSmsBackend):
    """Keeps every message in ``MemorySmsBackend.outbox`` (for tests)."""

    outbox: list[dict[str, str]] = []
    _lock = threading.Lock()

    def send_sms(self, *, to: str, text: str, event_id: str) -> str:
        with self._lock:
            type(self).outbox.append({"to": to, "text": text, "event_id": event_id})
        return "stored"


class HttpSmsBackend(BaseSmsBackend):
    """A generic JSON SMS gateway: ``POST GOVFLOW_SMS_URL {"to", "text", "event_id"}``."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None) -> None:
        self.url = url or getattr(settings, "GOVFLOW_SMS_URL", "")
        self.token = token if token is not None else getattr(settings, "GOVFLOW_SMS_TOKEN", "")
        self.timeout = timeout or getattr(settings, "GOVFLOW_WEBHOOK_TIMEOUT", 10)
        if not self.url:
            raise PermanentChannelError("GOVFLOW_SMS_URL is not set for HttpSmsBackend.")

    def send_sms(self, *, to: str, text: str, event_id: str) -> str:
        import requests

        headers = {"Idempotency-Key": f"govflow-sms-{event_id}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = requests.post(self.url, json={"to": to, "text": text, "event_id": event_id},
                                     headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ChannelError(f"SMS gateway unreachable: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise ChannelError(f"SMS gateway answered HTTP {response.status_code}")
        return f"HTTP {response.status_code}"


def get_sms_backend() -> BaseSmsBackend:
    path = getattr(settings, "GOVFLOW_SMS_BACKEND", "govflow.notifications.channels.LogSmsBackend")
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise PermanentChannelError(f"GOVFLOW_SMS_BACKEND {path!r} cannot be imported: {exc}") from exc
    return backend_class()


def send_email(*, to: str, subject: str, body: str, event_id: str, headers: dict[str, Any] | None = None) -> str:
    """One plain-text email through Django's configured backend (errors are worth a retry)."""
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
                           headers={"X-Govflow-Event-Id": event_id, **(headers or {})},
                           connection=get_connection(fail_silently=False))
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP, socket and backend errors alike: retried with back-off
        raise ChannelError(f"email not sent: {type(exc).__name__}: {exc}") from exc
    return "email"


def send_sms(*, to: str, text: str, event_id: str) -> str:
    backend = get_sms_backend()
    try:
        return backend.send_sms(to=to, text=text, event_id=event_id)
    except ChannelError:
        raise
    except Exception as exc:  # a provider SDK's own exceptions
        raise ChannelError(f"SMS not sent: {type(exc).__name__}: {exc}") from exc
