"""The access log and the chronology are hash-chained; `manage.py verify_audit` proves them intact or names the first
entry that was altered, or that follows a removed one (ADR 0012).

Both tables refuse UPDATE and DELETE through a trigger, so these tests tamper as someone with the table owner's
rights would: disable that trigger, change a row, enable it again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from evolve.accounts.models import Team, User
from evolve.audit.auditor import record_access
from evolve.audit.chain import CHAINS, GENESIS, entry_hash
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.chronology.models import ChronologyEntry
from evolve.chronology.services import chronology_record
from evolve.people.models import Child
from tests.concurrently import at_once, lock_waiters, until
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

ACCESS_LOG = ("audit_accesslogentry", "access_log_append_only")
CHRONOLOGY = ("chronology_chronologyentry", "chronology_append_only")


@pytest.fixture
def children(team: Team) -> list[Child]:
    return [
        ChildFactory.create(first_name="Ada", last_name="Pennyworth", open_to_team=team),
        ChildFactory.create(first_name="Bea", last_name="Thistlewood", open_to_team=team),
    ]


def verify(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as stop:
        return int(stop.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def tamper(table: tuple[str, str], sql: str, params: list[int | str]) -> None:
    """What a database owner could do: switch the append-only trigger off, change rows, switch it on again."""
    name, trigger = table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction has deferred checks pending
        cursor.execute(f"ALTER TABLE {name} DISABLE TRIGGER {trigger}")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {name} ENABLE TRIGGER {trigger}")


def log(user: User, children: list[Child], what: str = "record") -> None:
    record_access(user=user, children=children, action=AccessAction.VIEWED, what=what)


def chronicle(user: User, child: Child, summary: str) -> ChronologyEntry:
    return chronology_record(
        child_id=child.pk, by=user, kind="note", summary=summary, source_type="note", source_id=1, rationale="why"
    )


def access_log_ids() -> list[int]:
    return list(AccessLogEntry.objects.order_by("id").values_list("id", flat=True))


def test_untouched_chains_verify_intact(social_worker: User, police_officer: User, children: list[Child]) -> None:
    log(social_worker, children)
    log(police_officer, children[:1], what="chronology")
    chronicle(social_worker, children[0], "Strategy discussion held")
    chronicle(police_officer, children[1], "Return home interview")
    status, output = verify()
    assert status == 0
    assert "Access log: 3 entries, chain intact" in output
    assert "Chronology: 2 entries, chain intact" in output


def test_empty_chains_are_intact(db: None) -> None:
    status, output = verify()
    assert status == 0
    assert "Access log: 0 entries, chain intact" in output
    assert "Chronology: 0 entries, chain intact" in output


def test_each_entry_carries_the_hash_of_the_one_before(social_worker: User, children: list[Child]) -> None:
    log(social_worker, children)
    log(social_worker, children)
    entries = list(AccessLogEntry.objects.order_by("id"))
    assert entries[0].prev_hash == GENESIS
    assert [entry.prev_hash for entry in entries[1:]] == [entry.hash for entry in entries[:-1]]
    assert len({entry.hash for entry in entries}) == 4


def test_an_access_log_row_altered_in_the_database_is_named(social_worker: User, children: list[Child]) -> None:
    for what in ("record", "chronology", "access report"):
        log(social_worker, children, what=what)
    altered = access_log_ids()[3]
    tamper(ACCESS_LOG, "UPDATE audit_accesslogentry SET what = %s WHERE id = %s", ["nothing to see", altered])
    at = AccessLogEntry.objects.get(pk=altered).at

    status, output = verify()
    assert status == 1
    assert f"Access log: chain broken at entry {altered} ({at.isoformat()}): its content was altered" in output
    # The other chain is still checked and reported.
    assert "Chronology: 0 entries, chain intact" in output


def test_a_deleted_row_shows_as_a_broken_link_on_the_next_one(social_worker: User, children: list[Child]) -> None:
    for _ in range(3):
        log(social_worker, children)
    ids = access_log_ids()
    tamper(ACCESS_LOG, "DELETE FROM audit_accesslogentry WHERE id = %s", [ids[2]])
    status, output = verify("--table", "access_log")
    assert status == 1
    assert f"chain broken at entry {ids[3]} " in output
    assert f"its link to the entry before it ({ids[1]}) is broken: an entry between them is missing" in output


def test_deleting_the_first_rows_is_named_on_the_new_first_row(social_worker: User, children: list[Child]) -> None:
    log(social_worker, children)
    log(social_worker, children[:1])
    ids = access_log_ids()
    tamper(ACCESS_LOG, "DELETE FROM audit_accesslogentry WHERE id < %s", [ids[2]])
    status, output = verify("--table", "access_log")
    assert status == 1
    assert f"chain broken at entry {ids[2]} " in output
    assert "it should begin the chain but links to an earlier entry" in output


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(social_worker: User, children: list[Child]) -> None:
    """A careful attacker recomputes the altered row's own hash; the next row still points at the old one."""
    for _ in range(2):
        log(social_worker, children)
    ids = access_log_ids()
    tamper(
        ACCESS_LOG,
        "UPDATE audit_accesslogentry e SET what = 'nothing to see' WHERE id = %s;"
        "UPDATE audit_accesslogentry e SET hash = audit_access_log_hash(e.prev_hash, e) WHERE id = %s",
        [ids[1], ids[1]],
    )
    status, output = verify("--table", "access_log")
    assert status == 1
    assert f"chain broken at entry {ids[2]} " in output
    assert f"or entry {ids[1]} was rewritten with a new hash" in output


