"""Idempotency-Key support (placeholder until implemented): passes requests through."""
from __future__ import annotations

from collections.abc import Callable


def idempotent(view_method: Callable) -> Callable:
    return view_method
