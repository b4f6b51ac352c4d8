"""The demo's automatic checker moved with the automatic steps from ``govflow.notifications`` to
``govflow.applications``: procedures and published versions that name it by its old dotted name are
rewritten to the new one (a version stays what it was in every other respect)."""
from django.db import migrations

OLD = "govflow.notifications.automatic.newborn_medical_insurance"
NEW = "govflow.applications.automatic.newborn_medical_insurance"


def _rename(apps, old: str, new: str) -> None:
    Procedure = apps.get_model("catalog", "Procedure")
    OneThingVersion = apps.get_model("catalog", "OneThingVersion")
    Procedure.objects.filter(automatic=old).update(automatic=new)
    for version in OneThingVersion.objects.only("pk", "definition").iterator():
        changed = False
        for procedure in (version.definition or {}).get("procedures", []):
            if procedure.get("automatic") == old:
                procedure["automatic"] = new
                changed = True
        if changed:
            OneThingVersion.objects.filter(pk=version.pk).update(definition=version.definition)


def forward(apps, schema_editor) -> None:
    _rename(apps, OLD, NEW)


def backward(apps, schema_editor) -> None:
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0005_flow_moved_into_applications"),
        ("catalog", "0003_procedure_automatic"),
    ]

    operations = [migrations.RunPython(forward, backward)]
