"""Test settings: the real settings with DEBUG on and fast password hashing."""
import os
import tempfile

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="govflow-test-media-"))

from govflow.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# The tests' webhook receiver listens on plain http://127.0.0.1 (pytest-django turns DEBUG off);
# tests of the https rule override this.
GOVFLOW_ALLOW_HTTP_WEBHOOKS = True
# The embedded default cache is the database cache (tests/accounts/test_limits.py checks its table);
# the suite uses a per-process one so that query-count budgets count the application's queries only
# and tests without a database may still touch the cache. Rate limits count in the database anyway.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
