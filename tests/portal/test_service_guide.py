"""The service guide (办事指南): a one thing's printable page from the catalog and the offices."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from govflow.catalog.models import Division, Office, OneThing

pytestmark = pytest.mark.django_db

GUIDE = "one-thing-guide"


def test_the_one_thing_page_links_its_service_guide(client, demo_catalog):
    body = client.get(reverse("one-thing", args=["business-startup"])).content.decode()

    assert f'href="{reverse(GUIDE, args=["business-startup"])}"' in body


def test_a_visitor_reads_the_whole_guide_in_english_with_every_office_where_it_is_offered(
        demo_catalog, django_assert_max_num_queries):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get(reverse(GUIDE, args=["business-startup"]))  # compile the version once
    with django_assert_max_num_queries(6):
        response = client.get(reverse(GUIDE, args=["business-startup"]))

    assert response.status_code == 200
    body = response.content.decode()
    guide = response.context["guide"]
    # Legal basis and fees of each procedure, from the published catalog.
    assert "Regulations on the Registration and Administration of Market Entities" in body
    assert "the first set of seals of a new company is engraved free of charge" in body
    # Conditions: who may apply and the guide question.
    assert "A person, for themselves or through an agent they have authorised." in body
    assert "Will the company hire employees?" in body
    # Materials with their samples.
    assert "A clear colour scan or photo of both sides of the second-generation ID card" in body
    # Time limits: the one thing's and each procedure's.
    assert "Finished within 3 working days" in body
    assert [(p.code, p.statutory_days, p.committed_days) for p in guide.procedures][0] == ("amr-licence", 15, 1)
    # Where to go: the Xihu and Shangcheng market regulation offices, with address, hours and phone.
    amr = [office for office, _handles in guide.offices if office.code.startswith("amr-")]
    assert {o.code for o in amr} == {"amr-330106", "amr-330102"}
    xihu = Office.objects.get(code="amr-330106")
    assert xihu.phone and xihu.phone in body
    assert "Xihu District Government Service Centre, 2 Wenerxi Road" in body
    assert "Working days 9:00–12:00 and 13:30–17:00" in body


def test_the_guide_is_in_chinese_for_a_chinese_reader(demo_catalog):
    body = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse(GUIDE, args=["newborn"])).content.decode()

    assert "《中华人民共和国母婴保健法》第二十三条。" in body
    assert "医疗机构出具并盖章的分娩记录" in body
    assert "杭州市西湖区文二西路 2 号" in body


def test_a_signed_in_person_sees_only_the_competent_offices_of_where_they_live(client, demo_catalog, citizen_alice):
    citizen_alice.residence = Division.objects.get(code="330102")  # Shangcheng
    citizen_alice.save(update_fields=["residence"])
    client.force_login(citizen_alice)

    guide = client.get(reverse(GUIDE, args=["business-startup"])).context["guide"]

    by_procedure = {p.code: [o.code for o in p.offices] for p in guide.procedures}
    assert by_procedure["amr-licence"] == ["amr-330102"]
    assert by_procedure["hrss-employer-insurance"] == ["hrss-330100"]  # a city-level procedure


def test_the_guide_shows_the_published_version_not_the_draft(client, demo_catalog):
    OneThing.objects.filter(code="newborn").update(name={"en": "Draft name", "zh-hans": "草稿名称"})

    body = client.get(reverse(GUIDE, args=["newborn"])).content.decode()

    assert "草稿名称" not in body and "出生一件事" in body


def test_an_unknown_or_unpublished_one_thing_has_no_guide(client, demo_catalog):
    OneThing.objects.filter(code="newborn").update(is_published=False)

    assert client.get(reverse(GUIDE, args=["no-such-thing"])).status_code == 404
    assert client.get(reverse(GUIDE, args=["newborn"])).status_code == 404


def test_the_guide_prints_cleanly(client, demo_catalog):
    from django.contrib.staticfiles import finders

    css = open(finders.find("portal/portal.css"), encoding="utf-8").read()
    body = client.get(reverse(GUIDE, args=["newborn"])).content.decode()

    print_rules = css[css.index("@media print"):]
    assert "header.site" in print_rules and ".no-print" in print_rules and ".guide__item" in print_rules
    assert 'class="guide"' in body and 'class="no-print"' in body
