"""The portal's "acting as" switcher and organisations: the legal representative and agents act for
a company; revoked and expired roles lose it at once; the legal representative grants and revokes
agents; an agent gives up their role."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from govflow.applications.models import Application, TimelineEntry
from govflow.applications.services import drafting, submitting
from govflow.notifications.models import OutboxMessage
from govflow.parties.models import OrganisationRole
from govflow.parties.selectors import principal_for
from govflow.portal.acting import SESSION_KEY, acting
from tests.factories import CitizenFactory, id_number_for
from tests.party_world import business_draft

from .conftest import client_for

pytestmark = pytest.mark.django_db


def _act_as(client, key: str, next_url: str = "/applications/"):
    return client.post(reverse("acting-as"), {"principal": key, "next": next_url})


def _org_draft(user, company) -> Application:
    return business_draft(user, principal_for(user, f"org:{company.pk}"))


def _switcher(html: str) -> str:
    found = re.search(r'<div class="acting">.*?</div>\s*</div>', html, re.S)
    assert found, "no acting-as switcher on the page"
    return found.group(0)


# -- the switcher --------------------------------------------------------------------------------


def test_the_switcher_is_on_every_page_type(company_people):
    agent, company = company_people["agent"], company_people["company"]
    app = _org_draft(agent, company)
    client = client_for(agent)
    pages = [reverse("home"), reverse("one-thing", args=["business-startup"]), reverse("applications"),
             reverse("application", args=[app.pk]), reverse("apply-form", args=[app.pk]),
             reverse("apply-materials", args=[app.pk]), reverse("apply-check", args=[app.pk]),
             reverse("profile"), reverse("organisations"), reverse("organisation", args=[company.pk]),
             reverse("authorisations"), reverse("authorisation-new"), reverse("password-change")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        switcher = _switcher(response.content.decode())
        assert 'id="acting-as"' in switcher, url
        assert f'value="org:{company.pk}"' in switcher and "杭州示例科技有限公司" in switcher, url
        assert 'value="me" selected' in switcher, url


def test_a_person_with_no_one_to_act_for_sees_they_act_as_themselves(either_catalog):
    client = client_for(CitizenFactory())

    switcher = _switcher(client.get(reverse("applications")).content.decode())

    assert "Acting as" in switcher and "Myself" in switcher
    assert "<select" not in switcher  # nothing to choose; the links to organisations and authorisations stay
    assert reverse("organisations") in switcher and reverse("authorisations") in switcher


def test_visitors_see_no_switcher(either_catalog, en_client):
    assert '<div class="acting">' not in en_client.get(reverse("home")).content.decode()


def test_the_switcher_costs_two_queries_once_per_request(company_people, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = company_people["agent"]
    request.session = {}
    request._messages = None

    with django_assert_num_queries(2):
        found = acting(request)
        again = acting(request)

    assert found is again
    assert [p.key for p in found.choices] == ["me", f"org:{company_people['company'].pk}"]


@pytest.mark.parametrize("count", [1, 6])
def test_the_organisation_list_of_applications_runs_a_constant_number_of_queries(
        company_people, count, django_assert_max_num_queries):
    agent, company = company_people["agent"], company_people["company"]
    for _ in range(count):
        _org_draft(agent, company)
    client = client_for(agent)
    _act_as(client, f"org:{company.pk}")

    with django_assert_max_num_queries(11):  # as a person's list: session, user, switcher (2), rows, progress…
        response = client.get(reverse("applications"))

    assert len(response.context["rows"]) == count


def test_acting_for_the_company_lists_its_applications_not_ones_own(company_people):
    legal, agent, company = company_people["legal"], company_people["agent"], company_people["company"]
    mine = drafting.application_create(user=agent, one_thing_code="newborn", data={})
    theirs = _org_draft(legal, company)
    client = client_for(agent)

    assert [r["application"].pk for r in client.get(reverse("applications")).context["rows"]] == [mine.pk]
    response = _act_as(client, f"org:{company.pk}", "/applications/")
    assert response.status_code == 302 and response["Location"] == "/applications/"
    assert client.session[SESSION_KEY] == f"org:{company.pk}"

    page = client.get(reverse("applications"))
    assert [r["application"].pk for r in page.context["rows"]] == [theirs.pk]
    assert f'value="org:{company.pk}" selected' in page.content.decode()
    assert "everyone who acts for it sees them" in page.content.decode()

    _act_as(client, "me")
    assert SESSION_KEY not in client.session
    assert [r["application"].pk for r in client.get(reverse("applications")).context["rows"]] == [mine.pk]


def test_another_companys_key_changes_nothing(company_people):
    other = company_people["other"]
    client = client_for(other)

    response = _act_as(client, f"org:{company_people['company'].pk}")

    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert any("cannot act for" in str(m) for m in get_messages(response.wsgi_request))
    for key in ("org:x", "for:99999", "garbage", "org:" + "9" * 30):
        assert _act_as(client, key).status_code == 302
        assert SESSION_KEY not in client.session


def test_the_switch_goes_back_only_to_this_site(company_people):
    client = client_for(company_people["agent"])

    response = _act_as(client, "me", "https://evil.example/")

    assert response["Location"] == reverse("applications")


def test_the_switch_is_a_post(company_people):
    client = client_for(company_people["agent"])
    assert client.get(reverse("acting-as")).status_code == 405
    assert client_for(company_people["agent"]).post(reverse("acting-as"), {"principal": "me"}).status_code == 302


# -- revoked and expired roles lose the company at once --------------------------------------------


def test_a_revoked_agent_falls_back_to_themselves_and_loses_the_company_at_once(company_people):
    legal, agent, company = company_people["legal"], company_people["agent"], company_people["company"]
    app = _org_draft(agent, company)
    client = client_for(agent)
    _act_as(client, f"org:{company.pk}")
    assert client.get(reverse("application", args=[app.pk])).status_code == 200

    revoke = client_for(legal).post(reverse("organisation-role-revoke", args=[company.pk, company_people["role"].pk]))
    assert revoke.status_code == 302

    page = client.get(reverse("applications"))
    assert page.context["rows"] == []
    assert "no longer act for 杭州示例科技有限公司" in page.content.decode()
    assert "<select" not in _switcher(page.content.decode())
    assert SESSION_KEY not in client.session
    assert client.get(reverse("application", args=[app.pk])).status_code == 404
    assert client.get(reverse("apply-form", args=[app.pk])).status_code == 404
    assert client.get(reverse("organisation", args=[company.pk])).status_code == 404
    assert client.get(reverse("organisations")).context["roles"] == []


def test_an_expired_agent_loses_the_company(company_people):
    agent, company = company_people["agent"], company_people["company"]
    app = _org_draft(agent, company)
    OrganisationRole.objects.filter(pk=company_people["role"].pk).update(expires_at=timezone.now() + timedelta(hours=1))
    client = client_for(agent)
    _act_as(client, f"org:{company.pk}")

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        page = client.get(reverse("applications"))
        assert page.context["rows"] == []
        assert client.get(reverse("application", args=[app.pk])).status_code == 404
        assert client.get(reverse("organisation", args=[company.pk])).status_code == 404
        # The legal representative keeps it, and sees the agent's role among the past ones.
        detail = client_for(company_people["legal"]).get(reverse("organisation", args=[company.pk]))
        assert [r.user for r in detail.context["past"]] == [agent]


# -- organisation pages ------------------------------------------------------------------------------


def test_my_organisations_and_the_organisation_page(company_people):
    legal, agent, company = company_people["legal"], company_people["agent"], company_people["company"]

    listing = client_for(agent).get(reverse("organisations"))
    assert [r.organisation for r in listing.context["roles"]] == [company]
    assert "Authorised agent" in listing.content.decode()

    page = client_for(legal).get(reverse("organisation", args=[company.pk]))
    html = page.content.decode()
    assert USCC_TEXT in html and "杭州市西湖区文三路 1 号" in html
    assert {r.user for r in page.context["standing"]} == {legal, agent}
    assert page.context["form"] is not None  # the legal representative may grant agents
    assert reverse("organisation-role-revoke", args=[company.pk, company_people["role"].pk]) in html

    as_agent = client_for(agent).get(reverse("organisation", args=[company.pk]))
    assert as_agent.context["form"] is None
    assert "Give up my role" in as_agent.content.decode()


USCC_TEXT = "91330106MA2B7K5L1F"


def test_another_persons_organisation_is_not_found(company_people):
    client = client_for(company_people["other"])
    company = company_people["company"]

    assert client.get(reverse("organisation", args=[company.pk])).status_code == 404
    assert client.post(reverse("organisation-agent-grant", args=[company.pk]),
                       {"agent_id_number": company_people["other"].id_number,
                        "expires_on": "2099-01-01"}).status_code == 404
    assert client.post(reverse("organisation-role-revoke",
                               args=[company.pk, company_people["role"].pk])).status_code == 404
    assert client.get(reverse("organisation", args=[99999])).status_code == 404
    assert company_people["role"].__class__.objects.get(pk=company_people["role"].pk).revoked_at is None


def test_the_legal_representative_grants_an_agent(company_people):
    legal, other, company = company_people["legal"], company_people["other"], company_people["company"]
    expires = (timezone.localdate() + timedelta(days=90)).isoformat()

    response = client_for(legal).post(reverse("organisation-agent-grant", args=[company.pk]),
                                      {"agent_id_number": other.id_number.lower(), "expires_on": expires})

    assert response.status_code == 302 and response["Location"] == reverse("organisation", args=[company.pk])
    role = OrganisationRole.objects.get(organisation=company, user=other, revoked_at__isnull=True)
    assert (role.role, role.granted_by, timezone.localtime(role.expires_at).date().isoformat()) == (
        "agent", legal, expires)
    told = OutboxMessage.objects.get(recipient=other, event="organisation.agent_granted")
    assert told.payload["organisation"] == "杭州示例科技有限公司" and told.payload["expires_on"] == expires
    assert f"org:{company.pk}" in _switcher(client_for(other).get(reverse("home")).content.decode())


@pytest.mark.parametrize(("posted", "field", "message"), [
    ({"agent_id_number": "330106199001010010", "expires_on": "+90"}, "agent_id_number", "valid resident ID"),
    ({"agent_id_number": "", "expires_on": "+90"}, "agent_id_number", "required"),
    ({"agent_id_number": id_number_for(777), "expires_on": "+90"}, "agent_id_number", "must register first"),
    ({"agent_id_number": "OTHER", "expires_on": "-1"}, "expires_on", "in the future"),
    ({"agent_id_number": "OTHER", "expires_on": "2026-02-30"}, "expires_on", "real date"),
    ({"agent_id_number": "OTHER", "expires_on": ""}, "expires_on", "date the authority ends"),
    ({"agent_id_number": "LEGAL", "expires_on": "+90"}, "agent_id_number", "needs no authorisation"),
])
def test_a_bad_grant_is_refused_clearly_and_changes_nothing(company_people, posted, field, message):
    legal, company = company_people["legal"], company_people["company"]
    data = dict(posted)
    data["agent_id_number"] = {"OTHER": company_people["other"].id_number,
                               "LEGAL": legal.id_number}.get(data["agent_id_number"], data["agent_id_number"])
    if data["expires_on"][:1] in "+-" and data["expires_on"]:
        data["expires_on"] = (timezone.localdate() + timedelta(days=int(data["expires_on"]))).isoformat()
    roles_before = OrganisationRole.objects.count()

    response = client_for(legal).post(reverse("organisation-agent-grant", args=[company.pk]), data)

    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors.get(field, [])), form.errors
    assert response.context["error_items"]
    assert OrganisationRole.objects.count() == roles_before
    assert not OutboxMessage.objects.filter(event="organisation.agent_granted").exclude(
        recipient=company_people["agent"]).exists()


def test_an_agent_cannot_grant_agents(company_people):
    agent, company = company_people["agent"], company_people["company"]

    response = client_for(agent).post(reverse("organisation-agent-grant", args=[company.pk]),
                                      {"agent_id_number": company_people["other"].id_number,
                                       "expires_on": "2099-01-01"})

    assert response.status_code == 404
    assert not OrganisationRole.objects.filter(user=company_people["other"]).exists()


def test_the_legal_representative_revokes_an_agent_at_once(company_people):
    legal, agent, company, role = (company_people[k] for k in ("legal", "agent", "company", "role"))

    response = client_for(legal).post(reverse("organisation-role-revoke", args=[company.pk, role.pk]))

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.revoked_at is not None and role.revoked_by == legal
    assert OutboxMessage.objects.filter(recipient=agent, event="organisation.agent_revoked").exists()
    # Revoking again says so, and changes nothing.
    again = client_for(legal).post(reverse("organisation-role-revoke", args=[company.pk, role.pk]), follow=True)
    assert "cannot be ended" in again.content.decode()
    # The legal representative's own role is not revoked here.
    own = OrganisationRole.objects.get(user=legal)
    client_for(legal).post(reverse("organisation-role-revoke", args=[company.pk, own.pk]))
    own.refresh_from_db()
    assert own.revoked_at is None


def test_an_agent_gives_up_their_role_but_not_anothers(company_people):
    agent, company, role = company_people["agent"], company_people["company"], company_people["role"]
    from govflow.parties import services as parties

    second = CitizenFactory()
    other_role = parties.agent_grant(organisation=company, actor=company_people["legal"],
                                     agent_id_number=second.id_number, expires_at=timezone.now() + timedelta(days=3))
    client = client_for(agent)

    assert client.post(reverse("organisation-role-revoke", args=[company.pk, other_role.pk])).status_code == 404
    other_role.refresh_from_db()
    assert other_role.revoked_at is None

    response = client.post(reverse("organisation-role-revoke", args=[company.pk, role.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("organisations")
    role.refresh_from_db()
    assert role.revoked_by == agent
    assert not OutboxMessage.objects.filter(recipient=agent, event="organisation.agent_revoked").exists()


# -- applying for the company ------------------------------------------------------------------------


def test_acting_for_the_company_the_form_is_prefilled_from_it_and_the_draft_is_its(company_people):
    agent, company = company_people["agent"], company_people["company"]
    client = client_for(agent)
    _act_as(client, f"org:{company.pk}")

    assert client.get(reverse("apply", args=["business-startup"])).status_code == 200  # the guide
    response = client.post(reverse("apply", args=["business-startup"]), {"step": "guide", "has_employees": "yes"})
    assert response.status_code == 302
    app = Application.objects.get()
    html = client.get(reverse("apply-form", args=[app.pk])).content.decode()
    assert 'value="杭州示例科技有限公司"' in html  # company_name from the organisation
    assert 'value="杭州市西湖区文三路 1 号"' in html  # registered_address
    assert (app.organisation, app.applicant, app.submitted_by) == (company, None, agent)
    assert app.data["company_name"] == "杭州示例科技有限公司" and app.data["legal_rep_name"] == "王晓明"
    assert app.division.code == "330106"  # the company's registered division

    # The legal representative, acting for the company too, resumes the same draft.
    legal = client_for(company_people["legal"])
    _act_as(legal, f"org:{company.pk}")
    assert legal.get(reverse("apply", args=["business-startup"]))["Location"] == reverse("application",
                                                                                        args=[app.pk])


def test_a_person_only_one_thing_is_marked_and_refused_for_the_company(company_people):
    client = client_for(company_people["agent"])
    _act_as(client, f"org:{company_people['company'].pk}")

    home = client.get(reverse("home"))
    cards = {c.code: c for c in home.context["one_things"]}
    assert cards["newborn"].refusal == "This one thing is applied for by a person, not an organisation."
    assert cards["business-startup"].refusal == ""
    assert "applied for by a person, not an organisation" in client.get(
        reverse("one-thing", args=["newborn"])).content.decode()

    refused = client.get(reverse("apply", args=["newborn"]))
    assert refused.status_code == 403
    assert "applied for by a person, not an organisation" in refused.content.decode()
    assert client.post(reverse("apply", args=["newborn"]), {"step": "guide"}).status_code == 403
    assert not Application.objects.exists()


def test_the_application_page_says_for_whom_and_who_applied_and_the_timeline_names_the_agent(company_people):
    legal, agent, company = company_people["legal"], company_people["agent"], company_people["company"]
    app = _org_draft(agent, company)
    submitting.application_submit(application=app, user=agent)
    assert TimelineEntry.objects.get(application=app, kind="application.submitted").actor == agent

    page = client_for(legal).get(reverse("application", args=[app.pk]))

    html = page.content.decode()
    assert page.context["party"]["for_name"] == "杭州示例科技有限公司"
    assert page.context["party"]["submitted_by"] == "李娜"
    assert "Applied for" in html and "Applied by" in html
    submitted = next(e for e in page.context["timeline"] if e["kind"] == "application.submitted")
    assert submitted["by"] == "李娜 for 杭州示例科技有限公司"
    assert "By 李娜 for 杭州示例科技有限公司" in html


def test_the_companys_documents_are_the_agents_and_the_legal_representatives(company_people):
    agent, company = company_people["agent"], company_people["company"]
    app = _org_draft(agent, company)
    document = app.documents.first()
    url = reverse("application-document", args=[app.pk, document.pk])

    assert client_for(company_people["legal"]).get(url).status_code == 200
    assert client_for(agent).get(url).status_code == 200
    assert client_for(company_people["other"]).get(url).status_code == 404
