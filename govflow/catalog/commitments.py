"""告知承诺制: a material a signed commitment (承诺书) may replace.

A procedure's material entry may carry (catalog format, ``docs/catalog.md``, "commitment")::

    "commitment": {"text": {"zh-hans": "...", "en": "..."}, "verify_rate": 0.2, "verify_days": 20,
                   "refusal_days": 365}

``text`` is what the applicant signs, shown in full; after the case is approved a share
``verify_rate`` (0 none, 1 every one) of its commitments becomes a verification task due in
``verify_days`` working days; a commitment found false keeps the applicant on the refusal list
for ``refusal_days`` calendar days (optional, :data:`DEFAULT_REFUSAL_DAYS`).

This module imports nothing of the project, so the model, the importer, the designer and the
Definition share its one rule of shape.
"""
from __future__ import annotations

import hashlib
from typing import Any

#: How long a false commitment keeps the applicant on the refusal list when the procedure does not say.
DEFAULT_REFUSAL_DAYS = 365
KEYS = ("text", "verify_rate", "verify_days", "refusal_days")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def commitment_errors(value: Any) -> list[str]:
    """Why ``value`` is not a valid ``commitment`` (every problem at once; empty when it is, or when
    it is empty: no commitment)."""
    if value in (None, "", {}):
        return []
    if not isinstance(value, dict):
        return ["commitment: an object expected"]
    problems: list[str] = []
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        problems.append(f"commitment: unknown keys {', '.join(map(str, unknown))}")
    text = value.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("en"), str) or not text["en"].strip() or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in text.items()):
        problems.append("commitment.text: the text in each language, with a non-blank en, expected")
    rate = value.get("verify_rate")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        problems.append("commitment.verify_rate: a number from 0 to 1 expected")
    for key, required in (("verify_days", True), ("refusal_days", False)):
        if key not in value and not required:
            continue
        days = value.get(key)
        if not _whole(days) or not 1 <= days <= 3650:
            problems.append(f"commitment.{key}: a whole number of days from 1 to 3650 expected")
    return problems


def normalized(value: Any) -> dict | None:
    """The commitment with its defaults filled in; ``None`` when the material has none."""
    if not value or not isinstance(value, dict):
        return None
    return {"text": dict(value.get("text") or {}), "verify_rate": float(value.get("verify_rate", 0)),
            "verify_days": int(value.get("verify_days", 1)),
            "refusal_days": int(value.get("refusal_days", DEFAULT_REFUSAL_DAYS))}


def sampled(*, seed: str, rate: float) -> bool:
    """Whether the commitment identified by ``seed`` is drawn for verification at ``rate``.

    Deterministic (the same seed always gives the same answer, on every machine and run): the
    first 8 bytes of SHA-256 of the seed, read as a fraction of 2**64, fall below the rate. Rate 1
    draws every one, rate 0 none."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    draw = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big") / 2 ** 64
    return draw < rate
