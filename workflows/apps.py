from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    label = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        # Flows register their nodes with viewflow when the module is imported.
        from . import flows  # noqa: F401
