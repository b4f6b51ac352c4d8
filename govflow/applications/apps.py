from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "govflow.applications"
    label = "applications"
    verbose_name = "Applications"
