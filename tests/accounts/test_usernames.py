"""Usernames are unique whatever their letter case, in the database; login stays case-sensitive."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from govflow.accounts import services
from govflow.accounts.models import User
from govflow.errors import InvalidInput

from ..admin_forms import form_data
from ..admin_reason import give_reason
from ..factories import CitizenFactory, UserFactory, id_number_for
from ..threads import run_together

PASSWORD = "a-Long-unusual-passphrase-42"


def register(username: str, serial: int):
    return services.citizen_register(username=username, password=PASSWORD, name="林新",
                                     id_number=id_number_for(serial), phone="13912345678")


@pytest.mark.django_db
def test_the_database_refuses_a_username_differing_only_in_case():
    UserFactory(username="CaseRace0")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="caserace0")


@pytest.mark.django_db
def test_registration_reports_a_case_variant_as_a_taken_username():
    register("CaseRace0", 1)
    with pytest.raises(InvalidInput) as caught:
        register("caserace0", 2)
    assert list(caught.value.errors) == ["username"]
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_login_stays_case_sensitive(client):
    """The lockout counts per exact username: a case-insensitive login would give each spelling
    of a name its own allowance of guesses."""
    CitizenFactory(username="Alice")
    for username, expected in (("alice", 400), ("Alice", 200)):
        response = client.post("/api/v1/auth/token/", {"username": username, "password": "govflow-test-pw"},
                               content_type="application/json")
        assert response.status_code == expected


@pytest.mark.django_db
def test_the_admin_reports_a_case_variant_instead_of_failing(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    CitizenFactory(username="Alice")
    bob = CitizenFactory(username="bob")
    client.force_login(admin)
    give_reason(client, admin)
    client.cookies["django_language"] = "en"

    add = client.post(reverse("admin:accounts_user_add"),
                      {"username": "ALICE", "usable_password": "false", "name": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("admin:accounts_user_change", args=[bob.pk]), HTTP_ACCEPT_LANGUAGE="en")
    data = dict(form_data(page.content.decode(), "user_form"))
    data["username"] = "alice"
    change = client.post(reverse("admin:accounts_user_change", args=[bob.pk]), data, HTTP_ACCEPT_LANGUAGE="en")

    assert add.status_code == change.status_code == 200
    assert "already exists" in add.content.decode()
    assert "This username is taken. Choose another." in change.content.decode()
    assert User.objects.get(pk=bob.pk).username == "bob"
    assert User.objects.filter(username__iexact="alice").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_two_simultaneous_registrations_differing_in_case_make_one_account():
    def attempt(username: str, serial: int):
        try:
            register(username, serial)
        except InvalidInput as exc:
            return sorted(exc.errors)
        return "created"

    results = run_together([lambda: attempt("CaseRace0", 11), lambda: attempt("caserace0", 12)])

    assert sorted(results, key=str) == [["username"], "created"]
    assert User.objects.filter(username__iexact="caserace0").count() == 1
