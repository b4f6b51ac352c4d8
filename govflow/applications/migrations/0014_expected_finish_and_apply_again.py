"""The expected finish is fixed at submission: the submission day plus the one thing's committed
working days (``engine.committed_finish``). Applications submitted before kept a date that moved
with their cases; they get the fixed one, computed from ``submitted_at`` and the committed days
of the version they were submitted on, with the working-day calendar as it stands.

An application started again from a refused or withdrawn one ("apply again") names it (``previous``)."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
import django.db.models.deletion
from django.db import migrations, models


def fix_expected_finish(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    CalendarDay = apps.get_model("catalog", "CalendarDay")
    exceptions = dict(CalendarDay.objects.values_list("date", "is_working_day"))
    zone = ZoneInfo(settings.TIME_ZONE)

    def working(day):
        exception = exceptions.get(day)
        return exception if exception is not None else day.weekday() < 5

    def add_working_days(day, n):  # the calendar's add_working_days, on this migration's rows
        while n > 0:
            day += timedelta(days=1)
            if working(day):
                n -= 1
        return day

    changed = []
    rows = (Application.objects.filter(submitted_at__isnull=False).select_related("version")
            .only("id", "submitted_at", "expected_finish", "version__definition"))
    for app in rows.iterator(chunk_size=500):
        try:
            committed = int(app.version.definition["one_things"][0]["committed_days"])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        submitted = app.submitted_at.astimezone(zone).date() if app.submitted_at.tzinfo else app.submitted_at.date()
        value = add_working_days(submitted, committed)
        if value != app.expected_finish:
            app.expected_finish = value
            changed.append(app)
        if len(changed) >= 500:
            Application.objects.bulk_update(changed, ["expected_finish"])
            changed = []
    if changed:
        Application.objects.bulk_update(changed, ["expected_finish"])


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0013_verbose_names_and_automatic_comments"),
        ("catalog", "0008_field_type_uscc"),
    ]

    operations = [
        migrations.AlterField(
            model_name="application",
            name="expected_finish",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="expected to finish by"),
        ),
        migrations.RunPython(fix_expected_finish, migrations.RunPython.noop),
        migrations.AddField(
            model_name="application",
            name="previous",
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="applications.application",
                                    verbose_name="started again from"),
        ),
    ]
