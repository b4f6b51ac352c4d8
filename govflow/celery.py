"""The Celery application. Eager (in-process) unless CELERY_BROKER_URL is set.

Tasks live in the apps' ``tasks.py`` (found by ``autodiscover_tasks``): the outbox delivery in
``govflow/notifications``, the SLA sweep and viewflow's timers in ``govflow/applications``; the periodic
schedule is ``CELERY_BEAT_SCHEDULE`` in the settings. Run ``celery -A govflow worker`` (as many as
needed) and exactly one ``celery -A govflow beat``; see "Production run" in docs/operations.md.
"""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govflow.settings")

app = Celery("govflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
