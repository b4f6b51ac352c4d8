from axes import apps as axes_apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module holds two configurations: "govflow.accounts" means this one
    name = "govflow.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import (
            security,  # noqa: F401  (connects the security log's sign-in receivers)
            sessions,  # noqa: F401  (connects the sign-in signal)
            signals,  # noqa: F401 - connects the receivers
        )


class AxesConfig(axes_apps.AppConfig):
    """django-axes (sign-in attempts and lockouts), under a translated name in the admin."""

    verbose_name = _("Sign-in attempts")
