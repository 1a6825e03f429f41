"""Hash-chain the access log (ADR 0012): each row carries the hash of the one before, set by a BEFORE INSERT trigger.

The trigger takes a transaction-level advisory lock, so rows join the chain one transaction at a time, and redraws
an id drawn before the lock that is not above the chain's last one, so id order is chain order. Existing rows are
chained here in id order. The canonical text is frozen: evolve/audit/chain.py computes the same in Python, and a
change to either is a new version of the chain, not an edit."""

from django.db import migrations, models

LOCK_KEY = 8_005_001  # issue 8, item 5, chain 1: the access log
TABLE = "audit_accesslogentry"
GENESIS = "repeat('0', 64)"


def _field(expression: str) -> str:
    # Each field as "<length>:<text>", so no value can shift another across the separator.
    value = f"coalesce({expression}, '')"
    return f"length({value})::text || ':' || {value}"


def _utc(column: str) -> str:
    return f"""to_char(e.{column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


CANONICAL = " || chr(31) || ".join(
    _field(expression)
    for expression in (
        "e.id::text",
        _utc("at"),
        "e.user_id::text",
        "e.agency_id::text",
        "e.child_id::text",
        "e.action",
        "e.what",
        'e."where"',
    )
)

FORWARD = f"""
CREATE FUNCTION audit_access_log_hash(prev_hash text, e {TABLE}) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(prev_hash || chr(31) || {CANONICAL}, 'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_access_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
    last_hash text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        -- A later snapshot would not see the rows chained since it was taken, and the chain would fork.
        RAISE EXCEPTION 'the access log is hash-chained: write it in a READ COMMITTED transaction'
            USING ERRCODE = 'invalid_transaction_state';
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    SELECT id, hash INTO last_id, last_hash FROM {TABLE} ORDER BY id DESC LIMIT 1;
    IF last_id IS NOT NULL AND NEW.id <= last_id THEN
        NEW.id := nextval(pg_get_serial_sequence('{TABLE}', 'id'));
        IF NEW.id <= last_id THEN
            RAISE EXCEPTION 'the access log id sequence is behind its hash chain (last id %)', last_id;
        END IF;
    END IF;
    NEW.prev_hash := coalesce(last_hash, {GENESIS});
    NEW.hash := audit_access_log_hash(NEW.prev_hash, NEW);
    RETURN NEW;
END
$$;

ALTER TABLE {TABLE} DISABLE TRIGGER access_log_append_only;
DO $$
DECLARE
    entry {TABLE};
    previous text := {GENESIS};
    this_hash text;
BEGIN
    FOR entry IN SELECT * FROM {TABLE} ORDER BY id LOOP
        this_hash := audit_access_log_hash(previous, entry);
        UPDATE {TABLE} SET prev_hash = previous, hash = this_hash WHERE id = entry.id;
        previous := this_hash;
    END LOOP;
END
$$;
ALTER TABLE {TABLE} ENABLE TRIGGER access_log_append_only;

CREATE TRIGGER access_log_hash_chain
    BEFORE INSERT ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_access_log_chain();
"""  # noqa: S608 (built from this module's constants)

BACKWARD = f"""
DROP TRIGGER access_log_hash_chain ON {TABLE};
DROP FUNCTION audit_access_log_chain();
DROP FUNCTION audit_access_log_hash(text, {TABLE});
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_access_action_break_glass")]

    operations = [
        migrations.AddField(
            model_name="accesslogentry",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accesslogentry",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
