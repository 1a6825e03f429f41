"""One lock order for the two hash chains (ADR 0012, ADR 0015).

Each chain's trigger takes its own transaction-level advisory lock (the access log 8005001, the chronology 8005002)
and holds it to commit. A transaction that logged an access and then wrote the chronology took them in that order;
one that wrote the chronology and then logged an access took them the other way round; two of those at once
deadlocked, and PostgreSQL rolled one back: a step the user had taken was lost to an error page (found by the soak,
bench/soak.py, with fifty people working the pathway). Now the chronology's trigger takes the access log's lock
first. Whoever holds the chronology's lock therefore already holds the access log's, so no two transactions can each
hold one and wait for the other. Advisory locks are re-entrant within a session, so a transaction that has logged an
access takes nothing new but the chronology's lock."""

from django.db import migrations

ACCESS_LOG_LOCK = 8_005_001  # evolve/audit/migrations/0004_hash_chain.py
CHRONOLOGY_LOCK = 8_005_002  # evolve/chronology/migrations/0004_hash_chain.py
TABLE = "chronology_chronologyentry"
GENESIS = "repeat('0', 64)"


def _function(locks: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION chronology_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
    last_hash text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        -- A later snapshot would not see the rows chained since it was taken, and the chain would fork.
        RAISE EXCEPTION 'the chronology is hash-chained: write it in a READ COMMITTED transaction'
            USING ERRCODE = 'invalid_transaction_state';
    END IF;
    {locks}
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
"""  # noqa: S608 (built from this module's constants)


FORWARD = _function(
    f"-- The access log's lock first, always: see this migration's docstring.\n"
    f"    PERFORM pg_advisory_xact_lock({ACCESS_LOG_LOCK});\n"
    f"    PERFORM pg_advisory_xact_lock({CHRONOLOGY_LOCK});"
)
BACKWARD = _function(f"PERFORM pg_advisory_xact_lock({CHRONOLOGY_LOCK});")


class Migration(migrations.Migration):
    dependencies = [("chronology", "0004_hash_chain")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
