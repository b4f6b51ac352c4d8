"""The workbench speaks Simplified Chinese and English: its catalogue is complete."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[2] / "govflow" / "workbench" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries() -> list[tuple[str, str]]:
    text = PO.read_text(encoding="utf-8")
    found = []
    for block in text.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'^(?:msgid|msgid_plural)? ?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = "".join(re.findall(r'"(.*)"', "msgstr".join(block.split("msgstr")[1:])))
        if msgid:
            found.append((msgid, msgstr))
    return found


def test_every_workbench_string_has_a_chinese_translation():
    missing = [msgid for msgid, msgstr in entries() if not msgstr.strip()]
    assert len(entries()) > 150
    assert not missing, missing
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_the_catalogue_compiles_cleanly(tmp_path):
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO)], check=True)


@pytest.mark.django_db
def test_the_task_page_is_in_chinese(as_user, amr_case, clerks):
    from django.urls import reverse

    from govflow.applications.services import deciding

    deciding.task_claim(case=amr_case, user=clerks["amr"])
    html = as_user(clerks["amr"], language="zh-hans").get(reverse("workbench:task", args=[amr_case.task_id])).content.decode()
    for text in ("本事项所需填报内容", "办理决定", "要求补正", "不予办理", "统一社会信用代码", "本办件办理记录",
                 "剩余 1 个工作日"):
        assert text in html, text
    for english in ("Decision", "Request correction", "History of this case"):
        assert english not in html, english
    # "When" of a timeline is a time, not the designer's condition (a context for each sense)
    assert '<th scope="col">时间</th><th scope="col">事件</th>' in html and "适用条件" not in html
