"""Every page in one language: a crawl of the demo world in English and in Chinese.

The demo data (``seed_demo``) with a few applications in flight is crawled as each kind of person
(anonymous, citizen, clerk, supervisors, counter clerk, administrator): every link of the site that
a GET may follow, one page per URL pattern and query shape (so every admin changelist, add and
change page, every portal, workbench, board, counter and designer page). On each page the visible
text (and the words assistive technology reads: ``aria-label``, ``title``, ``placeholder``,
``alt``) must be in the page's language:

* in English, no Chinese character or Chinese punctuation (``，。、：（）``…);
* in Chinese, no English word.

What is exempt, and why (the allow-list is principled, not a list of today's defects):

* **People's data** is shown as they wrote it: every string the database holds that has a single
  language (names, addresses, answers, file names, comments, organisation names, holiday names
  and make-up days of the official calendar, usernames, e-mail addresses; the catalog's example
  values of fields and outputs, a value to type as it is written). Catalog labels that
  carry both languages (``{"en": …, "zh-hans": …}``) are *not* exempt: they must show in the
  page's language.
* **Text marked as another language**: an element with a ``lang`` attribute other than the page's
  (the language switcher's "中文" / "English").
* **Codes**: ``<code>``, ``<kbd>``, ``<samp>`` and ``<pre>`` hold identifiers, not words.
* In Chinese, the proper names and abbreviations a Chinese page writes in Latin letters
  (``CHINESE_ALLOWED``): the product's name, file formats, protocols, units.
"""
from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from govflow.accounts.models import User

pytestmark = pytest.mark.django_db

#: Chinese characters, CJK punctuation and full-width forms.
CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
#: A run of Latin letters, digits and joiners; an English word is one of two letters or more with no
#: digit (single letters are list markers or variables; GF-2026-000123 or A12345678 are codes).
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_'’.*-]*[A-Za-z0-9*]|[A-Za-z]")
WORD = re.compile(r"[A-Za-z]{2,}")

#: Latin-letter words a Chinese government page writes as they are.
CHINESE_ALLOWED = frozenset(word.lower() for word in """
govflow GovFlow PDF PNG JPEG JPG SVG CSV JSON XML API REST OpenAPI Swagger UI USCC ID IDs SMS OIDC OpenID
Connect HTTP HTTPS URL GNU Affero AGPL CEL MB KB GB QR CA Email email Celery Django viewflow Viewflow SQL PostgreSQL
SQLite Webhook webhooks HMAC SHA Token knox CSRF IP am pm UTC LDAP Control Command Mac GovStack TOTP
""".split())

#: Where a crawl starts, per person.
SEEDS = {
    None: ["/", "/accounts/login/", "/accounts/register/", "/accounts/password/forgot/",
           "/accounts/password/reset/code/", "/receipts/follow/"],
    "citizen": ["/", "/applications/", "/accounts/profile/", "/organisations/", "/authorisations/",
                "/authorisations/new/", "/accounts/password/change/", "/receipts/claim/"],
    "clerk-amr": ["/workbench/", "/workbench/mine/"],
    "super-amr": ["/workbench/board/", "/workbench/board/overdue/"],
    "super-amr-hz": ["/workbench/board/"],
    "counter-xihu": ["/workbench/counter/"],
    "admin": ["/admin/"],
}

#: Never followed: they change state on GET, leave the session, or are not pages.
SKIP = re.compile(
    r"^/(i18n/|healthz|static/|media/|api/|accounts/logout|admin/logout|accounts/oidc/)"
    r"|/documents/|/evidence/|/jsi18n/|/export|\.json$|/r/\d+/"
)
#: The pages of one URL pattern crawled at most (the first few of each changelist, each kind of page).
PER_PATTERN = 1
MAX_PAGES = 400


class _Text(HTMLParser):
    """The visible text of a page and its accessible attributes, minus exempt elements."""

    VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
    HIDDEN = frozenset("script style template noscript".split())
    #: A textarea holds the value being edited (data), as an input's value does.
    VALUES = frozenset({"textarea"})
    CODE = frozenset("code kbd samp pre".split())
    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[bool] = []  # per open element: exempt or not
        self.texts: list[str] = []
        self.links: list[str] = []

    def _exempt(self, tag: str, attrs: dict) -> bool:
        lang = (attrs.get("lang") or "").lower()
        other_language = bool(lang) and tag != "html" and not lang.startswith(self.language[:2])
        return (tag in self.HIDDEN or tag in self.CODE or tag in self.VALUES or other_language or "hidden" in attrs
                or attrs.get("type") == "hidden")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        exempt = (self.stack[-1] if self.stack else False) or self._exempt(tag, attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and "/admin/img/" in (attrs.get("src") or ""):
            attrs.pop("alt", None)  # Django's admin icons: alt="True"/"False"/"Search", which Django never translates
        if not exempt:
            self.texts.extend(attrs[name] for name in self.ATTRIBUTES if attrs.get(name))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append(exempt)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data)


