"""A database from before jurisdictions migrates to GOVFLOW_DEFAULT_DIVISION: every department gets
one office there, members move into it, one things are offered there, applications are there and
their cases in its offices (catalog 0005, accounts 0008, applications 0007).

The database is migrated back to the state before them, filled with the historical models, and
migrated forward again (django's own MigrationExecutor), so these tests need a database of their own
transaction (``transaction=True``) and always leave it migrated to the latest state.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from govflow.accounts.models import Membership, User
from govflow.applications.models import Application, Case
from govflow.catalog.models import Department, Division, Office, OneThing

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("catalog", "0004_procedure_automatic_help"), ("accounts", "0007_rate_counter_and_cache_table"),
          ("applications", "0006_demo_checker_moved")]


@pytest.fixture
def before_jurisdictions() -> Iterator:
    """The historical models of the state before jurisdictions; migrated forward again afterwards,
    whatever the test did."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    try:
        yield executor.loader.project_state(BEFORE).apps
    finally:
        migrate_to_latest()


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def old_data(apps) -> dict:
    """What a running installation holds: two departments, a supervisor of one of them, a one
    thing with a published version, and a submitted application with a case."""
    department = apps.get_model("catalog", "Department")
    amr = department.objects.create(code="amr", name={"en": "Market Regulation", "zh-hans": "市场监督管理局"},
                                    webhook_url="https://amr.example.org/hook", webhook_secret="s" * 20)
    department.objects.create(code="tax", name={"en": "Taxation", "zh-hans": "税务局"})
    user = apps.get_model("accounts", "User")
    boss = user.objects.create(username="old-boss")
    citizen = user.objects.create(username="old-citizen")
    apps.get_model("accounts", "Membership").objects.create(user=boss, department=amr, role="supervisor")
    one_thing = apps.get_model("catalog", "OneThing").objects.create(code="startup", name={"en": "Start"},
                                                                     committed_days=3)
    version = apps.get_model("catalog", "OneThingVersion").objects.create(one_thing=one_thing, number=1,
                                                                          definition={}, digest="0" * 64)
    procedure = apps.get_model("catalog", "Procedure").objects.create(
        code="amr-licence", department=amr, name={"en": "Licence"}, statutory_days=15, committed_days=1)
    application = apps.get_model("applications", "Application").objects.create(
        applicant=citizen, one_thing=one_thing, version=version, number="GF-2026-000001", status="submitted")
    case = apps.get_model("applications", "Case").objects.create(
        application=application, procedure=procedure, procedure_code="amr-licence", department=amr,
        committed_days=1, status="queued")
    return {"boss": boss.pk, "citizen": citizen.pk, "application": application.pk, "case": case.pk}


@pytest.mark.parametrize(("default", "lineage"), [
    ("330106", ["330000", "330100", "330106"]),  # bundled: made with its ancestors
    ("110101", ["110101"]),  # not bundled: a root named by its code
])
def test_existing_data_moves_to_the_default_division(before_jurisdictions, settings, default, lineage):
    settings.GOVFLOW_DEFAULT_DIVISION = default
    made = old_data(before_jurisdictions)
    assert "catalog_office" not in connection.introspection.table_names()
    migrate_to_latest()

    division = Division.objects.get(code=default)
    assert division.lineage == lineage
    assert sorted(Division.objects.values_list("code", flat=True)) == sorted(lineage)
    offices = {o.department.code: o for o in Office.objects.select_related("department", "division")}
    assert sorted(offices) == ["amr", "tax"]  # one per department, the one without members too
    assert {o.division_id for o in offices.values()} == {division.pk}
    assert offices["amr"].code == f"amr-{default}"
    assert offices["amr"].webhook_url == "" and offices["amr"].webhook == ("https://amr.example.org/hook", "s" * 20)
    assert offices["amr"].name["en"].endswith(" Market Regulation") and offices["amr"].name["zh-hans"].endswith("市场监督管理局")

    membership = Membership.objects.get(user_id=made["boss"])
    assert (membership.office_id, membership.department_id, membership.role) == (
        offices["amr"].pk, offices["amr"].department_id, "supervisor")
    assert OneThing.objects.get(code="startup").division_id == division.pk
    assert Application.objects.get(pk=made["application"]).division_id == division.pk
    case = Case.objects.get(pk=made["case"])
    assert (case.office_id, case.department_id) == (offices["amr"].pk, offices["amr"].department_id)
    assert User.objects.get(pk=made["citizen"]).residence is None
    assert Department.objects.count() == 2


def test_an_empty_database_gets_no_division(before_jurisdictions):
    """A new installation: the catalog it imports brings its divisions."""
    migrate_to_latest()
    assert not Division.objects.exists() and not Office.objects.exists()
