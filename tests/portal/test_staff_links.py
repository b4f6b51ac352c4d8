"""Staff links: clerks, supervisors and counter clerks are sent to their workbench, never to the
admin's sign-in; the administration link is only for whom the admin site admits."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from govflow.accounts.models import Role
from govflow.catalog.models import Department
from tests.factories import MembershipFactory, UserFactory

from .conftest import client_for


def footer(response) -> str:
    return re.search(r'<footer class="site">.*?</footer>', response.content.decode(), re.S).group(0)


def member(username: str, role: str, **extra):
    user = UserFactory(username=username, **extra)
    MembershipFactory(user=user, department=Department.objects.get(code="amr"), role=role)
    return user


@pytest.mark.parametrize("role", [Role.CLERK, Role.SUPERVISOR, Role.COUNTER])
def test_office_staff_get_their_workbench_and_no_admin_link(demo_catalog, role):
    text = footer(client_for(member(f"staff-{role}", role)).get("/"))
    assert 'href="/workbench/"' in text
    assert 'href="/admin/"' not in text


def test_a_citizen_gets_no_staff_link(alice_client):
    text = footer(alice_client.get("/"))
    assert 'href="/workbench/"' not in text and 'href="/admin/"' not in text
    assert "Staff:" not in text


def test_a_visitor_gets_the_workbench_which_asks_them_to_sign_in(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    text = footer(client.get("/"))
    assert 'href="/workbench/"' in text and 'href="/admin/"' not in text
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/workbench/")


def test_an_administrator_gets_the_admin_link(db):
    admin = UserFactory(username="site-admin", is_staff=True)
    text = footer(client_for(admin).get("/"))
    assert 'href="/admin/"' in text and 'href="/workbench/"' not in text
    assert client_for(admin).get("/admin/").status_code == 200


def test_a_supervisor_with_staff_status_gets_both(demo_catalog):
    user = member("super-staff", Role.SUPERVISOR, is_staff=True)
    text = footer(client_for(user).get("/"))
    assert 'href="/workbench/"' in text and 'href="/admin/"' in text


def test_the_workbench_links_the_admin_only_for_whom_the_admin_admits(demo_catalog):
    clerk = member("plain-clerk", Role.CLERK)
    page = client_for(clerk).get("/workbench/")
    assert page.status_code == 200 and 'href="/admin/"' not in page.content.decode()
    staff = member("staff-clerk", Role.CLERK, is_staff=True)
    page = client_for(staff).get("/workbench/")
    assert page.status_code == 200 and 'href="/admin/"' in page.content.decode()
