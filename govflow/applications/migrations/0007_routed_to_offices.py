"""Applications have a division and cases an office: existing ones are at the default division and
its offices (opened by catalog 0005). The queue and board indexes are per office now."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forwards(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Case = apps.get_model("applications", "Case")
    Division = apps.get_model("catalog", "Division")
    Office = apps.get_model("catalog", "Office")
    division = Division.objects.filter(code=settings.GOVFLOW_DEFAULT_DIVISION).first()
    if division is None:
        return  # a new database: nothing to move
    Application.objects.filter(division__isnull=True).update(division=division)
    for department_id, office_id in Office.objects.filter(division=division).values_list("department_id", "pk"):
        Case.objects.filter(office__isnull=True, department_id=department_id).update(office_id=office_id)


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0006_demo_checker_moved'),
        ('catalog', '0005_divisions_and_offices'),
        ('viewflow', '0015_task_scheduled'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_open_queue',
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_escalated',
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_open_board',
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_queued',
        ),
        migrations.AddField(
            model_name='application',
            name='division',
            field=models.ForeignKey(help_text='Where the application is handled: its cases go to the offices there.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.division', verbose_name='division'),
        ),
        migrations.AddField(
            model_name='case',
            name='office',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='catalog.office'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='application',
            name='division',
            field=models.ForeignKey(help_text='Where the application is handled: its cases go to the offices there.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.division', verbose_name='division'),
        ),
        migrations.AlterField(
            model_name='case',
            name='office',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='catalog.office'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['queued', 'in_review'])), fields=['office', 'due_date', 'id'], name='case_open_queue'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['queued', 'in_review']), ('task__isnull', False)), fields=['office', 'due_date', 'id'], include=('procedure_code', 'owner', 'status'), name='case_open_board'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status', 'queued'), ('task__isnull', False)), fields=['office', 'due_date', 'task', 'id'], name='case_queued'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('escalated_at__isnull', False), ('status__in', ['queued', 'in_review'])), fields=['office', 'due_date', 'id'], name='case_escalated'),
        ),
    ]
