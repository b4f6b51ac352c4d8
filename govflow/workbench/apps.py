from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "govflow.workbench"
    label = "workbench"
    verbose_name = "Clerk workbench"
