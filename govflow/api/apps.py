from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default = True  # this module holds two configurations: "govflow.api" means this one
    name = "govflow.api"
    label = "api"
    verbose_name = _("REST API")

    def ready(self):
        from . import idempotency  # noqa: F401  (registers its keys for the purge beat job)


class KnoxConfig(AppConfig):
    """django-rest-knox (API tokens), under a translated name in the admin."""

    name = "knox"
    label = "knox"
    verbose_name = _("API tokens")
