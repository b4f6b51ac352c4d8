"""The one-thing flow moved from the top-level ``workflows`` app into ``govflow.applications``.

viewflow stores a flow and its tasks by reference (``app_label/module.Class[.node]``), so the
references already in the database are rewritten; the SQL runs on SQLite and PostgreSQL alike.
"""
from django.db import migrations

OLD = "workflows/flows.OneThingFlow"
NEW = "applications/flows.OneThingFlow"


def _rewrite(old: str, new: str) -> list[str]:
    return [
        f"UPDATE viewflow_process SET flow_class = '{new}' WHERE flow_class = '{old}'",
        f"UPDATE viewflow_task SET flow_task = '{new}' || substr(flow_task, {len(old) + 1}) "
        f"WHERE flow_task LIKE '{old}.%'",
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_list_order_indexes"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(sql=_rewrite(OLD, NEW), reverse_sql=_rewrite(NEW, OLD)),
    ]
