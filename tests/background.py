"""Fixtures for background work: fast retries, in-memory SMS, a webhook receiver.

A plugin of the root conftest: ``tests/notifications`` uses ``notification_settings`` for every test,
the domain's background tests (automatic steps, the SLA sweep) name it in their ``pytestmark``.
"""
from __future__ import annotations

import pytest

from govflow.catalog.models import Department
from govflow.notifications.channels import MemorySmsBackend

from .notifications.receiver import start_receiver

WEBHOOK_SECRET = "amr-system-shared-secret-0123456789"


@pytest.fixture
def notification_settings(settings):
    settings.GOVFLOW_SMS_BACKEND = "govflow.notifications.channels.MemorySmsBackend"
    settings.GOVFLOW_OUTBOX_RETRY_BASE = 30.0
    settings.GOVFLOW_OUTBOX_MAX_ATTEMPTS = 4
    settings.GOVFLOW_SITE_URL = "https://gov.example.org"
    MemorySmsBackend.outbox = []
    yield
    MemorySmsBackend.outbox = []


@pytest.fixture
def receiver():
    """A department system listening on 127.0.0.1 (see ``receiver.py``)."""
    made = []

    def make(**options):
        found, server = start_receiver(**options)
        made.append(server)
        return found

    yield make
    for server in made:
        server.shutdown()
        server.server_close()


def register_webhook(code: str, url: str, secret: str = WEBHOOK_SECRET) -> Department:
    Department.objects.filter(code=code).update(webhook_url=url, webhook_secret=secret)
    return Department.objects.get(code=code)
