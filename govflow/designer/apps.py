from django.apps import AppConfig


class DesignerConfig(AppConfig):
    name = "govflow.designer"
    label = "designer"
    verbose_name = "One-thing designer"
