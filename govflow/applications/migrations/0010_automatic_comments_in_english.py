"""The demo checker's comment used to be stored half in Chinese, half in English; it is now stored
as its English source text and translated for each reader (``govflow.catalog.checkers``)."""

from django.db import migrations

OLD = "自动核验：已取得公民身份号码，完成参保登记 / enrolled automatically once the citizen id was issued"
NEW = ("Checked automatically: the baby's citizen ID number has been issued, so the enrolment is "
       "complete.")


def forwards(apps, schema_editor):
    apps.get_model("applications", "Case").objects.filter(comment=OLD).update(comment=NEW)
    apps.get_model("applications", "TimelineEntry").objects.filter(message=OLD).update(message=NEW)


def backwards(apps, schema_editor):
    apps.get_model("applications", "Case").objects.filter(comment=NEW).update(comment=OLD)
    apps.get_model("applications", "TimelineEntry").objects.filter(message=NEW).update(message=OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0009_counter_receipts_and_lookups"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
