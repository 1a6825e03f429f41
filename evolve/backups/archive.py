"""Backing up and restoring the database and the stored files together, and proving the copy is exact.

A backup is a folder: `database.dump` (pg_dump's custom format), `files.tar` (every file in the private storage:
attachments, minutes, reports, exports) and `manifest.json` (each table's row count and checksum, each file's
SHA-256). The dump and the manifest come from one exported snapshot, so the manifest describes exactly what was
dumped even while people go on working.

A restore never overwrites the only copy: it restores into a new database, checks every table against the manifest,
and only then puts it in place, renaming the database it replaces (kept, for the operator to drop once satisfied).
The files are written back and checked against their SHA-256; files the backup did not hold are removed, so the
storage holds exactly what it held when the backup was taken.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess  # pg_dump and pg_restore, with argument lists, never a shell
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection
from psycopg import sql

MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files.tar"


class BackupError(Exception):
    """The backup could not be taken or restored, or the restored copy does not match: the message says which part."""


@dataclass(frozen=True)
class Restored:
    database: str
    replaced: str | None  # the name the previous database was kept under, if there was one
    tables: int
    rows: int
    files: int


def _params(database: str | None = None) -> dict[str, Any]:
    db = settings.DATABASES["default"]
    params = {
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "dbname": database or db["NAME"],
    }
    return {key: value for key, value in params.items() if value}


def _environment(database: str) -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore: the password never appears on a command line."""
    params = _params(database)
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE"}
    return {**os.environ, **{names[key]: value for key, value in params.items()}}


