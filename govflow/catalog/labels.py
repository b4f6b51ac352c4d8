"""Catalog labels: ``{"en": …, "zh-hans": …}`` texts and the one rule for picking a language."""
from __future__ import annotations

from django.utils.translation import get_language


def localized(labels: dict | None, language: str | None = None) -> str:
    """Pick the label for the active language: zh-hans when asked for, else en."""
    if not labels:
        return ""
    lang = (language or get_language() or "en").lower()
    if lang.startswith("zh") and labels.get("zh-hans"):
        return labels["zh-hans"]
    return labels.get("en") or next(iter(labels.values()), "")
