"""The log of report downloads is append-only in the database, like the access log (evolve.audit 0002)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION reporting_download_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the report download log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER report_download_append_only
    BEFORE UPDATE OR DELETE ON reporting_reportdownload
    FOR EACH ROW EXECUTE FUNCTION reporting_download_refuse_change();
"""

BACKWARD = """
DROP TRIGGER report_download_append_only ON reporting_reportdownload;
DROP FUNCTION reporting_download_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_reports")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
