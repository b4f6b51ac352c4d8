"""WSGI entry point (gunicorn govflow.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application
from werkzeug.middleware.proxy_fix import ProxyFix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govflow.settings")


def behind_proxies(app, count: int):
    """``app`` seeing the client address ``count`` trusted proxies forwarded in X-Forwarded-For.

    Each proxy appends the address it received the request from, so the client is the entry
    ``count`` places from the right; anything further left was written by the client and is
    ignored. With fewer entries than proxies REMOTE_ADDR is kept. ``count`` 0: no header is read.
    """
    return ProxyFix(app, x_for=count, x_proto=0, x_host=0, x_port=0, x_prefix=0) if count > 0 else app


application = get_wsgi_application()
# After get_wsgi_application(): the settings are loaded.
from django.conf import settings  # noqa: E402

application = behind_proxies(application, settings.GOVFLOW_TRUSTED_PROXY_COUNT)
