from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "govflow.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The Celery tasks: dispatch hands rows to them by name; checks registers the site-address check.
        from . import checks, tasks  # noqa: F401