def _run(command: list[str], database: str) -> None:
    done = subprocess.run(command, env=_environment(database), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def table_checksums(cursor: Any) -> dict[str, dict[str, Any]]:
    """Each table of the public schema: its row count and an MD5 over its rows in a fixed order (the rows' text
    forms, sorted), so two databases agree only if they hold the same rows."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        " ORDER BY table_name"
    )
    tables = [row[0] for row in cursor.fetchall()]
    found: dict[str, dict[str, Any]] = {}
    for table in tables:
        cursor.execute(
            sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) FROM {} t"
            ).format(sql.Identifier(table))
        )
        rows, checksum = cursor.fetchone()
        found[table] = {"rows": rows, "checksum": checksum}
    return found


def _storage() -> Storage:
    return storages["private"]


def _walk(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # the folder was never made: nothing stored yet
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from _walk(storage, f"{folder}/{name}" if folder else name)


def backup(*, into: Path) -> Path:
    """Take a backup into a new folder under `into`; returns the folder."""
    folder = into / datetime.now(tz=UTC).strftime("evolve-%Y%m%d-%H%M%S-%f")
    folder.mkdir(parents=True, exist_ok=False)
    database = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(**_params(), autocommit=True) as held:
        # One snapshot for the dump and the manifest, held open until both are done.
        held.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = held.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot = row[0]
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={folder / DUMP}"], database)
        with held.cursor() as cursor:
            tables = table_checksums(cursor)
        held.execute("ROLLBACK")
    storage = _storage()
    files: dict[str, str] = {}
    with tarfile.open(folder / FILES, "w") as archive:
        for name in _walk(storage):
            with storage.open(name, "rb") as stored:
                content = stored.read()
            files[name] = hashlib.sha256(content).hexdigest()
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    manifest = {
        "taken_at": datetime.now(tz=UTC).isoformat(),
        "database": database,
        "tables": tables,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    for path in folder.iterdir():
        path.chmod(0o600)  # the records are OFFICIAL-SENSITIVE, as in the storage they came from
    return folder


def latest(into: Path) -> Path:
    found = sorted(path for path in into.glob("evolve-*") if (path / MANIFEST).exists())
    if not found:
        raise BackupError(f"No backup in {into}")
    return found[-1]


def _maintenance() -> psycopg.Connection[Any]:
    return psycopg.connect(**_params("postgres"), autocommit=True)


def _exists(maintenance: psycopg.Connection[Any], name: str) -> bool:
    return maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _differences(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    return [
        f"{table}: {found.get(table)} where the backup holds {want}"
        for table, want in sorted(expected.items())
        if found.get(table) != want
    ] + [f"{table}: not in the backup" for table in sorted(set(found) - set(expected))]


def restore(*, folder: Path, database: str | None = None, files: bool | None = None) -> Restored:
    """Restore the backup in `folder` into `database` (the configured one if None) and, when `files` (by default only
    when restoring into the configured database: a rehearsal into another must not touch the live files), the
    private storage. Everything is checked before anything live changes."""
    manifest = json.loads((folder / MANIFEST).read_text())
    configured = settings.DATABASES["default"]["NAME"]
    target = database or configured
    with_files = target == configured if files is None else files
    if with_files:
        _check_files(folder, manifest["files"])  # the whole archive, before a single stored file is touched
    stamp = datetime.now(tz=UTC).strftime("%Y%m%d%H%M%S")
    incoming = f"{target}_restoring_{stamp}"
    connection.close()  # this process's own connection must not hold the database being replaced
    with _maintenance() as maintenance:
        maintenance.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(incoming)))
        try:
            _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={incoming}", str(folder / DUMP)], incoming)
            with psycopg.connect(**_params(incoming)) as restored, restored.cursor() as cursor:
                problems = _differences(manifest["tables"], table_checksums(cursor))
            if problems:
                raise BackupError("The restored database does not match the backup:\n" + "\n".join(problems))
            replaced = _swap(maintenance, target=target, incoming=incoming, stamp=stamp)
        except BaseException:
            maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(incoming)))
            raise
    restored_files = _restore_files(folder, manifest["files"]) if with_files else 0
    tables = manifest["tables"]
    return Restored(
        database=target,
        replaced=replaced,
        tables=len(tables),
        rows=sum(table["rows"] for table in tables.values()),
        files=restored_files,
    )


def _swap(maintenance: psycopg.Connection[Any], *, target: str, incoming: str, stamp: str) -> str | None:
    """Give `incoming` the name `target`, keeping the database it replaces under another name. New connections to the
    target are refused first (the app's and the workers' would otherwise reconnect at once and block the rename);
    if the second rename fails, the first is undone, so the configured name always names a whole database."""
    if not _exists(maintenance, target):
        _rename(maintenance, incoming, target)
        return None
    replaced = f"{target}_replaced_{stamp}"
    maintenance.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(target)))
    try:
        maintenance.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [target],
        )
        _rename(maintenance, target, replaced)
    finally:
        kept = replaced if _exists(maintenance, replaced) else target
        maintenance.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(kept)))
    try:
        _rename(maintenance, incoming, target)
    except BaseException:
        _rename(maintenance, replaced, target)
        raise
    return replaced


def _rename(maintenance: psycopg.Connection[Any], old: str, new: str) -> None:
    maintenance.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def _check_files(folder: Path, expected: dict[str, str]) -> None:
    """Every file the manifest lists is in the archive, nothing else is, and each matches its SHA-256."""
    with tarfile.open(folder / FILES, "r") as archive:
        found: set[str] = set()
        for member in archive.getmembers():
            if member.name not in expected or not member.isfile():
                raise BackupError(f"{FILES} holds {member.name!r}, which the manifest does not list")
            extracted = archive.extractfile(member)
            assert extracted is not None
            if hashlib.sha256(extracted.read()).hexdigest() != expected[member.name]:
                raise BackupError(f"{member.name}: its checksum does not match the manifest")
            found.add(member.name)
    missing = sorted(set(expected) - found)
    if missing:
        raise BackupError(f"{FILES} lacks files the manifest lists: {', '.join(missing[:10])}")


def _restore_files(folder: Path, expected: dict[str, str]) -> int:
    """Write every file back under its own name (the archive was checked whole by `_check_files`), check each again as
    written, and remove the files the backup did not hold."""
    storage = _storage()
    with tarfile.open(folder / FILES, "r") as archive:
        for member in archive.getmembers():
            if member.name not in expected or not member.isfile():
                raise BackupError(f"{FILES} holds {member.name!r}, which the manifest does not list")
            extracted = archive.extractfile(member)
            assert extracted is not None
            content = extracted.read()
            if hashlib.sha256(content).hexdigest() != expected[member.name]:
                raise BackupError(f"{member.name}: its checksum does not match the manifest")
            if storage.exists(member.name):
                storage.delete(member.name)
            saved = storage.save(member.name, ContentFile(content))
            if saved != member.name:
                raise BackupError(f"{member.name} was stored as {saved}")
    for name in list(_walk(storage)):
        if name not in expected:
            storage.delete(name)
    return len(expected)
