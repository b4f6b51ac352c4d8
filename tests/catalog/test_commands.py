"""``manage.py import_catalog`` and ``export_catalog``: exit status and output."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from govflow.catalog import models as m
from govflow.catalog.io import export_catalog
from tests.catalog.test_io import DEMO_PATH, example_document, row_counts, wipe_catalog


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, doc) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_import_catalog_imports_a_file_and_names_the_published_versions():
    out, err = run("import_catalog", str(DEMO_PATH))
    assert err == ""
    assert "departments: 8 created" in out
    assert "published business-startup version 1" in out
    assert "published newborn version 1" in out
    assert "published enterprise-change version 1" in out
    assert m.OneThing.objects.filter(is_published=True).count() == 3


@pytest.mark.django_db
def test_import_catalog_says_so_when_nothing_changed():
    run("import_catalog", str(DEMO_PATH))
    out, _ = run("import_catalog", str(DEMO_PATH))
    assert "no one thing changed" in out
    assert m.OneThingVersion.objects.count() == 3


@pytest.mark.django_db
def test_import_catalog_prints_every_error_with_its_path_and_exits_with_status_1(tmp_path):
    doc = example_document()
    doc["format"] = "govflow.catalog/0"
    doc["procedures"][1]["committed_days"] = 30
    before = row_counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as caught, translation.override("en"):  # asserted in English
        call_command("import_catalog", write(tmp_path, doc), stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert "nothing was imported" in str(caught.value)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("$.format: unknown format")
    assert lines[1].startswith("$.procedures[1].committed_days: committed days (30)")
    assert row_counts() == before


@pytest.mark.django_db
def test_import_catalog_reports_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": ', encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_catalog", str(path), stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert err.getvalue().startswith("$: not valid JSON")


@pytest.mark.django_db
def test_import_catalog_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read") as caught:
        run("import_catalog", str(tmp_path / "nope.json"))
    assert caught.value.returncode == 1


@pytest.mark.django_db
def test_export_catalog_writes_the_catalog_as_json_to_stdout():
    run("import_catalog", str(DEMO_PATH))
    out, _ = run("export_catalog")
    assert json.loads(out) == export_catalog()
    assert "开办企业一件事" in out  # ensure_ascii=False: readable in review
    assert out.endswith("}\n")


@pytest.mark.django_db
def test_export_catalog_exports_one_one_thing_to_a_file(tmp_path):
    run("import_catalog", str(DEMO_PATH))
    target = tmp_path / "newborn.json"
    out, _ = run("export_catalog", "--one-thing", "newborn", "--output", str(target))
    assert out == ""
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert [o["code"] for o in doc["one_things"]] == ["newborn"]


@pytest.mark.django_db
def test_export_catalog_refuses_an_unknown_one_thing():
    with pytest.raises(CommandError, match="unknown one thing 'nothing'"):
        run("export_catalog", "--one-thing", "nothing")


@pytest.mark.django_db
def test_an_exported_file_imports_into_an_empty_catalog(tmp_path):
    run("import_catalog", str(DEMO_PATH))
    target = tmp_path / "export.json"
    run("export_catalog", "--output", str(target))
    first = target.read_text(encoding="utf-8")
    wipe_catalog()
    run("import_catalog", str(target))
    run("export_catalog", "--output", str(target))
    assert target.read_text(encoding="utf-8") == first
