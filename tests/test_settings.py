"""Production settings: SECRET_KEY is required and ``check --deploy`` is clean."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}}
    env["DJANGO_SETTINGS_MODULE"] = "govflow.settings"
    env.update(overrides)
    return env


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(**env), capture_output=True, text=True,
                          timeout=120)


def test_secret_key_is_required_when_debug_is_off():
    result = _run(["-c", "import django; django.setup()"], DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_debug_runs_without_a_secret_key():
    result = _run(["-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
                  DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_check_deploy_is_clean_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                  DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="example.org",
                  GOVFLOW_SITE_URL="https://example.org")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output, output


def _database_options(**env: str) -> str:
    result = _run(["-c", "import django; django.setup(); from django.conf import settings; "
                         "o = settings.DATABASES['default'].get('OPTIONS', {}); "
                         "print(o.get('server_side_binding'), o.get('prepare_threshold'))"],
                  DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_postgresql_binds_on_the_server_and_prepares_repeated_statements_by_default():
    assert _database_options() == "True 5"
    assert _database_options(DATABASE_PREPARE_THRESHOLD="2") == "True 2"


def test_server_side_binding_can_be_turned_off_for_an_old_pgbouncer():
    assert _database_options(DATABASE_SERVER_SIDE_BINDING="0") == "None None"
