from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations, models

#: The table of the embedded default cache (CACHE_URL unset: dbcache://govflow_cache).
DEFAULT_CACHE_TABLE = "govflow_cache"


def create_cache_tables(apps, schema_editor):
    """What ``manage.py createcachetable`` does, as part of ``migrate``: the embedded default's
    table and that of every database cache configured now. Existing tables are left alone."""
    tables = {DEFAULT_CACHE_TABLE}
    tables |= {conf["LOCATION"] for conf in settings.CACHES.values()
               if conf.get("BACKEND") == "django.core.cache.backends.db.DatabaseCache" and conf.get("LOCATION")}
    command = CreateCacheTable()
    command.verbosity = 0
    for table in sorted(tables):
        command.create_table(schema_editor.connection.alias, table, dry_run=False)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_username_case_insensitive_unique'),
    ]

    operations = [
        migrations.CreateModel(
            name='RateCounter',
            fields=[
                ('key', models.CharField(max_length=120, primary_key=True, serialize=False)),
                ('count', models.PositiveIntegerField(default=0)),
                ('expires_at', models.DateTimeField(db_index=True)),
            ],
            options={
                'verbose_name': 'rate counter',
                'verbose_name_plural': 'rate counters',
            },
        ),
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=True),
    ]
