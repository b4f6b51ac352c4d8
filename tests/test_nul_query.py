"""A NUL character in a query string or a token is a 400/401, never a 500 (PostgreSQL refuses NUL).

Runs on both databases; on PostgreSQL each of these answered 500 before (DataError).
"""
from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", [
    "/admin/notifications/outboxmessage/?event=%00",
    "/admin/applications/timelineentry/?kind=%00",
    "/admin/autocomplete/?term=%00&app_label=accounts&model_name=membership&field_name=user",
    "/admin/accounts/user/?q=a%00b",
    "/?x%00=1",
])
def test_a_nul_in_the_query_string_is_a_400_before_any_view(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_under_the_api_it_is_a_json_400(demo_catalog):
    response = Client().get("/api/v1/one-things/?q=%00")

    assert response.status_code == 400
    assert response.json() == {"detail": "The query string holds a NUL character."}


def test_a_token_holding_a_nul_is_refused_with_401(db):
    response = Client().get("/api/v1/applications/", HTTP_AUTHORIZATION="Token abc\x00def")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
