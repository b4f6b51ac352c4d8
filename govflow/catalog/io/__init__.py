"""Import, export and validation of ``govflow.catalog/1`` documents.

The format is described in ``docs/catalog.md`` (schema: ``docs/catalog.schema.json``). Three rules
shape this package:

* **Validate everything first, write nothing on error.** :func:`validate_document` never
  raises on any JSON input; it returns every problem with a JSON path such as
  ``$.procedures[2].outputs[0].pattern``. ``services.import_catalog`` raises
  :class:`CatalogValidationError` with all of them before touching the database.
* **A document is self-contained.** Every reference (department, field, material,
  procedure, output) must be defined in the same document. That is what
  :func:`export_catalog` produces, and what a published version's snapshot is.
* **Import is idempotent.** Rows are compared before they are written, so importing the
  same file twice issues no UPDATE the second time and publishes no new version.

One module per responsibility: :mod:`.format` (names, limits, error types), :mod:`.validation`
(its passes: :mod:`.structure`, :mod:`.semantics`),
:mod:`.export` and :mod:`.importing`; this package is their public face.
"""
from __future__ import annotations

from .export import export_catalog
from .format import (
    ACCEPTED_MATERIAL_TYPES,
    CATALOG_FORMAT,
    FIELD_TYPES,
    MATERIAL_TYPE_ALIASES,
    OUTPUT_TYPES,
    CatalogError,
    CatalogValidationError,
    material_type,
    material_types,
)
from .importing import Importer, ImportResult
from .validation import validate_document

__all__ = [
    "ACCEPTED_MATERIAL_TYPES",
    "CATALOG_FORMAT",
    "MATERIAL_TYPE_ALIASES",
    "FIELD_TYPES",
    "OUTPUT_TYPES",
    "CatalogError",
    "CatalogValidationError",
    "ImportResult",
    "Importer",
    "export_catalog",
    "material_type",
    "material_types",
    "validate_document",
]
