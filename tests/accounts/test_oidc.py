"""Sign-in through the unified identity provider, against a real OpenID Connect provider.

The provider is oidc-provider-mock (authlib's authorization server in a Flask app) served over
HTTP on a thread of this process: govflow's client is registered with it (a client secret, exact
redirect URI), the Django test client follows the login redirect to the provider's authorization
endpoint, the provider's sign-in form is posted over real HTTP, and the callback with the code
makes mozilla-django-oidc exchange it at the token endpoint (client authenticated), check the ID
token's RS256 signature against the provider's JWKS and its nonce, and read the userinfo. Nothing
of the client library is replaced.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import translation
from oidc_provider_mock import run_server_in_thread

from govflow.accounts.models import IdentityLink, Membership, User
from govflow.parties.models import Organisation, OrganisationRole, OrganisationRoleKind
from govflow.parties.services import person_for_counter

from ..factories import CitizenFactory, MembershipFactory, id_number_for

ROOT = Path(__file__).resolve().parent.parent.parent
CALLBACK = "http://testserver/accounts/oidc/callback/"
USCC = "91330106MA2B7K5L1F"  # Xihu, the demo company's code


@dataclass
class Provider:
    base: str
    config: dict
    client_id: str
    client_secret: str

    def set_user(self, sub: str, claims: dict) -> None:
        requests.put(f"{self.base}/users/{sub}", json=claims, timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def provider():
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider listens on plain http://localhost
    try:
        with run_server_in_thread(require_client_registration=True, require_nonce=True) as server:
            base = f"http://localhost:{server.server_port}"
            config = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
            client = requests.post(config["registration_endpoint"], timeout=10, json={
                "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_basic"})
            client.raise_for_status()
            body = client.json()
            yield Provider(base=base, config=config, client_id=body["client_id"], client_secret=body["client_secret"])
    finally:
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


@pytest.fixture
def oidc(settings, provider, db) -> Provider:
    """govflow configured for the provider, as the GOVFLOW_OIDC_* variables would (settings.py)."""
    settings.GOVFLOW_OIDC_ENABLED = True
    settings.GOVFLOW_OIDC_ISSUER = provider.config["issuer"]
    settings.GOVFLOW_OIDC_PROVIDER_NAME = "浙里办"
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = provider.config["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = provider.config["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = provider.config["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = provider.config["jwks_uri"]
    settings.OIDC_TOKEN_USE_BASIC_AUTH = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "govflow.portal.oidc.OIDCBackend"]
    return provider


def person_claims(serial: int, **extra) -> dict:
    return {"id_number": id_number_for(serial), "name": "周云", "phone_number": "+86 139 0000 1111",
            "email": "zhou.yun@example.org", "email_verified": True, **extra}


def sign_in(client: Client, provider: Provider, sub: str, claims: dict | None = None, *, next_url: str = ""):
    """The whole authorization-code flow; returns the callback's response."""
    if claims is not None:
        provider.set_user(sub, claims)
    start = client.get("/accounts/oidc/authenticate/" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert start.status_code == 302
    location = start["Location"]
    assert location.startswith(provider.config["authorization_endpoint"] + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["redirect_uri"] == [CALLBACK] and query["code_challenge_method"] == ["S256"] and query["nonce"]
    answer = requests.post(location, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(back.path, parse_qs(back.query))


def signed_in_user(client: Client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def test_a_new_person_gets_an_account_from_the_providers_claims(oidc):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in(client, oidc, "sub-new", person_claims(101), next_url="/applications/")
    assert response.status_code == 302 and response["Location"] == "/applications/"
    user = signed_in_user(client)
    assert user.id_number == id_number_for(101)
    assert (user.name, user.phone, user.email) == ("周云", "13900001111", "zhou.yun@example.org")
    assert not user.has_usable_password() and not user.profile_only and not user.is_staff
    assert id_number_for(101) not in user.username
    assert IdentityLink.objects.filter(user=user, issuer=oidc.config["issuer"], subject="sub-new").exists()
    assert client.get("/applications/").status_code == 200


def test_an_existing_local_account_is_linked_by_its_id_number_not_duplicated(oidc):
    local = CitizenFactory(id_number=id_number_for(102), name="周 云", phone="13800000000", email="")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in(client, oidc, "sub-local", person_claims(102))
    assert response.status_code == 302
    assert signed_in_user(client) == local
    assert User.objects.filter(id_number=id_number_for(102)).count() == 1
    local.refresh_from_db()
    # The real name follows the provider; the person's own phone stays; a missing email is filled.
    assert (local.name, local.phone, local.email) == ("周云", "13800000000", "zhou.yun@example.org")
    assert local.has_usable_password()  # the demo's password sign-in keeps working
    assert list(IdentityLink.objects.filter(user=local).values_list("subject", flat=True)) == ["sub-local"]


def test_a_second_sign_in_finds_the_account_by_the_providers_subject(oidc):
    first = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(first, oidc, "sub-again", person_claims(103))
    user = signed_in_user(first)
    # The provider changes the name it knows; the account is found by sub all the same.
    second = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in(second, oidc, "sub-again", person_claims(103, name="周云云"))
    assert response.status_code == 302
    assert signed_in_user(second) == user
    assert User.objects.filter(id_number=id_number_for(103)).count() == 1
    assert IdentityLink.objects.filter(user=user).count() == 1
    user.refresh_from_db()
    assert user.name == "周云云"


def test_a_counter_profile_becomes_the_persons_own_account(oidc):
    profile = person_for_counter(id_number=id_number_for(104), name="周云", phone="")
    assert profile.profile_only
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, oidc, "sub-profile", person_claims(104))
    assert signed_in_user(client) == profile
    profile.refresh_from_db()
    assert not profile.profile_only and profile.phone == "13900001111"


@pytest.mark.parametrize("claims", [
    {"name": "周云"},  # no id number at all
    {"name": "周云", "id_number": id_number_for(105)[:-1] + ("0" if id_number_for(105)[-1] != "0" else "1")},
    {"name": "周云", "id_number": 330106199001011050},  # not text
])
def test_a_person_without_a_valid_id_number_is_refused_and_nothing_is_made(oidc, claims):
    users, links = User.objects.count(), IdentityLink.objects.count()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        response = sign_in(client, oidc, "sub-no-id", claims)
    assert response.status_code == 403
    assert "did not confirm a valid resident ID number" in response.content.decode()
    assert signed_in_user(client) is None
    assert (User.objects.count(), IdentityLink.objects.count()) == (users, links)


def test_a_staff_account_never_signs_in_through_the_provider(oidc, demo_catalog):
    from govflow.catalog.models import Department

    clerk = CitizenFactory(id_number=id_number_for(106))
    MembershipFactory(user=clerk, department=Department.objects.get(code="amr"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        response = sign_in(client, oidc, "sub-staff", person_claims(106))
    assert response.status_code == 403 and "Staff sign in with their username" in response.content.decode()
    assert signed_in_user(client) is None and not IdentityLink.objects.filter(user=clerk).exists()
    assert Membership.objects.filter(user=clerk).exists()


def test_a_company_sign_in_registers_the_organisation_and_its_legal_representative(oidc, demo_catalog):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    claims = person_claims(107, uscc=USCC, organisation_name="杭州示例科技有限公司", legal_representative=True)
    assert sign_in(client, oidc, "sub-company", claims).status_code == 302
    user = signed_in_user(client)
    organisation = Organisation.objects.get(uscc=USCC)
    assert organisation.verified and organisation.name == "杭州示例科技有限公司"
    assert organisation.division.code == "330106" and organisation.legal_representative_name == "周云"
    role = OrganisationRole.objects.get(organisation=organisation, revoked_at__isnull=True)
    assert (role.user, role.role, role.granted_by) == (user, OrganisationRoleKind.LEGAL_REPRESENTATIVE, None)
    # Signing in again changes nothing.
    assert sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), oidc, "sub-company").status_code == 302
    assert OrganisationRole.objects.filter(organisation=organisation).count() == 1
    assert Organisation.objects.filter(uscc=USCC).count() == 1


def test_a_company_sign_in_links_a_known_organisation_and_records_a_new_legal_representative(oidc, demo_catalog):
    from govflow.parties.services import organisation_register

    old_rep = CitizenFactory()
    organisation = organisation_register(actor=None, name="示例科技", uscc=USCC, legal_representative_name=old_rep.name,
                                         division="330106", legal_representative=old_rep)
    assert not organisation.verified
    agent = CitizenFactory(id_number=id_number_for(108))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    # An agent's sign-in (not the legal representative): the organisation is verified, no role is given.
    agent_claims = person_claims(108, uscc=USCC.lower(), organisation_name="杭州示例科技有限公司",
                                 legal_representative=False, legal_representative_name="周云")
    assert sign_in(client, oidc, "sub-agent", agent_claims).status_code == 302
    assert signed_in_user(client) == agent
    organisation.refresh_from_db()
    assert organisation.verified and organisation.name == "杭州示例科技有限公司"
    assert not OrganisationRole.objects.filter(user=agent).exists()
    # The new legal representative signs in: the old one's role ends, recorded, and the new one stands.
    assert sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), oidc, "sub-new-rep", person_claims(109, uscc=USCC, legal_representative="true")
                   ).status_code == 302
    new_rep = User.objects.get(id_number=id_number_for(109))
    old = OrganisationRole.objects.get(user=old_rep)
    assert old.revoked_at is not None and old.revoked_by is None
    standing = OrganisationRole.objects.get(organisation=organisation, revoked_at__isnull=True)
    assert (standing.user, standing.role) == (new_rep, OrganisationRoleKind.LEGAL_REPRESENTATIVE)
    assert Organisation.objects.filter(uscc=USCC).count() == 1


def test_a_company_sign_in_with_a_bad_code_is_refused_and_nothing_is_made(oidc):
    users = User.objects.count()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    claims = person_claims(110, uscc=USCC[:-1] + "X", organisation_name="坏公司", legal_representative=True)
    with translation.override("en"):
        response = sign_in(client, oidc, "sub-bad-uscc", claims)
    assert response.status_code == 403 and "not valid" in response.content.decode()
    assert User.objects.count() == users and not Organisation.objects.exists()
    assert not IdentityLink.objects.filter(subject="sub-bad-uscc").exists()


def test_an_unknown_company_without_its_details_is_refused_and_nothing_is_made(oidc, demo_catalog):
    users = User.objects.count()
    with translation.override("en"):
        response = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), oidc, "sub-no-org-name", person_claims(111, uscc=USCC, legal_representative=True))
    assert response.status_code == 403 and "company" in response.content.decode()
    assert User.objects.count() == users and not Organisation.objects.exists()