def test_moving_text_across_fields_is_caught(social_worker: User, children: list[Child]) -> None:
    """A separator inside a value cannot make a changed row hash the same: each field carries its length."""
    log(social_worker, children[:1], what="record\x1fpart")
    entry = AccessLogEntry.objects.get()
    tamper(
        ACCESS_LOG,
        "UPDATE audit_accesslogentry SET what = 'record', \"where\" = %s WHERE id = %s",
        [f"part\x1f{entry.where}", entry.pk],
    )
    status, output = verify("--table", "access_log")
    assert status == 1
    assert f"chain broken at entry {entry.pk} " in output


def test_an_altered_chronology_entry_is_named(social_worker: User, children: list[Child]) -> None:
    chronicle(social_worker, children[0], "Strategy discussion held")
    altered = chronicle(social_worker, children[0], "Missing episode reported")
    chronicle(social_worker, children[1], "Return home interview")
    tamper(CHRONOLOGY, "UPDATE chronology_chronologyentry SET summary = 'Nothing' WHERE id = %s", [altered.pk])
    status, output = verify()
    assert status == 1
    assert f"Chronology: chain broken at entry {altered.pk} (" in output
    assert "its content was altered" in output
    assert "Access log: 0 entries, chain intact" in output
    # Asked about the access log only, the command passes.
    assert verify("--table", "access_log")[0] == 0


def test_an_altered_occurred_at_is_caught(social_worker: User, children: list[Child]) -> None:
    entry = chronicle(social_worker, children[0], "Strategy discussion held")
    tamper(
        CHRONOLOGY,
        "UPDATE chronology_chronologyentry SET occurred_at = occurred_at - interval '1 day' WHERE id = %s",
        [entry.pk],
    )
    status, output = verify("--table", "chronology")
    assert (status, f"chain broken at entry {entry.pk} " in output) == (1, True)


def test_bulk_create_of_a_hundred_rows_is_chained(social_worker: User, children: list[Child]) -> None:
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user=social_worker,
            agency_id=social_worker.agency_id,
            child=children[n % 2],
            action=AccessAction.LISTED,
            what=f"search {n}",
            where="GET people:child-list",
        )
        for n in range(100)
    )
    entries = list(AccessLogEntry.objects.order_by("id"))
    assert [entry.what for entry in entries] == [f"search {n}" for n in range(100)]
    assert [entry.prev_hash for entry in entries] == [GENESIS] + [entry.hash for entry in entries[:-1]]
    status, output = verify("--table", "access_log", "--batch", "7")
    assert (status, "Access log: 100 entries, chain intact" in output) == (0, True)


def test_a_verify_reading_in_small_batches_finds_a_late_break(social_worker: User, children: list[Child]) -> None:
    for _ in range(5):
        log(social_worker, children)
    altered = access_log_ids()[8]
    tamper(ACCESS_LOG, "UPDATE audit_accesslogentry SET child_id = %s WHERE id = %s", [children[1].pk, altered])
    status, output = verify("--table", "access_log", "--batch", "3")
    assert status == 1
    assert f"chain broken at entry {altered} " in output


def test_the_caller_cannot_choose_the_hashes(social_worker: User, children: list[Child]) -> None:
    AccessLogEntry.objects.create(
        user=social_worker,
        child=children[0],
        action=AccessAction.VIEWED,
        what="record",
        where="shell",
        prev_hash="f" * 64,
        hash="e" * 64,
    )
    entry = AccessLogEntry.objects.get()
    assert (entry.prev_hash, entry.hash != "e" * 64) == (GENESIS, True)
    assert verify()[0] == 0


