from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "govflow.portal"
    label = "portal"
    verbose_name = "Citizen portal"
