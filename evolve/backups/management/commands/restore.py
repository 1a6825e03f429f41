"""manage.py restore: a backup (the newest under BACKUP_DIR unless named) into the database and the stored files.

The database is restored into a new database and checked table by table against the backup's manifest before it
takes the configured name; the database it replaces is kept under another name, which the command prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evolve.backups.archive import BackupError, latest, restore


class Command(BaseCommand):
    help = "Restore a backup of the database and the stored files, checked against its manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", nargs="?", type=Path, help="the backup's folder (default: the newest)")
        parser.add_argument("--database", default=None, help="restore into this database instead of the configured")
        parser.add_argument(
            "--files",
            action="store_true",
            help="restore the stored files too when restoring into another database (a rehearsal leaves them alone)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            folder = options["backup"] or latest(Path(settings.BACKUP_DIR))
            done = restore(folder=folder, database=options["database"], files=True if options["files"] else None)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {folder} into {done.database}: {done.tables} tables, {done.rows} rows, {done.files} files,"
            " each checked against the backup's manifest."
        )
        if done.replaced:
            self.stdout.write(f"The database it replaced is kept as {done.replaced}; drop it once you are satisfied.")
