"""Members belong to offices: each membership moves to its department's office at the default
division (opened by catalog 0005); a person gets a residence (a division)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forwards(apps, schema_editor):
    Membership = apps.get_model("accounts", "Membership")
    Office = apps.get_model("catalog", "Office")
    offices = dict(Office.objects.filter(division__code=settings.GOVFLOW_DEFAULT_DIVISION)
                   .values_list("department_id", "pk"))
    for membership in Membership.objects.filter(office__isnull=True):
        membership.office_id = offices[membership.department_id]
        membership.save(update_fields=["office"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_rate_counter_and_cache_table'),
        ('catalog', '0005_divisions_and_offices'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='membership',
            options={'verbose_name': 'office membership', 'verbose_name_plural': 'office memberships'},
        ),
        migrations.RemoveConstraint(
            model_name='membership',
            name='uniq_membership',
        ),
        migrations.AddField(
            model_name='membership',
            name='office',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='catalog.office', verbose_name='office'),
        ),
        migrations.AddField(
            model_name='user',
            name='residence',
            field=models.ForeignKey(blank=True, help_text='Where the person lives: their applications start there.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='catalog.division', verbose_name='residence'),
        ),
        migrations.AlterField(
            model_name='membership',
            name='department',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='catalog.department'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='membership',
            name='office',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='catalog.office', verbose_name='office'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(fields=('user', 'office'), name='uniq_membership_office'),
        ),
    ]
