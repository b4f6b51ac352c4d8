"""The links in notifications point where people reach the site: GOVFLOW_SITE_URL when it is set,
else the address of the request that caused the notification, never a host and port of our own."""
from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from govflow.notifications.models import OutboxMessage
from tests.factories import CitizenFactory
from tests.stories import draft, submitted

HOST = "gov.example.test:8443"


@pytest.fixture
def on_another_host(db, settings):
    settings.ALLOWED_HOSTS = ["gov.example.test", "127.0.0.1", "localhost", "testserver"]
    settings.GOVFLOW_SITE_URL = ""


def citizen_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST=HOST)
    client.force_login(user)
    return client


def submit_through_the_portal(client: Client, application, capture) -> None:
    with capture(execute=True):
        response = client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "k"}, secure=True)
    assert response.status_code == 302, response.content.decode()[:500]


def test_without_a_site_url_the_mail_links_to_the_address_the_citizen_used(
        demo_catalog, on_another_host, django_capture_on_commit_callbacks):
    citizen = CitizenFactory(username="host-citizen", email="host@example.org")
    application = draft(citizen, "business-startup")
    submit_through_the_portal(citizen_client(citizen), application, django_capture_on_commit_callbacks)

    [message] = [m for m in mail.outbox if m.to == ["host@example.org"]]
    assert f"https://{HOST}/applications/{application.pk}/" in message.body
    assert "127.0.0.1" not in message.body and ":8000" not in message.body
    assert OutboxMessage.objects.get(event="application.submitted").site_url == f"https://{HOST}"


def test_a_configured_site_url_wins_over_the_request_address(
        demo_catalog, on_another_host, settings, django_capture_on_commit_callbacks):
    settings.GOVFLOW_SITE_URL = "https://zwfw.example.gov.cn/"
    citizen = CitizenFactory(username="site-citizen", email="site@example.org")
    application = draft(citizen, "business-startup")
    submit_through_the_portal(citizen_client(citizen), application, django_capture_on_commit_callbacks)

    [message] = [m for m in mail.outbox if m.to == ["site@example.org"]]
    assert f"https://zwfw.example.gov.cn/applications/{application.pk}/" in message.body
    assert HOST not in message.body


def test_a_password_reset_link_goes_to_the_host_it_was_asked_on(on_another_host, django_capture_on_commit_callbacks):
    citizen = CitizenFactory(username="reset-host", email="reset@example.org")
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST=HOST)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password-forgot"), {"identifier": citizen.username, "channel": "email"})
    [message] = mail.outbox
    assert re.search(rf"http://{re.escape(HOST)}/accounts/password/reset/\S+/\S+/", message.body), message.body


def test_a_host_that_is_not_allowed_is_refused_and_never_linked(on_another_host, django_capture_on_commit_callbacks):
    citizen = CitizenFactory(username="evil-host", email="evil@example.org")
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="attacker.example.net")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password-forgot"), {"identifier": citizen.username, "channel": "email"})
    assert response.status_code == 400
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


def test_outside_a_request_without_a_site_url_the_links_are_site_relative(
        demo_catalog, settings, django_capture_on_commit_callbacks):
    settings.GOVFLOW_SITE_URL = ""
    citizen = CitizenFactory(username="no-request", email="norequest@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(citizen, "business-startup")
    [message] = [m for m in mail.outbox if m.to == ["norequest@example.org"]]
    assert re.search(rf"(?m)[\s：:]/applications/{application.pk}/$", message.body), message.body
    assert "http" not in message.body
