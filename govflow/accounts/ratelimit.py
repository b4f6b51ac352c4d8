"""Fixed-window rate limits on the shared cache (``CACHE_URL``), for account requests.

Moved here from ``govflow.api.auth`` (which re-exports it) so that domain services can use it;
the signature is unchanged.
"""
from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def rate_limit(scope: str, ident: str, *, limit: int, window: int) -> int | None:
    """Count one attempt of ``ident`` in the current fixed window of ``window`` seconds.

    Returns ``None`` while within ``limit``, else the seconds until the window ends. Atomic
    (``cache.add`` then ``cache.incr``) on a shared cache such as Redis.
    """
    now = int(time.time())
    start = now - now % window
    digest = hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()[:32]
    key = f"govflow:ratelimit:{scope}:{digest}:{start}"
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, timeout=window + 60)
        count = 1
    if count > limit:
        return max(1, start + window - now)
    return None
