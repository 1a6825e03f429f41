"""The machinery that loads the scale data set: COPY streams fed from a writer thread, ids handed out here, the hash
chains computed here, and the indexes rebuilt once at the end.

Everything runs in one transaction on its own connection, so a failed load leaves the database as it was (the
demo data seed_demo made is committed before it). Inside it:

- `session_replication_role = replica` stops every trigger for this session: the foreign-key checks (the rows are
  made consistent by construction, and the test checks them), the append-only guards, and the hash-chain triggers
  (the chains are computed here exactly as evolve/audit/chain.py checks them, continuing from the last row). The
  advisory locks the chain triggers take are taken here too, so no other writer joins a chain during the load.
- The indexes of the big tables are dropped and made again, with the same names and definitions, after the rows are
  in: building an index once is several times faster than keeping it up to date row by row. Indexes behind a
  constraint (primary keys, unique constraints) stay, so those are checked as the rows arrive; a partial unique
  index (a link recorded once) is checked when it is made again, before the commit.
- While the load runs, its transaction holds the big tables locked (the dropped indexes): anything else reading them
  waits for the commit.
- Rows are formatted here as COPY text and handed, in chunks, to a thread that streams them to the server: the
  server parses and stores one chunk while Python builds the next.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

NULL = "\\N"
SEP = "\x1f"  # the hash chain's separator (evolve.audit.chain.SEPARATOR)
GENESIS = "0" * 64
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EPOCH = date(1970, 1, 1)
CHUNK_ROWS = 20_000

# The advisory locks the chain triggers take (audit migration 0004, chronology migration 0004).
ACCESS_LOG_LOCK = 8_005_001
CHRONOLOGY_LOCK = 8_005_002

# The big tables whose plain indexes are dropped for the load and made again after it.
REINDEXED = (
    "audit_accesslogentry",
    "chronology_chronologyentry",
    "referrals_referral",
    "referrals_referralevent",
    "referrals_referral_indicators",
    "referrals_mashcheck",
    "clock_deadline",
    "people_child",
    "people_childaddress",
    "people_childidentifier",
    "access_childuserobjectpermission",
    "access_informationshare",
    "risk_indicatoranswer",
    "mapping_entity",
    "mapping_link",
    "cases_casenote",
    "cases_decisionview",
)


def text(value: str) -> str:
    """A free text for a COPY stream: the few characters COPY's text format gives a meaning escaped."""
    if "\\" in value or "\n" in value or "\t" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return value


_days: dict[int, str] = {}


def day(days: int) -> str:
    """A date given as days since 1970-01-01, as ISO text."""
    found = _days.get(days)
    if found is None:
        found = _days[days] = (EPOCH + timedelta(days=days)).isoformat()
    return found


_MINUTES = [f"T{minute // 60:02d}:{minute % 60:02d}:" for minute in range(24 * 60)]


def ts(us: int) -> str:
    """A moment given as microseconds since 1970 (UTC) as evolve.audit.chain writes it in the canonical text, which
    PostgreSQL also reads as a timestamptz: 2026-11-22T13:08:01.000123Z."""
    days, rest = divmod(us, DAY)
    minute, rest = divmod(rest, 60_000_000)
    date_text = _days.get(days) or day(days)
    return f"{date_text}{_MINUTES[minute]}{rest // SECOND:02d}.{rest % SECOND:06d}Z"


def us_of(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))


class Table:
    """Rows for one table, kept as COPY text until a chunk is full."""

    def __init__(self, loader: Loader, name: str, columns: str) -> None:
        self.loader, self.name, self.columns = loader, name, columns
        self.lines: list[str] = []
        self.rows = 0

    def add(self, *values: object) -> None:
        """Values already COPY text (str), or None, a bool or a number. Strings are not escaped here: the callers
        pass made-up text without special characters, or text that went through `text()`."""
        self.lines.append(
            "\t".join(
                [
                    value
                    if value.__class__ is str
                    else NULL
                    if value is None
                    else "t"
                    if value is True
                    else "f"
                    if value is False
                    else str(value)
                    for value in values
                ]
            )
        )
        self.rows += 1
        if len(self.lines) >= CHUNK_ROWS:
            self.flush()

    def line(self, line: str) -> None:
        """A row already formatted (tab-separated, no newline)."""
        self.lines.append(line)
        self.rows += 1
        if len(self.lines) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.loader.send(self.name, self.columns, "\n".join(self.lines) + "\n")
            self.lines = []


