"""The ``govflow.catalog/1`` format's names and limits, and the errors a document can have."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CATALOG_FORMAT = "govflow.catalog/1"

FIELD_TYPES = ("string", "text", "integer", "decimal", "boolean", "date", "choice", "email", "phone", "id_number")
# An output is a value a clerk enters when approving; a choice would need its own options.
OUTPUT_TYPES = tuple(t for t in FIELD_TYPES if t != "choice")
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
# Column sizes in models.py: longer values would fail in the database, not in validation.
DEPARTMENT_CODE_MAX = 50
CODE_MAX = 64
PATTERN_MAX = 500
WHEN_MAX = 1000
AUTOMATIC_MAX = 200
MAX_DAYS = 3650
MAX_LENGTH_MAX = 100_000
MAX_SIZE_MB = 100

SECTIONS = ("departments", "fields", "materials", "procedures", "one_things")


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
