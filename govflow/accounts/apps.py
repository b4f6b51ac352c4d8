from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "govflow.accounts"
    label = "accounts"
    verbose_name = "Accounts"
