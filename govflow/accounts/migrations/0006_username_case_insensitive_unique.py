import django.db.models.functions.text
from django.db import migrations, models


def refuse_case_duplicates(apps, schema_editor):
    """Stop with the names to fix, rather than a bare IntegrityError, when two accounts already
    differ only in case (rename or merge one of them in the admin, then migrate again)."""
    User = apps.get_model("accounts", "User")
    duplicates = (User.objects.annotate(lowered=django.db.models.functions.text.Lower("username"))
                  .values("lowered").annotate(n=models.Count("id")).filter(n__gt=1)
                  .values_list("lowered", flat=True))
    names = sorted(duplicates)
    if names:
        raise RuntimeError("Usernames that differ only in case must be renamed before this migration: "
                           + ", ".join(names[:50]))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_password_reset_code'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.RunPython(refuse_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('username'), name='accounts_user_username_ci_unique', violation_error_message='This username is taken. Choose another.'),
        ),
    ]
