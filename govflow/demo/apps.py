from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """``manage.py seed_demo``: the demo catalog, accounts and company (docs/demo.md). An app
    because a management command must live in one; above every domain, since the demo spans them."""

    name = "govflow.demo"
    label = "demo"
    verbose_name = _("Demo data")
