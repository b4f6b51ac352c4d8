"""The events proactive services (免申即享, ``proactive.py``) listen to, as outbox rows.

The engine writes a ``proactive_event`` outbox row in the same transaction as the change that
causes it (a case issued outputs; an application completed); the outbox hands it to a worker
after commit and retries it, so a failing trigger never breaks or delays the clerk's decision,
and a crash between the decision and the trigger loses nothing. This module only writes the
rows; ``proactive.outbox_event`` carries them out.
"""
from __future__ import annotations

from typing import Any

from govflow.notifications.models import OutboxKind, OutboxMessage


def outputs_issued(s: Any, case: Any, issued: list) -> None:
    """A case issued outputs (``IssuedOutput`` rows already saved): one event per output."""
    for output in issued:
        if output.pk is None:
            continue
        s.outbox.append(OutboxMessage(kind=OutboxKind.PROACTIVE_EVENT, event="output.issued",
                                      application=s.application,
                                      payload={"source": "output", "output": output.pk}))


def application_completed(s: Any) -> None:
    """An application completed (whatever its outcome; a trigger's rule reads it)."""
    s.outbox.append(OutboxMessage(kind=OutboxKind.PROACTIVE_EVENT, event="application.completed",
                                  application=s.application,
                                  payload={"source": "completed", "application": s.application.pk}))
