"""Seed the working-day calendar with China's official holidays and make-up working days."""
from django.db import migrations

SEED_YEARS = (2025, 2026, 2027)


def seed(apps, schema_editor):
    # The date list comes from the holidays package (a pure function); rows are written with
    # the historical model. Existing rows (an administrator's corrections) are kept.
    from govflow.catalog.calendar import china_calendar_exceptions

    CalendarDay = apps.get_model("catalog", "CalendarDay")
    db = schema_editor.connection.alias
    rows = china_calendar_exceptions(SEED_YEARS)
    existing = set(CalendarDay.objects.using(db).values_list("date", flat=True))
    CalendarDay.objects.using(db).bulk_create(
        [CalendarDay(date=day, is_working_day=working, name=name)
         for day, working, name in rows if day not in existing],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
