"""Hash-chain the chronology (ADR 0012), as audit migration 0004 does the access log: a BEFORE INSERT trigger sets
each row's prev_hash and hash under a transaction-level advisory lock; existing rows are chained here in id order.
The canonical text is frozen: evolve/audit/chain.py computes the same in Python."""

from django.db import migrations, models

LOCK_KEY = 8_005_002  # issue 8, item 5, chain 2: the chronology
TABLE = "chronology_chronologyentry"
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
        "e.child_id::text",
        _utc("occurred_at"),
        _utc("recorded_at"),
        "e.user_id::text",
        "e.agency_id::text",
        "e.kind",
        "e.summary",
        "e.rationale",
        "e.source_type",
        "e.source_id::text",
        "e.restricted_to_agency_id::text",
    )
)

FORWARD = f"""
CREATE FUNCTION chronology_hash(prev_hash text, e {TABLE}) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(prev_hash || chr(31) || {CANONICAL}, 'UTF8')), 'hex')
$$;

CREATE FUNCTION chronology_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
    last_hash text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        -- A later snapshot would not see the rows chained since it was taken, and the chain would fork.
        RAISE EXCEPTION 'the chronology is hash-chained: write it in a READ COMMITTED transaction'
            USING ERRCODE = 'invalid_transaction_state';
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    SELECT id, hash INTO last_id, last_hash FROM {TABLE} ORDER BY id DESC LIMIT 1;
    IF last_id IS NOT NULL AND NEW.id <= last_id THEN
        NEW.id := nextval(pg_get_serial_sequence('{TABLE}', 'id'));
        IF NEW.id <= last_id THEN
            RAISE EXCEPTION 'the chronology id sequence is behind its hash chain (last id %)', last_id;
        END IF;
    END IF;
    NEW.prev_hash := coalesce(last_hash, {GENESIS});
    NEW.hash := chronology_hash(NEW.prev_hash, NEW);
    RETURN NEW;
END
$$;

ALTER TABLE {TABLE} DISABLE TRIGGER chronology_append_only;
DO $$
DECLARE
    entry {TABLE};
    previous text := {GENESIS};
    this_hash text;
BEGIN
    FOR entry IN SELECT * FROM {TABLE} ORDER BY id LOOP
        this_hash := chronology_hash(previous, entry);
        UPDATE {TABLE} SET prev_hash = previous, hash = this_hash WHERE id = entry.id;
        previous := this_hash;
    END LOOP;
END
$$;
ALTER TABLE {TABLE} ENABLE TRIGGER chronology_append_only;

CREATE TRIGGER chronology_hash_chain
    BEFORE INSERT ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION chronology_chain();
"""  # noqa: S608 (built from this module's constants)

BACKWARD = f"""
DROP TRIGGER chronology_hash_chain ON {TABLE};
DROP FUNCTION chronology_chain();
DROP FUNCTION chronology_hash(text, {TABLE});
"""


class Migration(migrations.Migration):
    dependencies = [("chronology", "0003_restricted_entries")]

    operations = [
        migrations.AddField(
            model_name="chronologyentry",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="chronologyentry",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