class Loader:
    def __init__(self, *, connect: dict[str, Any], say: Callable[[str], None]) -> None:
        self.conn = psycopg.connect(**connect)
        self.say = say
        self._queue: queue.Queue[tuple[str, str, str] | None] = queue.Queue(maxsize=6)
        self._thread = threading.Thread(target=self._write, name="seed-scale-copy", daemon=True)
        self._error: BaseException | None = None
        self.copy_seconds: dict[str, float] = defaultdict(float)
        self.copied_rows: dict[str, int] = defaultdict(int)
        self.tables: dict[str, Table] = {}
        self._next_id: dict[str, int] = {}
        self._dropped: list[tuple[str, str, str]] = []  # (table, index, definition)

    # Before the rows -------------------------------------------------------------------------------------------------

    def begin(self) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s), pg_advisory_xact_lock(%s)", [ACCESS_LOG_LOCK, CHRONOLOGY_LOCK]
            )
            cursor.execute(
                """
                SELECT i.tablename, i.indexname, i.indexdef
                FROM pg_indexes i
                JOIN pg_class c ON c.relname = i.indexname AND c.relkind = 'i'
                WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
                ORDER BY i.tablename, i.indexname
                """,
                [list(REINDEXED)],
            )
            self._dropped = [(str(t), str(n), str(d)) for t, n, d in cursor.fetchall()]
            for _, name, _ in self._dropped:
                cursor.execute(f'DROP INDEX "{name}"')

    def start(self) -> None:
        """From here on only the writer thread uses the connection, until `finish`."""
        self._thread.start()

    def last_hash(self, table: str) -> str:
        """The hash the chain continues from: the last row's, or the genesis. Asked before the writer starts."""
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608 (a table we name)
            row = cursor.fetchone()
        return str(row[0]) if row else GENESIS

    def reserve_ids(self, tables: list[str]) -> None:
        with self.conn.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 (a table we name)
                row = cursor.fetchone()
                self._next_id[table] = int(row[0] if row else 0) + 1

    def ids(self, table: str, count: int = 1) -> int:
        """The first of `count` new ids for `table`."""
        first = self._next_id[table]
        self._next_id[table] = first + count
        return first

    def table(self, name: str, columns: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            table = self.tables[name] = Table(self, name, columns)
        return table

    # The writer thread -----------------------------------------------------------------------------------------------

    def send(self, table: str, columns: str, data: str) -> None:
        if self._error is not None:
            raise RuntimeError("the COPY writer failed") from self._error
        self._queue.put((table, columns, data))

    def _write(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is not None:
                    continue  # drain: the main thread raises
                table, columns, data = item
                started = time.monotonic()
                with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(data)
                self.copy_seconds[table] += time.monotonic() - started
                self.copied_rows[table] += data.count("\n")
            except BaseException as error:  # handed to the main thread
                self._error = error
            finally:
                self._queue.task_done()

    def flush_all(self) -> None:
        for table in self.tables.values():
            table.flush()
        self._queue.join()
        if self._error is not None:
            raise RuntimeError("the COPY writer failed") from self._error

    # After the rows --------------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Every row in; then the indexes, the sequences, and the commit."""
        self.flush_all()
        self._queue.put(None)
        self._thread.join()
        with self.conn.cursor() as cursor:
            took: dict[str, float] = defaultdict(float)
            for table, _, definition in self._dropped:
                started = time.monotonic()
                cursor.execute(definition)
                took[table] += time.monotonic() - started
            for table, seconds in sorted(took.items(), key=lambda item: -item[1]):
                self.say(f"  indexes on {table}: {seconds:.1f}s")
            for table in self._next_id:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}"  # noqa: S608
                )
        self.conn.commit()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=60)
        self.conn.close()


class Chain:
    """A hash chain continued in Python, exactly as evolve.audit.chain recomputes it: each entry's hash is
    sha256(prev_hash + US + canonical text) with every content field as "<length>:<text>"."""

    def __init__(self, head: str) -> None:
        self.head = head

    def next(self, canonical: str) -> tuple[str, str]:
        prev = self.head
        self.head = hashlib.sha256(f"{prev}{SEP}{canonical}".encode()).hexdigest()
        return prev, self.head
