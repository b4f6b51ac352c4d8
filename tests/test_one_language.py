"""The defects of mixed languages found in issue 17, each fixed at its cause (the page-wide check is
tests/test_every_page_language.py)."""
from __future__ import annotations

import pytest
from django.utils import translation

from govflow.catalog.checkers import readable_comment
from govflow.catalog.fieldtypes import FIELD_TYPES
from govflow.text import join_list


@pytest.mark.parametrize(("language", "joined"), [("en", "PDF, PNG, JPEG"), ("zh-hans", "PDF、PNG、JPEG")])
def test_a_list_is_joined_as_the_language_lists(language, joined):
    with translation.override(language):
        assert join_list(["PDF", "PNG", "JPEG"]) == joined
        assert join_list([]) == ""


@pytest.mark.parametrize(("language", "text"), [("en", "PDF, PNG or JPEG"), ("zh-hans", "PDF、PNG 或 JPEG")])
def test_accepted_file_types_are_one_sentence_of_one_language(language, text):
    from govflow.portal.views.common import _types_text

    with translation.override(language):
        assert _types_text(["pdf", "png", "jpeg"]) == text


def test_a_decimal_hint_stays_within_the_fields_range():
    decimal = FIELD_TYPES["decimal"]
    with translation.override("en"):
        assert decimal.default_hint({"min": 0.3, "max": 8}) == "A number from 0.3 to 8."
        assert decimal.default_hint({"min": 1}) == "A number of at least 1."
        assert decimal.default_hint({}) == "A number, for example 12.50."
    with translation.override("zh-hans"):
        assert decimal.default_hint({"min": 0.3, "max": 8}) == "0.3 到 8 之间的数字。"


def test_the_automatic_checkers_comment_is_stored_once_and_read_in_each_language():
    from govflow.applications.automatic import ENROLLED_AUTOMATICALLY

    assert ENROLLED_AUTOMATICALLY.startswith("Checked automatically")  # stored: the English source
    with translation.override("zh-hans"):
        assert readable_comment(ENROLLED_AUTOMATICALLY) == "自动核验：新生儿已取得公民身份号码，参保登记已完成。"
    with translation.override("en"):
        assert readable_comment(ENROLLED_AUTOMATICALLY) == ENROLLED_AUTOMATICALLY
    assert readable_comment("材料齐全，予以通过") == "材料齐全，予以通过"  # a clerk's words: as written


def test_the_optional_comment_is_marked_optional_once():
    from govflow.portal.forms import EvaluationForm

    with translation.override("zh-hans"):
        assert str(EvaluationForm().fields["comment"].label) == "意见建议"  # the template adds （选填）


@pytest.mark.django_db
def test_the_admin_is_govflows_in_both_languages(admin_client):
    admin_client.cookies["django_language"] = "zh-hans"
    chinese = admin_client.get("/admin/").content.decode()
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get("/admin/").content.decode()

    assert "govflow 管理后台" in chinese and "Django" not in chinese
    assert "govflow administration" in english and "Django administration" not in english
    for section in ("账号", "事项目录", "申请", "通知", "登录尝试", "流程引擎"):
        assert f">{section}<" in chinese or f"{section}</a>" in chinese, section


@pytest.mark.django_db
def test_old_half_chinese_half_english_comments_are_rewritten(demo_catalog, citizen_alice, clerks):
    """applications 0010: the comment older versions stored in two languages becomes the English
    source that each reader reads in their language; other comments are left alone."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from govflow.applications.models import Case, TimelineEntry
    from tests import stories

    migration = import_module("govflow.applications.migrations.0013_verbose_names_and_automatic_comments")
    app = stories.submitted(citizen_alice, "business-startup")
    case = stories.approve(app, "amr-licence", clerks["amr"])
    Case.objects.filter(pk=case.pk).update(comment=migration.OLD_COMMENT)
    entry = TimelineEntry.objects.filter(case=case, kind="case.approved").get()
    with connection.cursor() as cursor:  # the timeline's queryset refuses update(): as an old row was written
        cursor.execute(f"UPDATE {TimelineEntry._meta.db_table} SET message = %s WHERE id = %s",
                       [migration.OLD_COMMENT, entry.pk])
    other = Case.objects.filter(application=app).exclude(pk=case.pk).first()

    name = ("applications", "0013_verbose_names_and_automatic_comments")
    migration.comments_in_english(MigrationLoader(connection).project_state(name).apps, None)

    from govflow.applications.automatic import ENROLLED_AUTOMATICALLY

    assert Case.objects.get(pk=case.pk).comment == ENROLLED_AUTOMATICALLY == migration.NEW_COMMENT
    assert TimelineEntry.objects.get(pk=entry.pk).message == ENROLLED_AUTOMATICALLY
    assert Case.objects.get(pk=other.pk).comment == other.comment
