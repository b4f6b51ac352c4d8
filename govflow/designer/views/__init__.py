"""The designer's own admin pages: preview and dry run, publish (with diff), unpublish,
import/export of the catalog JSON, and the calendar's year view.

Each view takes the ``ModelAdmin`` it belongs to (for permissions, ``each_context`` and logging)
and only turns the request into calls of the catalog's functions: :mod:`govflow.catalog.design` (checks, diff,
publishing), :mod:`govflow.catalog.io` (the same import/export as the management commands), :mod:`govflow.catalog.services`.

One module a page: :mod:`.preview`, :mod:`.publishing`, :mod:`.transfer` (import and export),
:mod:`.calendar_year`; :mod:`.common` holds the page context and the located design problems the
change form shows too.
"""