def _data_strings() -> list[str]:
    """Every one-language string of people's data in the database, longest first."""
    from django.apps import apps
    from django.db import models

    found: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            if {"en", "zh-hans"} & set(value):
                return  # a two-language label: not data, it must follow the page's language
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for model in apps.get_models():
        if model._meta.app_label not in ("accounts", "parties", "applications", "catalog", "axes"):
            continue
        text_fields = [f.name for f in model._meta.get_fields()
                       if isinstance(f, (models.CharField, models.TextField, models.JSONField))
                       and not getattr(f, "choices", None)]
        if model._meta.app_label == "catalog" and model.__name__ != "CalendarDay":
            # The catalog's own words are chrome (two-language labels); its codes, the offices' addresses
            # and phones, and the example values of fields and outputs (a value to type, as written) are data.
            text_fields = [name for name in text_fields if name in ("code", "address", "phone", "example")]
        for row in model.objects.values_list(*text_fields) if text_fields else ():
            for value in row:
                walk(value)
    # Django stores each permission's name in English when it creates it ("Can add user"), and the
    # admin shows it as stored; viewflow and django-axes name their objects in English in __str__
    # ("<onething.Review/8> - NEW", "Access Log for …"). Data to the project: it cannot translate them.
    from axes.models import AccessAttempt, AccessLog
    from django.contrib.auth.models import Permission
    from viewflow.workflow.models import Task

    found.update(Permission.objects.values_list("name", flat=True))
    # ... and the libraries' models that have no translatable name (knox's "auth token")
    from django.contrib.contenttypes.models import ContentType
    from django.utils.functional import Promise

    for content_type in ContentType.objects.all():
        model = content_type.model_class()
        if model is not None and not isinstance(model._meta.original_attrs.get("verbose_name"), Promise):
            found.add(str(model._meta.verbose_name))
    for model in (AccessAttempt, AccessLog, Task):
        found.update(str(row) for row in model.objects.all())
    for user in User.objects.all():
        found.update({user.username, user.get_full_name(), getattr(user, "name", "") or "", user.email})
    # a multi-line text (an address, a comment) is shown line by line as well as whole
    parts = {part for text in found for part in re.split(r"\s*\n\s*", text)}
    return [s for s in found | parts if s and s.strip()]


def _data_pattern(data: list[str], language: str) -> re.Pattern | None:
    """One pattern for the data that could look like the other language: in English the strings
    with a Chinese character, in Chinese those with a Latin letter (whole words only, so that the
    code ``mi`` does not hide the "mi" of "admin")."""
    relevant = [s.strip() for s in data if (CJK.search(s) if language == "en" else WORD.search(s))]
    if not relevant:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(set(relevant), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])")


def _problems(text: str, language: str) -> list[str]:
    if language == "en":
        return sorted(set(CJK.findall(text)))
    words = set()
    for token in TOKEN.findall(text):
        if any(c.isdigit() or c in "_.*" for c in token.strip(".")) or (token.isupper() and len(token) > 1):
            continue  # a number, a code (GF-2026-000123, legal_rep_id, govflow.catalog, NEW), a masked value
        words.update(word for word in WORD.findall(token) if word.lower() not in CHINESE_ALLOWED)
    return sorted(words)


