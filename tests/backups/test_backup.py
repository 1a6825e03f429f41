"""ACCEPTANCE (issue 10): a backup of the database and the stored files restores into a fresh database exactly:
every table's row count and checksum, and every file's bytes. A restore that would not be exact changes nothing,
and a restore over an existing database keeps the one it replaced.

The backup reads this test's database from another process (pg_dump), so the test commits (`transaction=True`).
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from evolve.backups.archive import FILES, MANIFEST, _params, table_checksums
from evolve.people.models import Child
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _maintenance() -> psycopg.Connection[Any]:
    return psycopg.connect(**_params("postgres"), autocommit=True)


def _checksums(database: str) -> dict[str, Any]:
    with psycopg.connect(**_params(database)) as held, held.cursor() as cursor:
        return table_checksums(cursor)


@pytest.fixture
def databases_made() -> Iterator[list[str]]:
    """Names of the databases a test makes, dropped afterwards with any the restore kept (`<name>_replaced_...`)."""
    made: list[str] = []
    yield made
    with _maintenance() as maintenance:
        for name in made:
            rows = maintenance.execute(
                "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s", [name, f"{name}\\_%"]
            ).fetchall()
            for (found,) in rows:
                maintenance.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [found]
                )
                maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(found)))


@pytest.fixture
def stored(settings: Any, tmp_path: Path) -> dict[str, bytes]:
    """Three files in the private storage, in folders, as attachments and reports are kept."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    files = {
        "attachments/referral-letter.pdf": b"%PDF-1.7 a synthetic letter",
        "reports/2026-10/team-1.csv": b"Measure,Value\nReferrals,12\n",
        "minutes/meeting.pdf": bytes(range(256)) * 40,
    }
    for name, content in files.items():
        assert storages["private"].save(name, ContentFile(content)) == name
    return files


def _stored_now() -> dict[str, bytes]:
    storage = storages["private"]
    found: dict[str, bytes] = {}

    def walk(folder: str) -> None:
        folders, files = storage.listdir(folder)
        for name in files:
            path = f"{folder}/{name}" if folder else name
            with storage.open(path, "rb") as handle:
                found[path] = handle.read()
        for name in folders:
            walk(f"{folder}/{name}" if folder else name)

    walk("")
    return found


def test_a_backup_restores_into_a_fresh_database_with_every_row_and_file(
    stored: dict[str, bytes], tmp_path: Path, databases_made: list[str]
) -> None:
    team_user = UserFactory(username="backup-check")
    ChildFactory.create_batch(3, created_by=team_user)
    source = connection.settings_dict["NAME"]
    call_command("backup", into=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["tables"]["people_child"]["rows"] == 3
    assert set(manifest["files"]) == set(stored)

    # People go on working after the backup; the restore brings back the moment it was taken.
    ChildFactory(created_by=team_user)
    storages["private"].delete("minutes/meeting.pdf")
    storages["private"].save("minutes/meeting.pdf", ContentFile(b"written over"))
    storages["private"].save("reports/later.csv", ContentFile(b"made after the backup"))

    fresh = f"{source}_restored"
    databases_made.append(fresh)
    call_command("restore", str(folder), database=fresh, files=True)

    restored = _checksums(fresh)
    assert restored == manifest["tables"]
    assert restored["people_child"]["rows"] == 3 and restored["accounts_user"]["rows"] >= 1
    with psycopg.connect(**_params(fresh)) as held:
        row = held.execute("SELECT count(*) FROM accounts_user WHERE username = 'backup-check'").fetchone()
    assert row == (1,)
    assert _stored_now() == stored  # the changed file back as it was, the later one gone


def test_a_restore_that_would_not_be_exact_changes_nothing(
    stored: dict[str, bytes], tmp_path: Path, databases_made: list[str]
) -> None:
    ChildFactory.create_batch(2)
    call_command("backup", into=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["tables"]["people_child"]["rows"] = 5  # the manifest and the dump disagree
    (folder / MANIFEST).write_text(json.dumps(manifest))
    storages["private"].save("reports/later.csv", ContentFile(b"made after the backup"))

    fresh = f"{connection.settings_dict['NAME']}_never"
    databases_made.append(fresh)
    with pytest.raises(CommandError, match="people_child"):
        call_command("restore", str(folder), database=fresh)

    with _maintenance() as maintenance:
        left = maintenance.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{fresh}%"]).fetchall()
    assert left == []  # neither the database asked for nor the one being restored into
    assert "reports/later.csv" in _stored_now()  # the files were not touched


def test_a_restore_over_a_database_keeps_the_one_it_replaced(
    stored: dict[str, bytes], tmp_path: Path, databases_made: list[str], settings: Any
) -> None:
    ChildFactory.create_batch(2)
    call_command("backup", into=tmp_path / "backups")
    target = f"{connection.settings_dict['NAME']}_target"
    databases_made.append(target)
    with _maintenance() as maintenance:
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    with psycopg.connect(**_params(target), autocommit=True) as held:
        held.execute("CREATE TABLE written_before (note text)")

    settings.BACKUP_DIR = tmp_path / "backups"
    out = io.StringIO()
    call_command("restore", database=target, stdout=out)  # the newest backup in BACKUP_DIR

    assert _checksums(target)["people_child"]["rows"] == 2
    (replaced,) = re.findall(r"kept as (\S+);", out.getvalue())
    assert replaced.startswith(f"{target}_replaced_")
    assert "written_before" in _checksums(replaced)
    assert Child.objects.count() == 2  # the test's own database is untouched, and this process reconnects


def test_a_rehearsal_into_another_database_leaves_the_live_files_alone(
    stored: dict[str, bytes], tmp_path: Path, databases_made: list[str]
) -> None:
    call_command("backup", into=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    storages["private"].save("attachments/uploaded-after.pdf", ContentFile(b"%PDF-1.7 sent after the backup"))

    rehearsal = f"{connection.settings_dict['NAME']}_rehearsal"
    databases_made.append(rehearsal)
    call_command("restore", str(folder), database=rehearsal)

    assert _checksums(rehearsal) == json.loads((folder / MANIFEST).read_text())["tables"]
    assert _stored_now() == {**stored, "attachments/uploaded-after.pdf": b"%PDF-1.7 sent after the backup"}


def test_an_archive_missing_a_file_is_refused_before_anything_changes(
    stored: dict[str, bytes], tmp_path: Path, databases_made: list[str]
) -> None:
    call_command("backup", into=tmp_path / "backups")
    (folder,) = (tmp_path / "backups").iterdir()
    with tarfile.open(folder / FILES, "r") as archive:
        kept = [(member, archive.extractfile(member).read()) for member in archive.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(folder / FILES, "w") as archive:  # the tar cut short: one file lost
        for member, content in kept[1:]:
            archive.addfile(member, io.BytesIO(content))
    storages["private"].save("reports/later.csv", ContentFile(b"made after the backup"))
    target = f"{connection.settings_dict['NAME']}_cut_short"
    databases_made.append(target)

    with pytest.raises(CommandError, match="lacks files the manifest lists"):
        call_command("restore", str(folder), database=target, files=True)

    with _maintenance() as maintenance:
        assert not maintenance.execute("SELECT 1 FROM pg_database WHERE datname LIKE %s", [f"{target}%"]).fetchall()
    assert "reports/later.csv" in _stored_now()
