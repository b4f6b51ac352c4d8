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
