"""Language: Django's django_language cookie and set_language; catalog labels from the definitions."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_language_cookie_switches_the_whole_page(demo_catalog):
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/one-things/newborn/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    english = client.get("/one-things/newborn/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get("/one-things/newborn/").content.decode()

    assert '<html lang="en">' in english and "Materials you will need" in english
    assert '<html lang="zh-hans">' in chinese and "需要准备的材料" in chinese and "出生一件事" in chinese


def test_the_generated_form_uses_the_catalog_labels_in_chinese(alice_client):
    alice_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = alice_client.post(reverse("apply", args=["business-startup"]), {"step": "guide"})

    body = response.content.decode()
    assert "请检查以下问题" in body and "请选择一项。" in body
    form = alice_client.get(reverse("apply", args=["newborn"])).content.decode()
    assert "新生儿" in form and "保存并继续" in form


#: The Chinese catalogs: the project's and the workbench's own.
CATALOGS = ("locale/zh_Hans/LC_MESSAGES/django.po", "locale/zh_Hans/LC_MESSAGES/djangojs.po",
            "govflow/workbench/locale/zh_Hans/LC_MESSAGES/django.po")


@pytest.mark.parametrize("catalog", CATALOGS)
def test_every_message_is_translated(catalog):
    """No untranslated or fuzzy entry in a Chinese catalog (after changing texts: makemessages,
    translate, compilemessages; see docs/operations.md)."""
    po = (settings.BASE_DIR / catalog).read_text(encoding="utf-8")
    problems = []
    for block in po.split("\n\n")[1:]:
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        msgid = next((line for line in lines if line.startswith("msgid ")), "")
        if not msgid:
            continue  # an obsolete entry
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            problems.append(("fuzzy", msgid))
        for index, line in enumerate(lines):
            if line.startswith("msgstr") and line.endswith('""') and (
                    index + 1 == len(lines) or not lines[index + 1].startswith('"')):
                problems.append(("untranslated", msgid))

    assert problems == []


def test_every_post_form_of_the_portal_carries_a_csrf_token():
    from pathlib import Path

    templates = Path(settings.BASE_DIR) / "govflow" / "portal" / "templates" / "portal"
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert text.count('method="post"') == text.count("{% csrf_token %}"), template.name
