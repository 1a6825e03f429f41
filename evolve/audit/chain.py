"""Tamper evidence for the access log and the chronology: each row carries the hash of the one before (ADR 0012).

The database computes the chain: a BEFORE INSERT trigger on each table (audit migration 0004, chronology migration
0004) takes a transaction-level advisory lock, reads the last row's hash and sets the new row's `prev_hash` and
`hash`, so every writer is chained and none can forget or forge it. This module recomputes the chain in Python,
independently of the database's functions, and names the first entry that does not fit.

    hash = sha256(prev_hash + US + canonical text), hex; the first entry's prev_hash is 64 zeros
    canonical text = the content fields in a fixed order, each as "<length>:<text>", joined by US (\\x1f);
                     NULL as the empty text, timestamps in UTC as 2026-11-22T13:08:01.000123Z

The fields and their order are frozen with the SQL in those migrations: changing either is a new chain version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import models

from evolve.audit.models import AccessLogEntry
from evolve.chronology.models import ChronologyEntry

GENESIS = "0" * 64
SEPARATOR = "\x1f"
BATCH = 2000


def canonical_field(value: object) -> str:
    if value is None:
        text = ""
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("the hash chain needs aware timestamps")
        text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        text = str(value)
    return f"{len(text)}:{text}"


def entry_hash(prev_hash: str, values: Iterable[object]) -> str:
    canonical = SEPARATOR.join(canonical_field(value) for value in values)
    return hashlib.sha256(f"{prev_hash}{SEPARATOR}{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class Chain:
    key: str
    label: str
    model: type[models.Model]
    at_field: str
    fields: Sequence[str]  # the content hashed, in order: the same as the SQL in the migration


CHAINS: dict[str, Chain] = {
    "access_log": Chain(
        key="access_log",
        label="Access log",
        model=AccessLogEntry,
        at_field="at",
        fields=("id", "at", "user_id", "agency_id", "child_id", "action", "what", "where"),
    ),
    "chronology": Chain(
        key="chronology",
        label="Chronology",
        model=ChronologyEntry,
        at_field="recorded_at",
        fields=(
            "id",
            "child_id",
            "occurred_at",
            "recorded_at",
            "user_id",
            "agency_id",
            "kind",
            "summary",
            "rationale",
            "source_type",
            "source_id",
            "restricted_to_agency_id",
        ),
    ),
}


@dataclass(frozen=True)
class Verdict:
    chain: Chain
    entries: int  # checked, up to and including a broken one
    head: str  # the last entry's hash when intact: worth recording outside the database
    broken_id: int | None = None
    broken_at: datetime | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None

    def __str__(self) -> str:
        if self.intact:
            return f"{self.chain.label}: {self.entries} entries, chain intact (head {self.head})"
        at = self.broken_at.astimezone(UTC).isoformat() if self.broken_at else "no time"
        return f"{self.chain.label}: chain broken at entry {self.broken_id} ({at}): {self.reason}"


def verify_chain(chain: Chain, *, batch: int = BATCH) -> Verdict:
    """Walk the table in id order (a server-side cursor, `batch` rows at a time) and recompute every link."""
    rows = (
        chain.model._default_manager.order_by("id")
        .values_list("prev_hash", "hash", chain.at_field, *chain.fields)
        .iterator(chunk_size=batch)
    )
    expected_prev, previous_id, count = GENESIS, None, 0
    for prev_hash, stored_hash, at, *values in rows:
        count += 1
        entry_id = values[0]
        if prev_hash != expected_prev:
            if previous_id is None:
                reason = "it should begin the chain but links to an earlier entry: the entries before it are missing"
            else:
                reason = (
                    f"its link to the entry before it ({previous_id}) is broken: an entry between them is missing, "
                    f"or entry {previous_id} was rewritten with a new hash"
                )
            return Verdict(chain, count, "", entry_id, at, reason)
        if entry_hash(prev_hash, values) != stored_hash:
            return Verdict(chain, count, "", entry_id, at, "its content was altered after it was written")
        expected_prev, previous_id = stored_hash, entry_id
    return Verdict(chain, count, expected_prev)
