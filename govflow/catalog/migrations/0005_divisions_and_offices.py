"""Jurisdictions: divisions and offices. Existing data moves to the default division.

The default division (``GOVFLOW_DEFAULT_DIVISION``) is created with its ancestors from the bundled
Zhejiang file when it is there, else as a root of its own named by its code (rename it, or load
your province with ``manage.py load_divisions``). Every department gets an office there and every
one thing is offered there.
"""

import django.core.validators
import django.db.models.deletion
import json
from pathlib import Path

from django.conf import settings
from django.db import migrations, models

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "divisions-zhejiang.json"
LEVELS = ("province", "city", "county")


def default_division(Division):
    code = settings.GOVFLOW_DEFAULT_DIVISION
    found = Division.objects.filter(code=code).first()
    if found is not None:
        return found
    entries = {}
    if BUNDLED.exists():
        entries = {e["code"]: e for e in json.loads(BUNDLED.read_text(encoding="utf-8"))["divisions"]}
    chain = []
    current = code
    while current in entries:
        chain.append(entries[current])
        current = entries[current].get("parent")
    if not chain:
        chain = [{"code": code, "name": {"zh-hans": code, "en": code}, "parent": None}]
    parent = None
    for depth, entry in enumerate(reversed(chain)):
        path = f"{parent.path if parent else '/'}{entry['code']}/"
        parent, _created = Division.objects.get_or_create(code=entry["code"], defaults={
            "name": entry["name"], "level": entry.get("level") or LEVELS[min(depth, 2)], "parent": parent,
            "path": path})
    return parent


def forwards(apps, schema_editor):
    Division = apps.get_model("catalog", "Division")
    Department = apps.get_model("catalog", "Department")
    Office = apps.get_model("catalog", "Office")
    OneThing = apps.get_model("catalog", "OneThing")
    if not Department.objects.exists() and not OneThing.objects.exists():
        return  # a new database: the catalog brings its divisions
    division = default_division(Division)
    for department in Department.objects.all():
        name = {lang: f"{division.name.get(lang) or division.code}{'' if lang.startswith('zh') else ' '}{label}"
                for lang, label in department.name.items()}
        Office.objects.get_or_create(department=department, division=division,
                                     defaults={"code": f"{department.code}-{division.code}", "name": name})
    OneThing.objects.filter(division__isnull=True).update(division=division)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_procedure_automatic_help'),
    ]

    operations = [
        migrations.AddField(
            model_name='onething',
            name='route_by',
            field=models.CharField(blank=True, help_text='Code of a field of type division whose answer decides where the application is handled; empty: the division the applicant chose.', max_length=64, verbose_name='route by field'),
        ),
        migrations.AddField(
            model_name='procedure',
            name='level',
            field=models.CharField(choices=[('province', 'Province'), ('city', 'City'), ('county', 'County / district')], default='county', help_text="The level whose office handles this procedure for an application's division.", max_length=10, verbose_name='level'),
        ),
        migrations.CreateModel(
            name='Division',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=12, unique=True, validators=[django.core.validators.RegexValidator('^[0-9]{6,12}$', 'A division code is 6 to 12 digits.')], verbose_name='code')),
                ('name', models.JSONField(default=dict, help_text='{"en": "...", "zh-hans": "..."}', verbose_name='name')),
                ('level', models.CharField(choices=[('province', 'Province'), ('city', 'City'), ('county', 'County / district')], max_length=10, verbose_name='level')),
                ('path', models.CharField(db_index=True, editable=False, max_length=200)),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='catalog.division', verbose_name='parent')),
            ],
            options={
                'verbose_name': 'administrative division',
                'verbose_name_plural': 'administrative divisions',
                'ordering': ['path'],
            },
        ),
        migrations.AddField(
            model_name='onething',
            name='division',
            field=models.ForeignKey(help_text='Where it is offered: this division and everything below it.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='one_things', to='catalog.division', verbose_name='division'),
        ),
        migrations.CreateModel(
            name='Office',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=80, unique=True, verbose_name='code')),
                ('name', models.JSONField(default=dict, help_text='{"en": "...", "zh-hans": "..."}', verbose_name='name')),
                ('webhook_url', models.URLField(blank=True, help_text="Empty: the department's webhook is used.", verbose_name='webhook URL')),
                ('webhook_secret', models.CharField(blank=True, max_length=200, verbose_name='webhook secret')),
                ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='offices', to='catalog.department', verbose_name='department')),
                ('division', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offices', to='catalog.division', verbose_name='division')),
            ],
            options={
                'verbose_name': 'office',
                'verbose_name_plural': 'offices',
                'ordering': ['code'],
                'constraints': [models.UniqueConstraint(fields=('department', 'division'), name='uniq_office_division')],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='onething',
            name='division',
            field=models.ForeignKey(help_text='Where it is offered: this division and everything below it.', on_delete=django.db.models.deletion.PROTECT, related_name='one_things', to='catalog.division', verbose_name='division'),
        ),
    ]
