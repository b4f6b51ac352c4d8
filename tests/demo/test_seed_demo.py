"""``seed_demo``: demo accounts and catalog as in docs/demo.md."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from govflow.accounts.models import Membership, User
from govflow.catalog import identifiers
from govflow.catalog.models import OneThing, OneThingVersion, Procedure
from govflow.demo.management.commands.seed_demo import DEMO_PASSWORD, id_number_check_char

from ..admin_reason import give_reason

pytestmark = pytest.mark.django_db

# The demo contract's offices: everyone in Xihu (330106) as before jurisdictions, except the
# city-level hrss and mi (Hangzhou, 330100); clerk-amr-sc in Shangcheng (330102).
CLERKS = {
    "clerk-amr": "amr-330106", "clerk-amr-2": "amr-330106", "clerk-amr-sc": "amr-330102", "clerk-psb": "psb-330106",
    "clerk-tax": "tax-330106", "clerk-hrss": "hrss-330100", "clerk-hpf": "hpf-330106",
    "clerk-health": "health-330106", "clerk-mi": "mi-330100",
}
SUPERVISORS = {"super-amr": "amr-330106", "super-amr-hz": "amr-330100", "super-hrss": "hrss-330100"}
RESIDENCES = {"citizen": "330106", "citizen2": "330106", "citizen-sc": "330102"}
COUNTERS = {"counter-xihu": "gsc-330106"}


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        _seed()

    assert not User.objects.exists()
    assert not OneThing.objects.exists()


def test_force_runs_it_with_debug_off(settings):
    settings.DEBUG = False

    _seed("--force")

    assert User.objects.filter(username="admin").exists()


def test_it_creates_every_demo_account(debug):
    output = _seed()

    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)
    for username in [*RESIDENCES, *CLERKS, *SUPERVISORS, *COUNTERS]:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD), username
        assert user.name, username
        assert not user.is_staff and not user.is_superuser, username
    for username in RESIDENCES:
        citizen = User.objects.get(username=username)
        assert citizen.id_number and citizen.phone and citizen.email
        assert not citizen.memberships.exists()
    assert "Demo data ready." in output


def test_it_gives_clerks_and_supervisors_their_departments(debug):
    _seed()

    memberships = {(m.user.username, m.office.code, m.role)
                   for m in Membership.objects.select_related("user", "office")}
    assert memberships == (
        {(username, code, "clerk") for username, code in CLERKS.items()}
        | {(username, code, "supervisor") for username, code in SUPERVISORS.items()}
        | {(username, code, "counter") for username, code in COUNTERS.items()}
    )
    assert {u.username: u.residence.code for u in User.objects.filter(residence__isnull=False)} == RESIDENCES


def test_it_publishes_the_demo_one_things(debug):
    _seed()

    published = OneThing.objects.filter(is_published=True, current_version__isnull=False)
    # newborn-insurance and childcare-subsidy: the proactive services' demo (demo_proactive.json,
    # docs/proactive.md).
    assert set(published.values_list("code", flat=True)) == {"business-startup", "newborn", "enterprise-change",
                                                             "newborn-insurance", "childcare-subsidy"}
    assert dict(published.values_list("code", "applicant")) == {
        "business-startup": "person", "newborn": "person", "enterprise-change": "organisation",
        "newborn-insurance": "person", "childcare-subsidy": "person"}
    assert OneThing.objects.get(code="newborn-insurance").triggers[0]["on"] == "output:citizen_id"
    assert Procedure.objects.get(code="health-childcare-subsidy").triggers[0]["on"] == "output:citizen_id"


def test_the_citizens_id_numbers_pass_the_check_digit(debug):
    _seed()

    for username in ["citizen", "citizen2"]:
        number = User.objects.get(username=username).id_number
        assert len(number) == 18 and number[:17].isdigit()
        # Checked with the validator the application forms use, not the seeder's own helper.
        assert number[17] == identifiers.id_number_check_char(number[:17])
    assert id_number_check_char("11010519491231002") == "X"  # the example in GB 11643


def test_it_is_idempotent(debug):
    _seed()
    counts = (User.objects.count(), Membership.objects.count(), OneThing.objects.count(),
              OneThingVersion.objects.count())
    passwords = dict(User.objects.values_list("username", "password"))

    output = _seed()

    assert (User.objects.count(), Membership.objects.count(), OneThing.objects.count(),
            OneThingVersion.objects.count()) == counts
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert "nothing to do" in output


def test_it_leaves_changed_passwords_alone_unless_asked(debug):
    _seed()
    citizen = User.objects.get(username="citizen")
    citizen.set_password("my-own-secret")
    citizen.save()

    _seed()
    citizen.refresh_from_db()
    assert citizen.check_password("my-own-secret")

    _seed("--reset-passwords")
    citizen.refresh_from_db()
    assert citizen.check_password(DEMO_PASSWORD)


def test_the_seeded_admin_sees_users_with_masked_id_numbers(debug, client):
    _seed()
    citizen = User.objects.get(username="citizen")
    assert client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)

    users = client.get("/admin/accounts/user/")
    memberships = client.get("/admin/accounts/membership/?role__exact=supervisor")
    give_reason(client, User.objects.get(username="admin"))
    change = client.get(f"/admin/accounts/user/{citizen.pk}/change/")

    assert users.status_code == 200
    body = users.content.decode()
    assert citizen.masked_id_number in body
    assert citizen.id_number not in body
    assert memberships.status_code == 200
    assert "super-amr" in memberships.content.decode()
    assert "clerk-amr" not in memberships.content.decode()
    assert change.status_code == 200
    assert citizen.id_number in change.content.decode()


def test_clerks_cannot_sign_in_to_the_admin(debug, client):
    _seed()
    assert client.login(request=HttpRequest(), username="clerk-amr", password=DEMO_PASSWORD)

    response = client.get("/admin/")

    assert response.status_code == 302


def test_it_creates_the_demo_company_with_its_legal_representative_and_agent(debug):
    from govflow.catalog.identifiers import is_valid_uscc
    from govflow.parties.models import Organisation
    from govflow.parties.selectors import principals_for

    _seed()
    _seed()  # idempotent: still one company, one standing role each

    company = Organisation.objects.get(name="杭州示例科技有限公司")
    assert is_valid_uscc(company.uscc) and company.verified and company.division.code == "330106"
    standing = {(r.user.username, r.role) for r in company.roles.filter(revoked_at__isnull=True)}
    assert standing == {("citizen", "legal_representative"), ("citizen2", "agent")}
    for username in ("citizen", "citizen2"):
        keys = [p.key for p in principals_for(User.objects.get(username=username))]
        assert keys == ["me", f"org:{company.pk}"]
    assert [p.key for p in principals_for(User.objects.get(username="citizen-sc"))] == ["me"]


def test_it_renews_the_demo_agent_once_revoked(debug):
    from govflow.parties.models import OrganisationRole

    _seed()
    role = OrganisationRole.objects.get(user__username="citizen2", revoked_at__isnull=True)
    OrganisationRole.objects.filter(pk=role.pk).update(revoked_at=role.granted_at)

    output = _seed()

    assert "citizen2 authorised as agent" in output
    assert OrganisationRole.objects.filter(user__username="citizen2").count() == 2
    assert OrganisationRole.objects.get(user__username="citizen2", revoked_at__isnull=True).is_live()


def test_it_gives_the_licence_and_the_birth_certificate_electronic_certificates_once(debug):
    from govflow.applications.models import CertificateTemplate

    first = _seed()
    CertificateTemplate.objects.filter(output__code="uscc").update(title="改过的标题")

    again = _seed()

    assert set(CertificateTemplate.objects.values_list("output__code", flat=True)) == {"uscc", "birth_certificate_no"}
    assert "Certificate templates: created uscc, birth_certificate_no" in first
    assert "Certificate templates" not in again
    assert CertificateTemplate.objects.get(output__code="uscc").title == "改过的标题"  # an admin's edit stays
