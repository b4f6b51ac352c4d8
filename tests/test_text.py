"""The one text rule (govflow.text): what a single-line and a multi-line field refuse."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from govflow.text import bad_text_in, has_bad_text, validate_multi_line_text, validate_single_line_text

REFUSED_EVERYWHERE = ["a\x00b", "\ud800", "x\udfffy", "\x01", "\x1b[31m", "\x7f", "\x85", "\x9f", "a\u202eb",
                      "\u202a", "\u2066", "\u2069", "a\rb"]
LINE_BREAKS = ["a\nb", "a\r\nb", "a\tb"]
ALLOWED = ["张小宝", "O'Brien-Smith", "杭州市 文三路 100 号", "", "emoji 😀", "\u200d", "١٢٣ عربي"]


@pytest.mark.parametrize("text", REFUSED_EVERYWHERE)
def test_refused_in_single_and_multi_line_text(text):
    assert has_bad_text(text) and has_bad_text(text, multiline=True)
    with pytest.raises(ValidationError):
        validate_single_line_text(text)
    with pytest.raises(ValidationError):
        validate_multi_line_text(text)


@pytest.mark.parametrize("text", LINE_BREAKS)
def test_line_breaks_and_tabs_only_in_multi_line_text(text):
    assert has_bad_text(text)
    assert not has_bad_text(text, multiline=True)
    validate_multi_line_text(text)


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_text_is_allowed(text):
    assert not has_bad_text(text) and not has_bad_text(text, multiline=True)
    validate_single_line_text(text)


def test_nested_values_are_searched_keys_included_and_keys_are_single_line():
    assert bad_text_in({"a": [1, {"b": "x\x00"}]})
    assert bad_text_in({"a\u202e": 1})
    assert bad_text_in({"a\nb": "ok"}, multiline=True)
    assert not bad_text_in({"a": ["line\nbreak", 3, None, True]}, multiline=True)
    deep: list = []
    for _ in range(10_000):  # no recursion
        deep = [deep]
    assert not bad_text_in(deep)


def test_a_catalog_document_with_hostile_text_is_refused_with_the_paths_and_nothing_imported(db):
    from govflow.catalog.io import CatalogValidationError, validate_document
    from govflow.catalog.models import Department
    from govflow.catalog.services import import_catalog

    from .conftest import load_demo_document

    doc = load_demo_document()
    doc["departments"][0]["name"]["en"] = "Market\x00Regulation"
    doc["fields"][0]["label"]["zh-hans"] = "名\u202e称"
    doc["fields"][1]["help\ud800"] = "x"
    doc["one_things"][0]["description"] = {"en": "Line one\nline two\ttabbed", "zh-hans": "第一行\r\n第二行"}
    paths = [error.path for error in validate_document(doc)]
    assert paths == sorted(["$.departments[0].name.en", "$.fields[0].label[\"zh-hans\"]", "$.fields[1]"])
    with pytest.raises(CatalogValidationError):
        import_catalog(doc)
    assert not Department.objects.exists()
