from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovStackConfig(AppConfig):
    name = "govflow.govstack"
    label = "govstack"
    verbose_name = _("GovStack Registration API")

    def ready(self):
        from . import idempotency  # noqa: F401  (registers its keys for the purge beat job)
