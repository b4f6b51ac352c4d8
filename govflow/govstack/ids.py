"""GovStack's identifiers for govflow's objects (docs/govstack.md, *Identifiers*).

A service is a published one thing and an eForm its published version's form; the specification
types their ids as UUIDs, so they are name-based UUIDs (RFC 4122 version 5) of the one thing's code
and of its code and version number: stable across databases and exports, computed, never stored.
An application file is an application (``fileId`` its id), a task a clerk's review task (``taskId``
its id), as on ``/api/v1/``.
"""
from __future__ import annotations

import uuid

#: The namespace of every govflow GovStack UUID (fixed forever: changing it changes every id).
NAMESPACE = uuid.UUID("5d3f1c52-6f0e-5a4b-9c1d-676f76666c6f")


def service_id(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"one-thing:{code}"))


def eform_id(code: str, version: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"one-thing:{code}:version:{version}"))
