from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "govflow.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The Celery tasks (dispatch hands rows to them by name) and the automatic check, which the
        # delivery runs for automatic_check rows without importing the domain that decides.
        from . import automatic, delivery, tasks  # noqa: F401

        delivery.register_automatic_check(automatic.outbox_check)
