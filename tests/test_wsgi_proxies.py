"""The client address behind reverse proxies (GOVFLOW_TRUSTED_PROXY_COUNT), through the real WSGI
entry point: the login lockout and the rate limits see the address the trusted proxies forwarded,
and an X-Forwarded-For entry a client writes itself chooses nothing."""
from __future__ import annotations

import json

import pytest
from axes.models import AccessAttempt
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from werkzeug.test import Client

from govflow.wsgi import behind_proxies

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.20"
PASSWORD = "govflow-test-pw"


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def server(proxies: int) -> Client:
    return Client(behind_proxies(get_wsgi_application(), proxies))


def login(client: Client, password: str, *, remote: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    response = client.post("/api/v1/auth/token/", data=json.dumps({"username": "alice", "password": password}),
                           content_type="application/json", headers=headers,
                           environ_base={"REMOTE_ADDR": remote})
    return response.status_code


def test_without_trusted_proxies_x_forwarded_for_is_ignored(citizen_alice):
    client = server(0)
    for n in range(5):  # a different forged address on each attempt: all count on REMOTE_ADDR
        login(client, "wrong", remote=ATTACKER, forwarded=f"192.0.2.{n}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert login(client, PASSWORD, remote=ATTACKER, forwarded=VICTIM) == 429
    assert login(client, PASSWORD, remote=VICTIM) == 200


def test_one_trusted_proxy_gives_each_client_its_own_address(citizen_alice):
    client = server(1)
    for _ in range(5):  # the proxy appends the address it saw
        login(client, "wrong", remote=PROXY, forwarded=ATTACKER)

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert login(client, PASSWORD, remote=PROXY, forwarded=ATTACKER) == 429
    # Not the proxy's address for everybody: another client through the same proxy logs in.
    assert login(client, PASSWORD, remote=PROXY, forwarded=VICTIM) == 200


def test_a_forged_x_forwarded_for_entry_cannot_choose_the_address(citizen_alice):
    """The attacker writes the victim's address first; the proxy appends the attacker's."""
    client = server(1)
    for _ in range(6):
        login(client, "wrong", remote=PROXY, forwarded=f"{VICTIM}, {ATTACKER}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert login(client, PASSWORD, remote=PROXY, forwarded=VICTIM) == 200  # the victim is not locked out
    assert login(client, PASSWORD, remote=PROXY, forwarded=f"192.0.2.99, {ATTACKER}") == 429  # no escape


def test_two_trusted_proxies(citizen_alice):
    client = server(2)
    for _ in range(5):
        login(client, "wrong", remote=PROXY, forwarded=f"{VICTIM}, {ATTACKER}, 10.0.0.2")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_registrations_are_counted_per_forwarded_client(db, settings):
    settings.GOVFLOW_REGISTER_RATE = 2
    client = server(1)

    def register(forwarded: str) -> int:
        return client.post("/api/v1/auth/register/", data="{}", content_type="application/json",
                           headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": PROXY}).status_code

    assert [register(f"192.0.2.{n}, {ATTACKER}") for n in range(3)] == [400, 400, 429]
    assert register(VICTIM) == 400  # another client behind the same proxy still gets in
