"""manage.py backup: the database and the stored files into a new folder under BACKUP_DIR (or --into)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evolve.backups.archive import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the stored files, with a manifest of row counts and checksums."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--into", type=Path, default=None, help="the folder to keep backups in")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            folder = backup(into=options["into"] or Path(settings.BACKUP_DIR))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up to {folder}")