def test_a_callback_with_a_forged_code_signs_nobody_in(oidc):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    oidc.set_user("sub-forged", person_claims(112))
    start = client.get("/accounts/oidc/authenticate/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    with translation.override("en"):
        response = client.get("/accounts/oidc/callback/", {"code": "not-a-code", "state": state})
    # The provider refused the code at its token endpoint.
    assert response.status_code == 400 and "was not completed" in response.content.decode()
    assert signed_in_user(client) is None and not User.objects.filter(id_number=id_number_for(112)).exists()


def test_an_id_token_from_another_issuer_signs_nobody_in(oidc, settings):
    settings.GOVFLOW_OIDC_ISSUER = "https://id.example.gov.cn"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in(client, oidc, "sub-other-issuer", person_claims(114))
    assert response.status_code == 400
    assert signed_in_user(client) is None and not User.objects.filter(id_number=id_number_for(114)).exists()


def test_an_unreachable_provider_is_a_page_not_an_error(oidc, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    oidc.set_user("sub-unreachable", person_claims(115))
    start = client.get("/accounts/oidc/authenticate/")
    answer = requests.post(start["Location"], data={"sub": "sub-unreachable"}, allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # nothing listens there
    with translation.override("en"):
        response = client.get(back.path, parse_qs(back.query))
    assert response.status_code == 502 and "could not be reached" in response.content.decode()
    assert signed_in_user(client) is None


def test_the_provider_denied_sign_in_is_a_page_not_an_error(oidc):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    start = client.get("/accounts/oidc/authenticate/")
    answer = requests.post(start["Location"], data={"action": "deny"}, allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    assert parse_qs(back.query)["error"] == ["access_denied"]
    with translation.override("en"):
        response = client.get(back.path, parse_qs(back.query))
    assert response.status_code == 400 and "was not completed" in response.content.decode()
    assert signed_in_user(client) is None


def test_the_sign_in_page_offers_the_provider_and_password_login_still_works(oidc):
    user = CitizenFactory(username="local-citizen", password="govflow-test-pw")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        page = client.get("/accounts/login/?next=/applications/").content.decode()
    assert "Sign in with 浙里办" in page
    assert 'href="/accounts/oidc/authenticate/?next=/applications/"' in page
    response = client.post("/accounts/login/?code=x&state=y", {"username": "local-citizen", "password": "govflow-test-pw"})
    assert response.status_code == 302 and signed_in_user(client) == user


def test_without_configuration_there_is_no_provider_sign_in(db, settings):
    assert not settings.GOVFLOW_OIDC_ENABLED
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        page = client.get("/accounts/login/").content.decode()
    assert "/accounts/oidc/" not in page and "Sign in with" not in page
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404


# -- self-registration off -----------------------------------------------------------------------


def test_self_registration_off_hides_the_links_and_answers_404(oidc, settings):
    settings.GOVFLOW_SELF_REGISTRATION = False
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        login = client.get("/accounts/login/").content.decode()
        page = client.get("/accounts/register/")
    assert 'href="/accounts/register/' not in login and "Sign in with 浙里办" in login
    assert page.status_code == 404
    assert "Registration is turned off" in page.content.decode() and "Sign in with 浙里办" in page.content.decode()
    posted = client.post("/accounts/register/", {"username": "newbie", "password1": "x", "password2": "x",
                                                 "name": "新人", "id_number": id_number_for(113), "phone": "13900000000"})
    assert posted.status_code == 404
    api = client.post("/api/v1/auth/register/", {
        "username": "newbie", "password": "a-long-enough-passphrase", "name": "新人",
        "id_number": id_number_for(113), "phone": "13900000000"}, content_type="application/json")
    assert api.status_code == 404 and "detail" in api.json()
    assert not User.objects.filter(username="newbie").exists()


def test_self_registration_off_without_a_provider_says_where_accounts_come_from(db, settings):
    settings.GOVFLOW_SELF_REGISTRATION = False
    with translation.override("en"):
        page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/register/")
    assert page.status_code == 404 and "service-hall counter" in page.content.decode()


def test_self_registration_is_on_by_default(db, settings):
    assert settings.GOVFLOW_SELF_REGISTRATION is True
    with translation.override("en"):
        page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()
    assert 'href="/accounts/register/' in page


# -- settings --------------------------------------------------------------------------------------


def _settings_of(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GOVFLOW_OIDC_")
                   and k != "DJANGO_SETTINGS_MODULE"}
    environment.update(DJANGO_SETTINGS_MODULE="govflow.settings", DEBUG="1", **env)
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.GOVFLOW_OIDC_ENABLED, s.AUTHENTICATION_BACKENDS[-1], s.OIDC_RP_CLIENT_ID, "
            "s.GOVFLOW_OIDC_CLAIMS['id_number'], s.OIDC_TOKEN_USE_BASIC_AUTH)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


def test_oidc_is_off_unless_configured_and_needs_its_client_and_endpoints():
    off = _settings_of()
    assert off.returncode == 0, off.stderr
    assert off.stdout.split()[:2] == ["False", "django.contrib.auth.backends.ModelBackend"]

    half = _settings_of(GOVFLOW_OIDC_ISSUER="https://id.example.gov.cn", GOVFLOW_OIDC_CLIENT_ID="govflow")
    assert half.returncode != 0
    assert "ImproperlyConfigured" in half.stderr and "GOVFLOW_OIDC_TOKEN_ENDPOINT" in half.stderr

    base = "https://id.example.gov.cn/oauth2"
    on = _settings_of(GOVFLOW_OIDC_ISSUER="https://id.example.gov.cn/", GOVFLOW_OIDC_CLIENT_ID="govflow",
                      GOVFLOW_OIDC_CLIENT_SECRET="s3cret", GOVFLOW_OIDC_AUTHORIZATION_ENDPOINT=f"{base}/authorize",
                      GOVFLOW_OIDC_TOKEN_ENDPOINT=f"{base}/token", GOVFLOW_OIDC_USERINFO_ENDPOINT=f"{base}/userinfo",
                      GOVFLOW_OIDC_JWKS_ENDPOINT=f"{base}/jwks", GOVFLOW_OIDC_CLAIM_ID_NUMBER="idcard",
                      GOVFLOW_OIDC_TOKEN_AUTH="post")
    assert on.returncode == 0, on.stderr
    assert on.stdout.split() == ["True", "govflow.portal.oidc.OIDCBackend", "govflow", "idcard", "False"]