def _world() -> dict[str | None, list[str]]:
    """The demo data with applications in every state a page shows; returns the pages of those
    applications that links alone may not reach (the crawl starts there too)."""
    from govflow.applications.models import Case, CaseStatus
    from tests import stories
    from tests.counter_story import walk_in

    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    citizen = User.objects.get(username="citizen")
    submitted = stories.submitted(citizen, "business-startup")
    decided = stories.approve(submitted, "amr-licence", User.objects.get(username="clerk-amr"))
    draft = stories.draft(citizen, "newborn")
    walk_in_draft, _code = walk_in(User.objects.get(username="counter-xihu"), submit=False)
    queued = Case.objects.filter(application=submitted, status=CaseStatus.QUEUED,
                                 procedure_code="tax-registration").get()
    return {
        "citizen": [f"/applications/{submitted.pk}/", f"/applications/{submitted.pk}/receipt/",
                    f"/applications/{draft.pk}/form/"],
        "clerk-amr": [f"/workbench/tasks/{decided.task_id}/"],
        "clerk-tax": [f"/workbench/tasks/{queued.task_id}/", "/workbench/"],
        "counter-xihu": [f"/workbench/counter/applications/{walk_in_draft.pk}/form/",
                         f"/workbench/counter/applications/{walk_in_draft.pk}/materials/",
                         f"/workbench/counter/applications/{walk_in_draft.pk}/check/"],
    }


def _clients(language: str, seeds: dict) -> dict:
    clients = {}
    for username in seeds:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.cookies["django_language"] = language
        if username:
            client.force_login(User.objects.get(username=username))
        clients[username] = client
    return clients


#: Pages the crawl must render (so that a change of links cannot quietly shrink it).
MUST_RENDER = (
    "workbench/tasks/<int:task_id>/", "workbench/counter/applications/<int:pk>/form/", "workbench/board/",
    "applications/<int:pk>/receipt/", "applications/<int:pk>/form/", "one-things/<slug:code>/",
)


def _crawl(language: str, extra: dict[str | None, list[str]]) -> dict[str, list[str]]:
    seeds_of = {username: [*extra.get(username, []), *SEEDS.get(username, [])] for username in {*SEEDS, *extra}}
    clients = _clients(language, seeds_of)  # first: signing in writes rows (sign-in logs) that are data too
    data = _data_pattern(_data_strings(), language)
    problems: dict[str, list[str]] = {}
    seen_patterns: dict[str, int] = defaultdict(int)
    rendered: set[str] = set()
    pages = 0
    for username, seeds in seeds_of.items():
        client = clients[username]
        queue = list(seeds)
        visited: set[str] = set()
        while queue and pages < MAX_PAGES:
            url = queue.pop(0)
            parts = urlsplit(url)
            if parts.netloc or parts.scheme or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path in visited:
                continue
            visited.add(path)
            try:
                match = resolve(parts.path)
            except Resolver404:
                continue
            query_shape = ",".join(sorted(k.split("=")[0] for k in parts.query.split("&") if k))
            key = f"{username}:{match.route}?{query_shape}"
            if seen_patterns[key] >= PER_PATTERN:
                continue
            seen_patterns[key] += 1
            response = client.get(path)
            pages += 1
            assert response.status_code < 500, f"{path} as {username}: {response.status_code}"
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            rendered.add(match.route)
            parser = _Text(language)
            parser.feed(response.content.decode())
            text = "\n".join(parser.texts)
            if data is not None:
                text = data.sub(" ", text)
            if _problems(text, language):
                lines = [line.strip() for line in text.splitlines() if _problems(line, language)]
                problems[f"{language} {username or 'anonymous'} {path}"] = lines[:8]
            queue.extend(href.split("#")[0] for href in parser.links)
    assert pages > 120, f"the crawl reached only {pages} pages"
    missing = [route for route in MUST_RENDER if route not in rendered]
    assert not missing, f"the crawl never rendered {missing}"
    admin_pages = {route for route in rendered if route.startswith("admin/")}
    assert {"admin/", "admin/catalog/onething/<path:object_id>/preview/"} <= admin_pages, sorted(admin_pages)
    return problems


def test_every_page_is_in_one_language(settings):
    """One world, both languages (seeding the demo once keeps the test fast)."""
    settings.DEBUG = False
    extra = _world()

    problems = {**_crawl("en", extra), **_crawl("zh-hans", extra)}

    assert problems == {}, "\n".join(f"{page}: {lines}" for page, lines in problems.items())  # noqa: PT018


def test_the_admins_scripts_speak_chinese(admin_client):
    """The filter_horizontal widget's words come from the admin's JavaScript catalog: Django 5.2's
    Chinese one lacks its newer wording ("Choose %s by selecting them…"), the project's fills it in."""
    admin_client.cookies["django_language"] = "zh-hans"
    chinese = admin_client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode("unicode_escape")
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode("unicode_escape")

    assert "选中要选择的%s，然后点击“选择”箭头按钮。" in chinese and "选择全部%s" in chinese
    assert "选中要选择的" not in english
