"""Runtime and development requirements are apart: ``make run`` (and production) installs only
requirements.txt; the test tooling is in requirements-dev.txt, which the test targets install."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Import names of the packages only tests and tooling use (requirements-dev.txt).
DEV_ONLY_MODULES = {"pytest", "pytest_django", "xdist", "factory", "ruff", "importlinter", "schemathesis",
                    "openapi_spec_validator", "playwright", "hypothesis", "time_machine", "oidc_provider_mock",
                    "authlib", "flask", "joserfc"}


def requirement_names(path: Path) -> list[str]:
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z,]+\])?==[0-9][0-9A-Za-z.]*", line), f"{path.name}: not pinned: {line}"
        names.append(re.split(r"[\[=]", line, maxsplit=1)[0].lower())
    return names


def test_the_dev_requirements_add_the_tooling_to_the_runtime_and_everything_is_pinned():
    runtime = requirement_names(ROOT / "requirements.txt")
    dev = requirement_names(ROOT / "requirements-dev.txt")
    first = next(line for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
                 if line.strip() and not line.startswith("#"))
    assert first == "-r requirements.txt"
    assert {"django", "django-viewflow", "gunicorn"} <= set(runtime)
    assert {"pytest", "ruff", "playwright", "hypothesis", "factory-boy"} <= set(dev)
    assert not set(runtime) & {"pytest", "pytest-django", "pytest-xdist", "ruff", "import-linter", "playwright",
                                "hypothesis", "time-machine", "factory-boy", "schemathesis", "oidc-provider-mock"}
    assert not set(runtime) & set(dev), "a package is listed twice"


def test_the_application_imports_nothing_of_the_test_tooling():
    found = []
    for path in (ROOT / "govflow").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in DEV_ONLY_MODULES]
    assert found == []


def prerequisites(target: str) -> str:
    return re.search(rf"(?m)^{re.escape(target)}:(?! export)(.*)$", (ROOT / "Makefile").read_text()).group(1)


def test_make_run_installs_the_runtime_and_the_test_targets_the_tooling():
    assert "$(STAMP)" in prerequisites("run") and "DEV_STAMP" not in prerequisites("run")
    for target in ("test", "test-dates", "e2e", "lint"):
        assert "$(DEV_STAMP)" in prerequisites(target), target
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"(?m)^\$\(DEV_STAMP\): requirements-dev\.txt \$\(STAMP\)\n.*-r requirements-dev\.txt", makefile)
    assert re.search(r"(?m)^\$\(STAMP\): requirements\.txt .*\n.*-r requirements\.txt\n", makefile)