def test_raw_sql_rows_are_chained_and_hash_the_same_in_python(social_worker: User, children: list[Child]) -> None:
    """Any writer is chained; the database's canonical text matches Python's for awkward values: a summer-time
    timestamp on a whole second, no agency, non-ASCII text, an empty value."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO audit_accesslogentry (at, user_id, agency_id, child_id, action, what, "where")'
            " VALUES ('2026-07-01 00:30:00+01', %s, NULL, %s, 'viewed', 'Zoë\u2019s record — 📄', '')"
            " RETURNING id, prev_hash, hash",
            [social_worker.pk, children[0].pk],
        )
        entry_id, prev_hash, stored = cursor.fetchone()
    entry = AccessLogEntry.objects.get(pk=entry_id)
    assert entry.at.isoformat() == "2026-06-30T23:30:00+00:00"
    values = [getattr(entry, field) for field in CHAINS["access_log"].fields]
    assert (prev_hash, entry_hash(prev_hash, values)) == (GENESIS, stored)
    log(social_worker, children)
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_repeatable_read_writer_is_refused_rather_than_forking_the_chain(
    social_worker: User, children: list[Child]
) -> None:
    with pytest.raises(DatabaseError, match="READ COMMITTED"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        log(social_worker, children)
    assert not AccessLogEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_connections_writing_at_once_form_one_chain_in_id_order(
    social_worker: User, police_officer: User, children: list[Child]
) -> None:
    """A writes, B tries to write (and waits for A's chain lock, holding an id it drew before), A writes again and
    commits. B's row follows A's second in the chain, and its id is redrawn so that id order stays chain order."""
    a_has_written = threading.Event()

    def writer_a() -> None:
        with transaction.atomic():
            log(social_worker, children[:1], what="A1")
            a_has_written.set()
            until(lambda: lock_waiters("advisory") > 0)
            log(social_worker, children[:1], what="A2")

    def writer_b() -> None:
        a_has_written.wait(10)
        log(police_officer, children[1:], what="B1")

    assert at_once(writer_a, writer_b) == []
    assert list(AccessLogEntry.objects.order_by("id").values_list("what", flat=True)) == ["A1", "A2", "B1"]
    status, output = verify("--table", "access_log")
    assert (status, "Access log: 3 entries, chain intact" in output) == (0, True)


@pytest.mark.django_db(transaction=True)
def test_writers_touching_the_two_chains_in_opposite_orders_do_not_deadlock(
    social_worker: User, police_officer: User, children: list[Child]
) -> None:
    """A logs an access and then writes the chronology; B writes the chronology and then logs an access (a referral
    step that records access afterwards). With each trigger taking only its own lock, A held the access log's and
    waited for the chronology's while B held the chronology's and waited for the access log's: PostgreSQL killed one
    ("deadlock detected") and its step was lost. The soak found it with fifty people at work."""
    a_logged, b_chronicled = threading.Event(), threading.Event()

    def writer_a() -> None:
        with transaction.atomic():
            log(social_worker, children[:1], what="A")
            a_logged.set()
            # Until B is either waiting for a lock (fixed) or has written the chronology (the deadlock to come).
            until(lambda: b_chronicled.is_set() or lock_waiters("advisory") > 0)
            chronicle(social_worker, children[0], "A's step")

    def writer_b() -> None:
        a_logged.wait(10)
        with transaction.atomic():
            chronicle(police_officer, children[1], "B's step")
            b_chronicled.set()
            log(police_officer, children[1:], what="B")

    assert at_once(writer_a, writer_b) == [], "one writer was rolled back"
    assert sorted(AccessLogEntry.objects.values_list("what", flat=True)) == ["A", "B"]
    assert list(ChronologyEntry.objects.order_by("id").values_list("summary", flat=True)) == ["A's step", "B's step"]
    status, output = verify()
    assert status == 0, output


@pytest.mark.django_db(transaction=True)
def test_many_writers_at_once_keep_both_chains_intact(
    social_worker: User, police_officer: User, children: list[Child]
) -> None:
    start = threading.Barrier(3)

    def writer(user: User) -> Callable[[], None]:
        def write() -> None:
            start.wait()
            for n in range(20):
                with transaction.atomic():
                    log(user, children, what=f"{user.username} {n}")
                    chronicle(user, children[n % 2], f"Entry {n}")

        return write

    assert at_once(*(writer(user) for user in (social_worker, police_officer, social_worker))) == []
    status, output = verify()
    assert status == 0, output
    assert "Access log: 120 entries, chain intact" in output
    assert "Chronology: 60 entries, chain intact" in output


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_rows_written_before_it(social_worker: User, children: list[Child]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0003_access_action_break_glass")])
    try:
        with connection.cursor() as cursor:
            for what in ("old one", "old two", "old three"):
                cursor.execute(
                    'INSERT INTO audit_accesslogentry (at, user_id, agency_id, child_id, action, what, "where")'
                    " VALUES (now(), %s, %s, %s, 'viewed', %s, 'GET people:child-detail')",
                    [social_worker.pk, social_worker.agency_id, children[0].pk, what],
                )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    log(social_worker, children[1:], what="new")
    assert list(AccessLogEntry.objects.order_by("id").values_list("what", flat=True)) == [
        "old one",
        "old two",
        "old three",
        "new",
    ]
    status, output = verify("--table", "access_log")
    assert (status, "Access log: 4 entries, chain intact" in output) == (0, True)
