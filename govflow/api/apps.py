from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default = True  # this module holds two configurations: "govflow.api" means this one
    name = "govflow.api"
    label = "api"
    verbose_name = _("REST API")


class KnoxConfig(AppConfig):
    """django-rest-knox (API tokens), under a translated name in the admin."""

    name = "knox"
    label = "knox"
    verbose_name = _("API tokens")
