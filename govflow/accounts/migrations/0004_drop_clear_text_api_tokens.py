"""Drop the table of rest_framework.authtoken, whose tokens were stored in clear.

API tokens are now django-rest-knox tokens (only a digest is stored, and they expire). The old
tokens are not converted: anyone who could read the table could use them, so they are deleted and
every API client logs in again. ``IF EXISTS``: a database made after the change never had it.
"""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_notification_channels"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
    ]
