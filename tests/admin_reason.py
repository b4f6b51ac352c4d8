"""An administrator's typed support ticket and reason (adminkit.ReasonForPersonalData), for tests
that open admin change pages of personal data without going through the reason form."""
from __future__ import annotations

import time

from govflow.adminkit import REASON_SESSION_KEY


def give_reason(client, user, *, ticket: str = "T-1", reason: str = "a test", minutes: int = 15) -> None:
    session = client.session
    session[REASON_SESSION_KEY] = {"user": user.pk, "ticket": ticket, "reason": reason,
                                   "until": time.time() + 60 * minutes}
    session.save()
