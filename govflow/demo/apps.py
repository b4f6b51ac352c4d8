from django.apps import AppConfig


class DemoConfig(AppConfig):
    """``manage.py seed_demo``: the demo catalog, accounts and company (docs/demo.md). An app
    because a management command must live in one; above every domain, since the demo spans them."""

    name = "govflow.demo"
    label = "demo"
    verbose_name = "Demo data"
