"""What a procedure issues physically (a seal, a social-security card, a paper licence) and how it
may reach the applicant: picked up at a service hall or posted to an address.

A procedure's ``physical_results`` (catalog format, ``docs/catalog.md``) lists them::

    [{"code": "licence-original", "label": {"en": "...", "zh-hans": "..."}, "methods": ["pickup", "post"]}]

The applications domain asks the applicant to choose how to receive them at submission and tracks
each one's delivery. This module imports nothing of the project, so the model, the importer and the
designer share its one rule of shape.
"""
from __future__ import annotations

import re
from typing import Any

#: The delivery methods, in the order they are offered.
METHODS = ("pickup", "post")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")


def physical_results_errors(value: Any) -> list[str]:
    """Why ``value`` is not a valid ``physical_results`` list (empty when it is)."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        return ["physical_results: a list expected"]
    problems: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        where = f"physical_results[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: an object expected")
            continue
        unknown = sorted(set(item) - {"code", "label", "methods"})
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(unknown)}")
        code = item.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            problems.append(f"{where}.code: a code of lower-case letters, digits, '-' and '_' expected")
        elif code in seen:
            problems.append(f"{where}.code: {code!r} appears twice")
        else:
            seen.add(code)
        label = item.get("label")
        if not isinstance(label, dict) or not isinstance(label.get("en"), str) or not label["en"].strip() or not all(
                isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in label.items()):
            problems.append(f"{where}.label: an object of labels by language, with a non-blank en, expected")
        methods = item.get("methods")
        if (not isinstance(methods, list) or not methods or len(set(map(str, methods))) != len(methods)
                or any(m not in METHODS for m in methods)):
            problems.append(f"{where}.methods: a non-empty list of distinct methods of {', '.join(METHODS)} expected")
    return problems


def methods_for(results: list[dict]) -> tuple[str, ...]:
    """The methods every one of ``results`` allows, in :data:`METHODS` order (one choice serves all)."""
    return tuple(m for m in METHODS if all(m in (r.get("methods") or ()) for r in results))
