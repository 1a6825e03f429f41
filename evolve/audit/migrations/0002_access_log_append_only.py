"""The access log is append-only in the database itself: UPDATE and DELETE raise, whoever asks.

TRUNCATE is not a row operation; in production the application's database role does not own the table and is
not granted TRUNCATE (README, "Database roles"), so it cannot empty the log either."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION audit_access_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON audit_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION audit_access_log_refuse_change();
"""

BACKWARD = """
DROP TRIGGER access_log_append_only ON audit_accesslogentry;
DROP FUNCTION audit_access_log_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_access_log")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
