"""Retention decisions are append-only in the database itself: UPDATE and DELETE raise, whoever asks. A later review
brings a new decision, so the history of decisions on a child's records is never rewritten."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION dataprotection_decision_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'retention decisions are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER retention_decision_append_only
    BEFORE UPDATE OR DELETE ON dataprotection_retentiondecision
    FOR EACH ROW EXECUTE FUNCTION dataprotection_decision_refuse_change();
"""

BACKWARD = """
DROP TRIGGER retention_decision_append_only ON dataprotection_retentiondecision;
DROP FUNCTION dataprotection_decision_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("dataprotection", "0001_subject_access_retention_and_holds")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
