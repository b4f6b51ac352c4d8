"""govflow: "one thing" integrated government services on django-viewflow."""
from .celery import app as celery_app

__all__ = ("celery_app",)
