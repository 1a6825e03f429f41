"""The information-sharing ledger is append-only in the database, like the chronology: UPDATE and DELETE raise."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION information_share_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the information-sharing ledger is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER information_share_append_only
    BEFORE UPDATE OR DELETE ON access_informationshare
    FOR EACH ROW EXECUTE FUNCTION information_share_refuse_change();
"""

BACKWARD = """
DROP TRIGGER information_share_append_only ON access_informationshare;
DROP FUNCTION information_share_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("access", "0002_information_sharing_ledger")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
