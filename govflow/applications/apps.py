from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "govflow.applications"
    label = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy check
