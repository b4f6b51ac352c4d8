"""Staff sessions end after GOVFLOW_STAFF_IDLE_MINUTES without a request; citizens' do not."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

# A Monday morning: the workbench's own date rules do not get in the way.
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_clerk_is_signed_out_of_the_workbench_after_30_idle_minutes(clerk_bob_amr):
    queue = reverse("workbench:queue")
    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(clerk_bob_amr)
        assert client.get(queue).status_code == 200
        clock.move_to(T0 + timedelta(minutes=29))
        assert client.get(queue).status_code == 200  # activity: the idle time starts again
        clock.move_to(T0 + timedelta(minutes=58))
        assert client.get(queue).status_code == 200
        clock.move_to(T0 + timedelta(minutes=58 + 31))
        response = client.get(queue)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        # Signed out for good, not just for one request.
        assert "_auth_user_id" not in client.session
        response = client.get(response["Location"])
        assert "You were signed out after 30 minutes without activity" in response.content.decode()


@pytest.mark.django_db
def test_admin_user_is_signed_out_of_the_admin_after_idle_time(db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(admin)
        assert client.get("/admin/").status_code == 200
        clock.move_to(T0 + timedelta(minutes=30))
        assert client.get("/admin/").status_code == 200
        clock.move_to(T0 + timedelta(minutes=61))
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_idle_limit_is_a_setting(settings, supervisor_sue_amr):
    settings.GOVFLOW_STAFF_IDLE_MINUTES = 5
    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(supervisor_sue_amr)
        assert client.get(reverse("workbench:queue")).status_code == 200
        clock.move_to(T0 + timedelta(minutes=6))
        assert client.get(reverse("workbench:queue")).status_code == 302


@pytest.mark.django_db
def test_citizen_keeps_the_normal_session(citizen_alice):
    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(citizen_alice)
        assert client.get(reverse("applications")).status_code == 200
        clock.move_to(T0 + timedelta(hours=5))
        assert client.get(reverse("applications")).status_code == 200
        clock.move_to(T0 + timedelta(days=3))
        assert client.get(reverse("applications")).status_code == 200


@pytest.mark.django_db
def test_session_from_before_the_middleware_is_classified_and_then_timed_out(clerk_bob_amr):
    from govflow.accounts.sessions import LAST_SEEN

    with time_machine.travel(T0, tick=False) as clock:
        client = _signed_in(clerk_bob_amr)
        session = client.session
        del session[LAST_SEEN]
        session.save()
        assert client.get(reverse("workbench:queue")).status_code == 200
        clock.move_to(T0 + timedelta(minutes=31))
        assert client.get(reverse("workbench:queue")).status_code == 302


@pytest.mark.django_db
def test_an_api_token_sign_in_is_not_marked_as_a_staff_session(clerk_bob_amr):
    from django.contrib.sessions.backends.db import SessionStore

    from govflow.accounts.sessions import LAST_SEEN

    response = Client().post("/api/v1/auth/token/", {"username": clerk_bob_amr.username,
                                                     "password": "govflow-test-pw"},
                             content_type="application/json")
    assert response.status_code == 200, response.content
    if "sessionid" in response.cookies:
        assert LAST_SEEN not in SessionStore(session_key=response.cookies["sessionid"].value).load()
