"""The chronology is append-only in the database, like the access log: UPDATE and DELETE raise."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION chronology_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the chronology is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER chronology_append_only
    BEFORE UPDATE OR DELETE ON chronology_chronologyentry
    FOR EACH ROW EXECUTE FUNCTION chronology_refuse_change();
"""

BACKWARD = """
DROP TRIGGER chronology_append_only ON chronology_chronologyentry;
DROP FUNCTION chronology_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("chronology", "0001_chronology")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
