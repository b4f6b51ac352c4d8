"""The catalog designer in the Django admin (issue #6).

Administrators compose one things here without writing code or JSON:

* **Dictionaries**: departments (with their members), fields and materials, each defined once and
  shared by every procedure that needs them.
* **Procedures**: fields, materials and outputs as inlines; ``needs_outputs`` chosen among other
  procedures' outputs; days checked against each other.
* **One things**: steps as an inline (procedure, prerequisites among the other steps, condition),
  guide questions among the fields. Editing changes the *draft* only; the change form shows what
  must be fixed before publishing next to the step it concerns.
* **Preview** (diagram, critical path, the merged form, savings, a dry run of sample answers),
  **Publish…** (all checks plus the diff against the published version; creates an immutable
  version), **Unpublish** (no new applications; running ones finish on their version),
  **Import/Export** of ``govflow.catalog/1`` JSON (the same functions as the management commands).
* **Calendar**: holidays and make-up working days, with a year view.

Permissions are Django's model permissions: only staff holding them change definitions. Publishing
and unpublishing need ``catalog.change_onething``; importing needs add and change on every catalog
model. Superusers and whoever may change departments (``catalog.change_department``) administer
the whole catalog. Anyone else is limited in two independent ways (the rules are
:mod:`govflow.accounts.selectors`):

* a *department administrator* changes only the procedures of the departments they belong to
  (``accounts.Membership``), and sees the others read-only (:func:`catalog_scope`);
* a *catalog editor of a division* (``accounts.User.catalog_division``, set by a superuser on the
  user's page) adds, changes, publishes and unpublishes only the one things offered at that
  division or below it (a local catalog: e.g. Xihu's), chooses only such divisions for them, and
  sees every other one thing (e.g. the province-wide ones) read-only. They compose steps from the
  existing procedures; whether they may change procedures, fields, materials or departments is up
  to their model permissions, as for anyone. They may not import a catalog: an import may change
  and republish one things anywhere.

One module per part: :mod:`.dictionaries`, :mod:`.procedures`, :mod:`.onethings`,
:mod:`.calendar_days`; :mod:`.common` holds who may change what. Django's admin discovers
``govflow.designer.admin``: importing the modules here registers their admins.
"""
from __future__ import annotations

from . import calendar_days, dictionaries, onethings, procedures  # noqa: F401 - registers the admins
