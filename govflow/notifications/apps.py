from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "govflow.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The Celery tasks: dispatch hands rows to them by name.
        from . import tasks  # noqa: F401
