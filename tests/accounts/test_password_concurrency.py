"""Reset codes under real concurrency (PostgreSQL row locks): one use, and every wrong try counted."""
from __future__ import annotations

import logging
import re

import pytest
from django.core.cache import cache
from django.db import connection

from govflow.accounts import services
from govflow.accounts.models import PasswordResetCode
from govflow.errors import InvalidInput
from tests.threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def _issue_code(user, caplog) -> str:
    """Ask for a code as the portal does; it is sent (eagerly, after the commit) to the SMS log."""
    cache.clear()
    caplog.set_level(logging.INFO, logger="govflow.sms")
    assert services.request_password_reset(identifier=user.username, channel="sms", client="203.0.113.9") is None
    return re.search(r"(\d{6})", caplog.records[-1].getMessage()).group(1)


def test_one_code_used_twice_at_once_resets_once(citizen_alice, caplog):
    code = _issue_code(citizen_alice, caplog)
    passwords = ["first-Winner-passphrase-1", "second-Winner-passphrase-2"]
    results = run_together([
        lambda p=p: services.reset_password_with_code(identifier=citizen_alice.username, code=code, new_password=p)
        for p in passwords])
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, InvalidInput) and "code" in r.errors for r in results if isinstance(r, Exception))
    citizen_alice.refresh_from_db()
    assert sum(citizen_alice.check_password(p) for p in passwords) == 1


def test_eight_wrong_codes_at_once_all_count(citizen_alice, caplog):
    code = _issue_code(citizen_alice, caplog)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    results = run_together([
        lambda: services.reset_password_with_code(identifier=citizen_alice.username, code=wrong,
                                                  new_password="some-Fine-passphrase-3")
        for _ in range(8)])
    assert all(isinstance(r, InvalidInput) for r in results)
    stored = PasswordResetCode.objects.get(user=citizen_alice)
    assert stored.attempts == 5  # counted up to the limit, then the code is dead
    with pytest.raises(InvalidInput):
        services.reset_password_with_code(identifier=citizen_alice.username, code=code,
                                          new_password="some-Fine-passphrase-3")
