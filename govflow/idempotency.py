"""``Idempotency-Key`` for POSTs that create or submit (a phone on a bad network may send twice),
for every interface that offers it: ``/api/v1/`` (``govflow.api.idempotency``) and the GovStack API
(``govflow.govstack.idempotency``), each keeping its keys in a model of its own (:class:`Keys`).

Contract: the key is scoped to (user, method, path), plus what the interface adds (GovStack: the
calling client), and kept for the interface's retention. A repeat with the same body gets the
stored status and body back with ``Idempotent-Replayed: true`` and creates nothing; a repeat with
another body gets ``422``; a repeat while the first request is still running gets ``409``. Only
2xx responses are stored: after an error the client may retry with the same key. Without the
header nothing changes.

How: the record is inserted and committed in its own short transaction *before* the view runs,
so a concurrent duplicate hits the unique constraint and sees it (the view's service then runs
its own transaction). Don't call a decorated view inside an outer ``transaction.atomic`` (e.g.
``ATOMIC_REQUESTS``): the reservation would not be visible to other requests until the end.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
PATH_MAX_LENGTH = 255
# A record still "running" after this long belongs to a request that died (worker killed, timeout):
# it is taken over rather than answering 409 for the rest of the day.
IN_PROGRESS_TIMEOUT = timedelta(minutes=10)

_KEY_RE = re.compile(r"[\x20-\x7e]+")  # printable ASCII


class IdempotencyInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."
    default_code = "idempotency_in_progress"


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request body."
    default_code = "idempotency_key_reused"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def raw_body(request) -> bytes:
    """``request.body``, with a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` as a JSON 413."""
    try:
        return request.body
    except RequestDataTooBig:
        raise PayloadTooLarge() from None


def _clean_key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise ValidationError({HEADER: ["Must not be empty."]})
    if len(key) > KEY_MAX_LENGTH:
        raise ValidationError({HEADER: [f"At most {KEY_MAX_LENGTH} characters."]})
    if not _KEY_RE.fullmatch(key):
        raise ValidationError({HEADER: ["Only printable ASCII characters are allowed."]})
    return key


def request_hash(body: bytes) -> str:
    """SHA-256 of the canonical body: JSON re-serialised with sorted keys, so that key order
    and whitespace do not matter; an empty body counts as ``{}``; anything else as raw bytes."""
    if not body.strip():
        canonical = b"{}"
    else:
        try:
            canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError):
            canonical = b"raw:" + body
    return hashlib.sha256(canonical).hexdigest()


def _body_bytes(request) -> bytes:
    try:
        return raw_body(request)
    except RawPostDataException:  # already consumed by a form parser: hash what was parsed
        return json.dumps(request.data, sort_keys=True, default=str).encode("utf-8")


def _replay(record: Any) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


@dataclass(frozen=True)
class Keys:
    """Where one interface keeps its keys: ``model`` has the fields of ``govflow.api.models.IdempotencyRecord``
    (user, key, method, path, request_hash, status_code, response_body, created_at, completed_at), plus
    any that ``scope(request)`` names, and a unique constraint over the scope. ``retention()`` says how
    long a key is kept (read at each request, so a setting may decide it)."""

    model: Any
    retention: Callable[[], timedelta]
    scope: Callable[[Any], dict] = field(default=lambda request: {})

    def _reserve(self, *, scope: dict, body_hash: str) -> Any:
        """Insert (and commit) the record, or answer from the one already there."""
        model = self.model
        for _ in range(3):
            now = timezone.now()
            try:
                with transaction.atomic():
                    return model.objects.create(**scope, request_hash=body_hash, created_at=now)
            except IntegrityError:
                pass
            existing = model.objects.filter(**scope).first()
            if existing is None:  # deleted in between (failed or expired): try again
                continue
            stale = existing.completed_at is None and existing.created_at < now - IN_PROGRESS_TIMEOUT
            if existing.created_at < now - self.retention() or stale:
                # Conditional: never delete a record another request has just put in its place.
                model.objects.filter(pk=existing.pk, created_at=existing.created_at,
                                     completed_at=existing.completed_at).delete()
                continue
            if existing.completed_at is None:
                raise IdempotencyInProgress()
            if existing.request_hash != body_hash:
                raise IdempotencyKeyReused()
            return _replay(existing)
        raise IdempotencyInProgress()

    def _forget(self, record: Any) -> None:
        """The request failed: drop the reservation so the client may retry with the same key."""
        try:
            self.model.objects.filter(pk=record.pk, completed_at__isnull=True).delete()
        except DatabaseError:  # the record then expires on its own (IN_PROGRESS_TIMEOUT)
            logger.exception("Could not release Idempotency-Key record %s", record.pk)

    def _complete(self, record: Any, response: Response) -> None:
        try:
            self.model.objects.filter(pk=record.pk).update(
                status_code=response.status_code, response_body=response.data, completed_at=timezone.now())
        except (DatabaseError, TypeError, ValueError):
            # The work is done and answered; a repeat will meet an unfinished record (409, then taken over).
            logger.exception("Could not store the response for Idempotency-Key record %s", record.pk)

    def idempotent(self, view_method: Callable) -> Callable:
        """Decorate an ``APIView`` handler ``(self, request, *args, **kwargs)`` with Idempotency-Key support.

        Runs after authentication and permission checks (DRF calls the handler after ``initial()``).
        """

        @functools.wraps(view_method)
        def wrapper(view, request, *args, **kwargs):
            raw_key = request.headers.get(HEADER)
            user = getattr(request, "user", None)
            if raw_key is None or user is None or not user.is_authenticated:
                return view_method(view, request, *args, **kwargs)
            key = _clean_key(raw_key)
            path = request.path
            if len(path) > PATH_MAX_LENGTH:  # no such resource: the view answers 404 on its own
                return view_method(view, request, *args, **kwargs)
            scope = {"user": user, "key": key, "method": request.method, "path": path, **self.scope(request)}
            outcome = self._reserve(scope=scope, body_hash=request_hash(_body_bytes(request)))
            if isinstance(outcome, Response):
                return outcome
            record = outcome
            try:
                response = view_method(view, request, *args, **kwargs)
            except BaseException:
                self._forget(record)
                raise
            if 200 <= response.status_code < 300 and hasattr(response, "data"):
                self._complete(record, response)
            else:
                self._forget(record)
            return response

        return wrapper

    def purge_expired(self, *, now=None) -> int:
        """Delete records older than the retention; returns how many (for a Celery beat task)."""
        cutoff = (now or timezone.now()) - self.retention()
        deleted, _ = self.model.objects.filter(created_at__lt=cutoff).delete()
        return deleted


#: Every interface's keys, registered by the module that declares them (each app imports that module
#: in its ``ready()``, so a worker knows them all without loading any URLconf).
REGISTERED: list[Keys] = []


def register(keys: Keys) -> Keys:
    if keys not in REGISTERED:
        REGISTERED.append(keys)
    return keys


def purge_all_expired(*, now=None) -> dict[str, int]:
    """Delete every interface's expired keys (the beat job ``idempotency-purge``): one DELETE per
    interface; returns how many were deleted per model label."""
    now = now or timezone.now()
    return {keys.model._meta.label: keys.purge_expired(now=now) for keys in REGISTERED}
