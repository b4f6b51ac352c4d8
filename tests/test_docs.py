"""The documentation stands alone: no link leaves the repository or points at nothing, and the
code examples of the docs work against govflow's own code."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from govflow.catalog.models import Department
from govflow.notifications.signing import signature_header, verify_signature

from .stories import case_of, submitted

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {"node_modules", "staticfiles", "media", "test-artifacts", "sent-emails", "__pycache__"}

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")


def markdown_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.md"):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        found.append(path)
    return sorted(found)


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code (examples are not links)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    body = prose(text)
    return INLINE_LINK.findall(body) + REFERENCE_LINK.findall(body) + HTML_LINK.findall(body)


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", path.read_text(encoding="utf-8")), re.M):
        anchor = github_anchor(match.group(1))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        result.add(anchor if count == 0 else f"{anchor}-{count}")
    return result


def broken_links(path: Path) -> list[str]:
    problems = []
    for target in links(path.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
            continue  # a URL (http:, mailto:) or a path on the running site
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            problems.append(f"{target}: no such file")
        elif not destination.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            problems.append(f"{target}: no heading #{anchor} in {destination.relative_to(ROOT)}")
    return problems


def test_the_markdown_files_are_found():
    names = {str(p.relative_to(ROOT)) for p in markdown_files()}
    assert {"README.md", "docs/README.md", "docs/api.md", "docs/catalog.md", "docs/demo.md",
            "docs/operations.md", "docs/webhooks.md"} <= names


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_markdown_file_refers_to_the_shared_directory(path):
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert not [t for t in links(text) if "shared/contracts" in t]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_something_in_the_repository(path):
    assert broken_links(path) == []


def test_the_link_checker_finds_broken_links(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "there.md").write_text("# A title: with (punctuation)\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-title-with-punctuation) [web](https://example.org/x) [site](/api/v1/)\n"
        "[gone](missing.md) [bad anchor](there.md#nope) [up](../outside.md)\n"
        "```\n[in code](ignored.md)\n```\n[ref]: also-missing.txt\n", encoding="utf-8")
    (tmp_path.parent / "outside.md").write_text("x", encoding="utf-8")
    assert broken_links(page) == [
        "missing.md: no such file", "there.md#nope: no heading #nope in there.md",
        "../outside.md: outside the repository", "also-missing.txt: no such file"]


def test_the_docs_index_lists_every_page():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    targets = {t.partition("#")[0] for t in links(index)}
    for page in (ROOT / "docs").glob("*.md"):
        if page.name != "README.md":
            assert page.name in targets, f"docs/README.md does not link {page.name}"
    assert "catalog.schema.json" in targets


def test_the_readme_says_nothing_out_of_date():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "later issues" not in readme
    assert "docs/README.md" in readme or "(docs/)" in readme


# -- the Python examples of docs/webhooks.md ---------------------------------------------------------


def webhook_examples() -> dict:
    """Run the ```python blocks of docs/webhooks.md (definitions only) and return their names."""
    text = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) == 2, "docs/webhooks.md should have a receiver and a sender example"
    namespace: dict = {"__name__": "docs_example"}  # not __main__: the sender does not run
    for block in blocks:
        exec(compile(block, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


def test_the_receiver_example_accepts_what_govflow_signs_and_nothing_else():
    verify = webhook_examples()["verify"]
    body = json.dumps({"event_id": "1", "type": "case.approved"}).encode()
    header = signature_header("department-secret-1", body)

    assert verify("department-secret-1", header, body)
    assert not verify("department-secret-2", header, body)
    assert not verify("department-secret-1", header, body + b" ")
    assert not verify("department-secret-1", signature_header("department-secret-1", body, int(time.time()) - 301), body)
    assert not verify("department-secret-1", "garbage", body)
    # Several v1 entries while a secret is rolled: any one may match.
    rolled = header + ",v1=" + "0" * 64
    assert verify("department-secret-1", rolled, body)


def test_the_sender_example_signs_as_govflow_expects():
    sign = webhook_examples()["signature_header"]
    body = b'{"event_id": "e-1", "decision": "approve"}'

    assert verify_signature("department-secret-1", sign("department-secret-1", body), body)
    assert not verify_signature("department-secret-1", sign("another-secret-000", body), body)
    assert not verify_signature("department-secret-1", sign("department-secret-1", body, int(time.time()) - 301), body)


def test_a_decision_sent_as_the_docs_show_is_accepted(citizen_alice, demo_catalog):
    sign = webhook_examples()["signature_header"]
    Department.objects.filter(code="amr").update(webhook_secret="amr-secret-for-docs")
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    decision = {"event_id": "amr-2026-000451", "decision": "approve",
                "outputs": {"uscc": "91330106MA2K111106"}, "comment": "Checked against the enterprise register."}
    body = json.dumps(decision, ensure_ascii=False).encode("utf-8")
    url = f"/api/v1/cases/{case.pk}/decision/"

    response = APIClient().post(url, data=body, content_type="application/json",
                                HTTP_X_GOVFLOW_SIGNATURE=sign("amr-secret-for-docs", body))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"

    replay = APIClient().post(url, data=body, content_type="application/json",
                              HTTP_X_GOVFLOW_SIGNATURE=sign("amr-secret-for-docs", body))
    assert replay.status_code == 401
