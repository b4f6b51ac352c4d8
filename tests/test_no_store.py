"""Cache-Control: no-store on every response that may carry personal data, and only there."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.fixture
def signed_in(citizen_alice):
    client = Client()
    client.force_login(citizen_alice)
    return client


@pytest.mark.parametrize("path", ["/", "/applications/", "/accounts/profile/", "/one-things/newborn/",
                                  "/api/v1/applications/", "/api/v1/docs/", "/no-such-page/"])
def test_every_page_for_a_signed_in_citizen_is_no_store(signed_in, demo_catalog, path):
    response = signed_in.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    assert no_store(response), (path, response.get("Cache-Control"))


def test_workbench_and_admin_pages_are_no_store(clerks, demo_catalog):
    clerk = Client()
    clerk.force_login(clerks["amr"])
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    for client, path in [(clerk, "/workbench/"), (clerk, "/workbench/mine/"), (admin, "/admin/"),
                         (admin, "/admin/catalog/department/")]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert no_store(response), (path, response.get("Cache-Control"))


def test_api_responses_with_a_token_and_api_errors_are_no_store(citizen_alice, demo_catalog):
    token = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json")
    api = APIClient()
    api.force_authenticate(citizen_alice)

    for response in (api.get("/api/v1/applications/"), APIClient().get("/api/v1/applications/"),
                     APIClient().get("/api/v1/no-such/"), token, APIClient().get("/api/v1/stats/")):
        assert no_store(response), (response.status_code, response.get("Cache-Control"))


def test_a_login_that_starts_a_session_is_no_store(citizen_alice):
    citizen_alice.set_password("a-good-passphrase-42")
    citizen_alice.save()
    response = Client().post("/accounts/login/", {"username": "alice", "password": "a-good-passphrase-42"})
    assert response.status_code == 302
    assert no_store(response)


def test_the_public_catalog_and_anonymous_pages_stay_cacheable(demo_catalog):
    anonymous = Client()
    for path in ["/api/v1/one-things/", "/api/v1/one-things/newborn/", "/", "/one-things/newborn/"]:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.get("Cache-Control", ""), path
