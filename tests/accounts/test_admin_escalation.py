"""The admin grants no privilege to a staff user who is not a superuser.

A staff user holding ``view_user`` + ``change_user`` (the user-support desk) edits citizens'
profiles and resets citizens' passwords. Only a superuser grants staff, superuser, groups,
permissions or department roles, or changes another staff member's or a superuser's
credentials; nobody changes their own privileges. Every test goes through the real admin.
"""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from govflow.accounts.models import Membership, Role, User
from govflow.catalog.models import Department

from ..admin_forms import form_data
from ..admin_reason import give_reason
from ..factories import CitizenFactory, MembershipFactory, UserFactory, home_office

pytestmark = pytest.mark.django_db

PASSWORD = "govflow-test-pw"
NEW_PASSWORD = "a-Fresh-passphrase-73"


def perms(*codenames: str) -> list[Permission]:
    return [Permission.objects.get(codename=c) for c in codenames]


def staff_with(*codenames: str, username: str = "desk") -> User:
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.set(perms(*codenames))
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    give_reason(client, user)
    return client


def change_url(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def edited(client: Client, user: User, **changes) -> tuple[int, dict]:
    """GET the change form as a browser would, change ``changes`` and POST it back."""
    page = client.get(change_url(user))
    assert page.status_code == 200
    data = form_data(page.content, "user_form")
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(change_url(user), data).status_code, data


@pytest.fixture
def desk():
    return staff_with("view_user", "change_user")


@pytest.fixture
def root():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


# -- the flags, groups and permissions --------------------------------------------------------------

def test_a_staff_user_cannot_make_themselves_superuser(desk):
    status, _ = edited(client_for(desk), desk, is_superuser=["on"], name=["前台"])

    desk.refresh_from_db()
    assert status == 302  # the profile is saved ...
    assert desk.name == "前台"
    assert not desk.is_superuser  # ... the flag is not: read-only for them


def test_a_staff_user_cannot_grant_themselves_groups_or_permissions(desk):
    admins = Group.objects.create(name="admins")
    admins.permissions.set(Permission.objects.all())
    status, _ = edited(client_for(desk), desk, groups=[str(admins.pk)],
                       user_permissions=[str(p.pk) for p in Permission.objects.all()])

    assert status == 302
    assert not desk.groups.exists()
    assert set(desk.user_permissions.values_list("codename", flat=True)) == {"view_user", "change_user"}
    assert not User.objects.get(pk=desk.pk).has_perm("accounts.delete_user")


def test_a_staff_user_cannot_make_a_citizen_staff(desk):
    citizen = CitizenFactory(username="alice")
    status, _ = edited(client_for(desk), citizen, is_staff=["on"], is_superuser=["on"])

    citizen.refresh_from_db()
    assert status == 302
    assert not citizen.is_staff and not citizen.is_superuser


def test_the_flags_are_shown_read_only_to_them(desk):
    page = client_for(desk).get(change_url(desk))
    data = form_data(page.content, "user_form")
    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & set(data)


def test_a_superuser_still_grants_them(root, desk):
    status, _ = edited(client_for(root), desk, is_superuser=["on"])

    desk.refresh_from_db()
    assert status == 302 and desk.is_superuser


# -- other staff members' and superusers' credentials ---------------------------------------------

def test_a_staff_user_cannot_reset_a_superusers_password(desk, root):
    client = client_for(desk)

    response = client.post(f"/admin/accounts/user/{root.pk}/password/",
                           {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    root.refresh_from_db()
    assert response.status_code in (403, 404)
    assert root.check_password(PASSWORD)
    # Superusers are not even listed, nor can their page be opened.
    assert "root" not in client.get("/admin/accounts/user/").content.decode()
    assert client.get(change_url(root)).status_code in (302, 404)


def test_a_staff_user_cannot_change_another_staff_member(desk):
    other = staff_with("view_user", username="colleague")
    client = client_for(desk)

    password = client.post(f"/admin/accounts/user/{other.pk}/password/",
                           {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    page = client.get(change_url(other))
    posted = client.post(change_url(other), {**form_data(page.content, "user_form"),
                                             "username": "renamed", "email": "me@example.org"})

    other.refresh_from_db()
    assert password.status_code == 403
    assert page.status_code == 200 and posted.status_code == 403  # view only
    assert other.check_password(PASSWORD) and other.username == "colleague"


def test_a_staff_user_cannot_set_their_own_password_without_the_old_one(desk):
    client = client_for(desk)
    response = client.post(f"/admin/accounts/user/{desk.pk}/password/",
                           {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    desk.refresh_from_db()
    assert response.status_code == 403
    assert desk.check_password(PASSWORD)
    # The form that asks for the old password is theirs to use.
    assert client.post("/admin/password_change/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                                    "new_password2": NEW_PASSWORD}).status_code == 302


def test_the_desk_still_resets_a_citizens_password(desk):
    citizen = CitizenFactory(username="alice")

    response = client_for(desk).post(f"/admin/accounts/user/{citizen.pk}/password/", {
        "usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    citizen.refresh_from_db()
    assert response.status_code == 302
    assert citizen.check_password(NEW_PASSWORD)


def test_a_staff_user_cannot_delete_another_staff_member(db):
    desk = staff_with("view_user", "change_user", "delete_user")
    other = staff_with(username="colleague")

    client = client_for(desk)

    response = client.post(f"/admin/accounts/user/{other.pk}/delete/", {"post": "yes"})
    bulk = client.post("/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [other.pk],
                                                 "post": "yes"})

    assert response.status_code == 403
    assert bulk.status_code in (302, 403)
    assert User.objects.filter(pk=other.pk).exists()


# -- groups -----------------------------------------------------------------------------------------

def test_a_staff_user_cannot_add_permissions_to_their_own_group(db):
    helpers = Group.objects.create(name="helpers")
    helpers.permissions.set(perms("view_group", "change_group"))
    desk = UserFactory(username="desk", is_staff=True)
    desk.groups.add(helpers)
    client = client_for(desk)

    page = client.get(f"/admin/auth/group/{helpers.pk}/change/")
    response = client.post(f"/admin/auth/group/{helpers.pk}/change/", {
        "name": "helpers", "permissions": [str(p.pk) for p in Permission.objects.all()]})

    assert page.status_code == 200  # they may look
    assert response.status_code == 403
    assert set(helpers.permissions.values_list("codename", flat=True)) == {"view_group", "change_group"}


def test_a_staff_user_cannot_create_a_group_either(db):
    desk = staff_with("add_group", "view_group")
    response = client_for(desk).post("/admin/auth/group/add/", {
        "name": "mine", "permissions": [str(p.pk) for p in Permission.objects.all()]})

    assert response.status_code == 403
    assert not Group.objects.exists()


# -- department memberships -----------------------------------------------------------------------------

@pytest.fixture
def roles_desk(demo_catalog):
    return staff_with("view_user", "change_user", "view_membership", "add_membership", "change_membership",
                      "delete_membership")


def test_a_staff_user_cannot_make_themselves_supervisor(roles_desk):
    amr = Department.objects.get(code="amr")

    response = client_for(roles_desk).post("/admin/accounts/membership/add/", {
        "user": str(roles_desk.pk), "office": str(home_office(amr).pk), "role": Role.SUPERVISOR})

    assert response.status_code == 403
    assert not Membership.objects.filter(user=roles_desk).exists()


def test_a_staff_user_cannot_change_their_own_role(roles_desk):
    amr = Department.objects.get(code="amr")
    mine = MembershipFactory(user=roles_desk, department=amr, role=Role.CLERK)

    response = client_for(roles_desk).post(f"/admin/accounts/membership/{mine.pk}/change/", {
        "user": str(roles_desk.pk), "office": str(home_office(amr).pk), "role": Role.SUPERVISOR})

    mine.refresh_from_db()
    assert response.status_code == 403
    assert mine.role == Role.CLERK


def test_a_staff_user_cannot_give_themselves_a_role_on_their_own_user_page(roles_desk):
    amr = Department.objects.get(code="amr")
    client = client_for(roles_desk)
    data = form_data(client.get(change_url(roles_desk)).content, "user_form")
    data.update({"memberships-TOTAL_FORMS": ["1"], "memberships-0-office": [str(home_office(amr).pk)],
                 "memberships-0-role": [Role.SUPERVISOR], "memberships-0-user": [str(roles_desk.pk)]})

    client.post(change_url(roles_desk), data)

    assert not Membership.objects.filter(user=roles_desk).exists()


def test_only_a_superuser_gives_department_roles(roles_desk, root):
    citizen = UserFactory(username="new-clerk")
    amr = Department.objects.get(code="amr")
    form = {"user": str(citizen.pk), "office": str(home_office(amr).pk), "role": Role.CLERK}

    refused = client_for(roles_desk).post("/admin/accounts/membership/add/", form)
    assert refused.status_code == 403
    assert not Membership.objects.filter(user=citizen).exists()

    assert client_for(root).post("/admin/accounts/membership/add/", form).status_code == 302
    assert Membership.objects.filter(user=citizen, department=amr, role=Role.CLERK).exists()


def test_a_new_account_made_by_the_desk_gets_no_role_from_the_add_page(demo_catalog):
    desk = staff_with("view_user", "add_user", "change_user", "view_membership", "add_membership")
    amr = Department.objects.get(code="amr")

    client_for(desk).post("/admin/accounts/user/add/", {
        "username": "sock", "usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "name": "Sock", "id_number": "", "phone": "", "email": "",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-office": str(home_office(amr).pk), "memberships-0-role": Role.SUPERVISOR})

    assert not Membership.objects.filter(user__username="sock").exists()


@pytest.mark.parametrize("role", [Role.CLERK, Role.SUPERVISOR])
def test_the_desk_cannot_take_over_a_clerk_or_supervisor_account(desk, demo_catalog, role):
    member = UserFactory(username="member")
    MembershipFactory(user=member, department=Department.objects.get(code="amr"), role=role)
    client = client_for(desk)

    password = client.post(f"/admin/accounts/user/{member.pk}/password/",
                           {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    page = client.get(change_url(member))
    posted = client.post(change_url(member), {**form_data(page.content, "user_form"), "email": "me@example.org"})

    member.refresh_from_db()
    assert password.status_code == 403
    assert page.status_code == 200 and posted.status_code == 403  # view only
    assert member.check_password(PASSWORD) and member.email != "me@example.org"


def test_a_department_administrator_cannot_add_members_on_the_department_page(demo_catalog):
    admin = staff_with("view_department", "change_department", "view_membership", "add_membership",
                       "change_membership", username="department-admin")
    amr = Department.objects.get(code="amr")
    client = client_for(admin)
    data = form_data(client.get(f"/admin/catalog/department/{amr.pk}/change/").content, "department_form")
    data.update({"memberships-TOTAL_FORMS": ["1"], "memberships-0-user": [str(admin.pk)],
                 "memberships-0-role": [Role.SUPERVISOR], "memberships-0-office": [str(home_office(amr).pk)]})

    client.post(f"/admin/catalog/department/{amr.pk}/change/", data)

    assert not Membership.objects.filter(user=admin).exists()
