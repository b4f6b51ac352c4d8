from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "govflow.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import (
            sessions,  # noqa: F401  (connects the sign-in signal)
            signals,  # noqa: F401 - connects the receivers
        )
