"""Department system accounts (``dept-<code>-system``): made by the domain only, never squatted.

A department's back-office system acts as ``dept-<code>-system``, a clerk of that department
with no usable password. If anybody else could take that name first (by registering it, or an
administrator by typing it), the domain would hand their account the department's clerk role.
"""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from govflow.accounts.models import Membership, User
from govflow.accounts.services import department_system_user
from govflow.catalog.models import Department
from govflow.errors import InvalidState

from ..admin_forms import form_data
from ..admin_reason import give_reason
from ..factories import UserFactory, id_number_for

PASSWORD = "a-Long-unusual-passphrase-42"


def registration(username: str) -> dict:
    return {"username": username, "password": PASSWORD, "name": "林新", "id_number": id_number_for(777),
            "phone": "13912345678", "email": "x@example.org"}


@pytest.mark.parametrize("username", ["dept-amr-system", "DEPT-amr-system", "dept-anything"])
def test_nobody_registers_a_department_system_name_through_the_api(demo_catalog, username):
    response = APIClient().post("/api/v1/auth/register/", registration(username), format="json")

    assert response.status_code == 400
    assert response.json()["username"] == ["This username is reserved for department systems."]
    assert not User.objects.filter(username__iexact=username).exists()


def test_nor_through_the_portal(demo_catalog):
    body = registration("dept-amr-system")
    response = Client().post("/accounts/register/", {**body, "password1": PASSWORD, "password2": PASSWORD},
                             HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "This username is reserved for department systems." in response.content.decode()
    assert not User.objects.filter(username__iexact="dept-amr-system").exists()


def test_the_admin_does_not_make_one_by_hand_either(admin_client, demo_catalog):
    response = admin_client.post("/admin/accounts/user/add/", {
        "username": "dept-amr-system", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD,
        "name": "", "id_number": "", "phone": "", "email": ""})

    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="dept-amr-system").exists()


@pytest.mark.parametrize("username", ["dept-amr-system", "Dept-Amr-System"])
def test_an_account_of_that_name_that_can_log_in_never_gets_the_role(demo_catalog, username):
    squatter = UserFactory(username=username)  # e.g. made before the name was reserved
    amr = Department.objects.get(code="amr")

    with pytest.raises(InvalidState):
        department_system_user(department=amr)

    assert not Membership.objects.filter(user=squatter).exists()


def test_the_system_account_is_made_once_without_a_password_and_found_again(demo_catalog):
    amr = Department.objects.get(code="amr")

    xihu = amr.offices.get(division__code="330106")
    first = department_system_user(department=amr, office=xihu)
    again = department_system_user(department=amr, office=xihu)

    assert first.pk == again.pk and first.username == "dept-amr-system"
    assert not first.has_usable_password()
    assert list(Membership.objects.filter(user=first).values_list("office__code", "role")) == [("amr-330106", "clerk")]
    with pytest.raises(InvalidState):  # never a member of another department's office
        department_system_user(department=amr, office=Department.objects.get(code="tax").offices.first())


def test_the_admin_refuses_control_and_direction_characters_in_names(admin_client, demo_catalog):
    user = UserFactory(username="alice", name="Alice")
    give_reason(admin_client, User.objects.get(username="admin"))
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    data = form_data(page.content, "user_form")
    data["name"] = "Al\u202eice\x1b[31m"
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)

    user.refresh_from_db()
    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors
    assert user.name == "Alice"
