"""The ``govflow.catalog/1`` format: its JSON Schema, names and limits, and a document's errors."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .. import fieldtypes

# The one statement of a document's shape. It lives in the package so that an installed govflow
# finds it; docs/catalog.schema.json publishes the same file (a test keeps the two identical).
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "catalog.schema.json"


@cache
def schema() -> dict:
    """The catalog document's JSON Schema (read once)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


CATALOG_FORMAT = "govflow.catalog/1"

# The field types are the registry's (catalog/fieldtypes.py); an output may have only some of them.
FIELD_TYPES: tuple[str, ...] = tuple(fieldtypes.FIELD_TYPES)
OUTPUT_TYPES = fieldtypes.OUTPUT_TYPES
# Only types whose content can be sniffed reliably on upload (OFD cannot).
ACCEPTED_MATERIAL_TYPES = ("pdf", "png", "jpeg")
# What people write for a type, and the one name it is stored and exported as.
MATERIAL_TYPE_ALIASES = {"jpg": "jpeg"}


def material_type(value: Any) -> Any:
    """The canonical name of a material file type (``jpg`` → ``jpeg``); anything else unchanged."""
    return MATERIAL_TYPE_ALIASES.get(value, value) if isinstance(value, str) else value


def material_types(values: Any) -> Any:
    """A list of file types with aliases replaced by their canonical names (order kept)."""
    return [material_type(v) for v in values] if isinstance(values, list) else values


CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")  # the whole code: use fullmatch
# Limits the admin's forms share with the schema (which matches the column sizes in models.py).
_DEFS = schema()["$defs"]
PATTERN_MAX = _DEFS["field"]["properties"]["pattern"]["maxLength"]
WHEN_MAX = _DEFS["one_thing"]["properties"]["steps"]["items"]["properties"]["when"]["maxLength"]
MAX_DAYS = _DEFS["days"]["maximum"]
MAX_LENGTH_MAX = _DEFS["field"]["properties"]["max_length"]["maximum"]
MAX_SIZE_MB = _DEFS["material"]["properties"]["max_size_mb"]["maximum"]

SECTIONS = ("divisions", "departments", "offices", "fields", "materials", "procedures", "one_things")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_key(path: str, key: Any) -> str:
    """``path`` followed by an object key (``$.name``, ``$.name["zh-hans"]``) or a list index (``$[2]``)."""
    if isinstance(key, str) and _IDENTIFIER_RE.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False) if isinstance(key, str) else repr(key)}]"


def json_path(keys: Any) -> str:
    """The JSON path (``$.procedures[2].outputs[0].pattern``) of a sequence of keys and indexes."""
    path = "$"
    for key in keys:
        path = json_key(path, key)
    return path


@dataclass(frozen=True)
class CatalogError:
    """One problem in a catalog document, located by a JSON path (``$.fields[3].label.en``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class CatalogValidationError(Exception):
    """A catalog document (or a one thing's snapshot) is invalid; ``errors`` lists every problem."""

    def __init__(self, errors: list[CatalogError]) -> None:
        self.errors = list(errors)
        summary = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(self.errors)} catalog error(s): {summary}{more}")


# 容缺受理: a procedure's deferral policy when the document states none (docs/catalog.md, "deferral").
DEFERRAL_DEFAULTS: dict[str, Any] = {"conditional_approval": False, "on_missed": "reject", "clock": "running"}
