from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "govflow.api"
    label = "api"
    verbose_name = "REST API"
