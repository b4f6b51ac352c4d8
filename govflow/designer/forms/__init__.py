"""Forms of the catalog designer: proper inputs for what the models keep as JSON.

Administrators never type JSON. A ``{"en": …, "zh-hans": …}`` label is two text inputs
(:class:`BilingualField`); ``choices`` are lines ``value | English | 中文`` (:class:`ChoicesField`);
``after``, ``guide`` and ``needs_outputs`` are multiple choices among what exists
(steps of the same one thing, fields, outputs of other procedures). The forms check what can be
checked on one row (a pattern compiles, a ``when`` parses, options fit the field type, committed
days within statutory days); what needs the whole definition is checked at publishing
(:mod:`govflow.catalog.design`).

The inputs and the checks on one value are :mod:`.inputs`; the forms are grouped by what they edit:
:mod:`.dictionaries` (departments, fields, materials), :mod:`.procedures` (procedures and their
outputs), :mod:`.onethings` (one things and their steps) and :mod:`.imports` (a catalog document).
"""
