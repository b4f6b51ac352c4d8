"""The HTTP benchmark's accounts: their tokens are knox tokens that authenticate."""
from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from govflow.bench.http import Pool

pytestmark = pytest.mark.django_db


def test_every_account_of_the_pool_has_a_working_token_stored_only_as_a_digest(demo_catalog):
    pool = Pool.create(1)

    accounts = [*pool.readers, *pool.submitters, *pool.clerks]
    assert set(pool.tokens) == {u.pk for u in accounts}
    assert AuthToken.objects.filter(user__in=accounts).count() == len(accounts)
    assert not AuthToken.objects.filter(digest__in=pool.tokens.values()).exists()
    for user in (pool.readers[0], pool.clerks[0]):
        client = APIClient(HTTP_AUTHORIZATION=f"Token {pool.tokens[user.pk]}")
        assert client.get("/api/v1/applications/").status_code == 200
