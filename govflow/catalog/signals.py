"""Cache invalidation for the working-day calendar."""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .calendar import invalidate_calendar_cache
from .models import CalendarDay


@receiver([post_save, post_delete], sender=CalendarDay)
def _calendar_changed(**kwargs) -> None:
    invalidate_calendar_cache()
