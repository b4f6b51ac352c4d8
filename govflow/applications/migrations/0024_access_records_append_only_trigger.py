"""Access records are append-only in the database too (PostgreSQL; nothing on SQLite): a trigger
refuses UPDATE and DELETE, except the sealer's one update that sets ``seq`` and ``digest`` of a
row not chained yet (every other column unchanged) and a delete inside a transaction that set
``govflow.access_purge`` (the retention purge)."""
from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION applications_accessrecord_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.seq IS NULL AND OLD.digest = ''
           AND (to_jsonb(NEW) - 'seq' - 'digest') = (to_jsonb(OLD) - 'seq' - 'digest') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'access records are append-only (update refused)';
    END IF;
    IF coalesce(current_setting('govflow.access_purge', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'access records are append-only (delete refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER applications_accessrecord_append_only
    BEFORE UPDATE OR DELETE ON applications_accessrecord
    FOR EACH ROW EXECUTE FUNCTION applications_accessrecord_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS applications_accessrecord_append_only ON applications_accessrecord;
DROP FUNCTION IF EXISTS applications_accessrecord_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [("applications", "0023_access_records")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
