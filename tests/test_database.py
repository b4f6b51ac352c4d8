"""PostgreSQL runs the pages' repeated queries as prepared statements (settings: server-side
binding with psycopg's prepare threshold), and every lookup still answers right through them."""
import pytest
from django.db import connection

from govflow.catalog.models import Department

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")]


def _prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [sql for (sql,) in cursor.fetchall() if fragment in sql]


def test_a_query_run_often_on_a_connection_is_prepared_once_and_keeps_answering_right():
    first = Department.objects.create(code="prep-a", name={"en": "A"})
    second = Department.objects.create(code="prep-b", name={"en": "B"})
    assert not _prepared('"catalog_department"."code" = $1')

    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    found = [Department.objects.get(code=code).pk for code in ["prep-a", "prep-b"] * threshold]

    assert found == [first.pk, second.pk] * threshold  # the same statement, other parameters, right rows
    assert len(_prepared('"catalog_department"."code" = $1')) == 1
