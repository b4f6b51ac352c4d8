"""Every page has an icon: the portal and the workbench name the SVG, and /favicon.ico (which browsers
ask for where a page names none: the admin, the API's pages) leads to it instead of a 404."""
from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client

from tests.factories import MembershipFactory, UserFactory

ICON = re.compile(r'<link rel="icon" href="(?P<href>/static/[^"]+\.svg)" type="image/svg\+xml">')


def test_favicon_ico_leads_to_the_svg_icon(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/govflow/favicon.svg"
    icon = Client().get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])
    assert Client().post("/favicon.ico").status_code == 405


def test_the_portal_and_the_workbench_name_the_icon(demo_catalog):
    home = Client().get("/").content.decode()
    clerk = UserFactory(username="icon-clerk")
    MembershipFactory(user=clerk, department=demo_catalog["amr"])
    client = Client()
    client.force_login(clerk)
    workbench = client.get("/workbench/").content.decode()
    for page in (home, workbench):
        found = ICON.search(page)
        assert found, page[:800]
        assert finders.find(found["href"].removeprefix("/static/"))
