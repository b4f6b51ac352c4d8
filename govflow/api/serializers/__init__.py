"""Representations of applications and tasks, built from rows read in bulk (no per-row queries).

Names and labels come from the application's immutable version snapshot, in the
request's language; departments, offices and divisions from their rows.

By resource: :mod:`.common` (departments, offices, divisions, procedures, people as references),
:mod:`.applications` (an application and what it holds), :mod:`.bodies` (what an applicant posts),
:mod:`.tasks` (clerks' tasks, decisions and physical results).
"""
