"""``python manage.py backup``: a backup of the database now, into both archive storages (R26)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from archive.backup import backup_create
from archive.storage import ArchiveError


class Command(BaseCommand):
    help = "Back the database up into both archive storages; prints the file name, size and SHA-256."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = backup_create(actor=None)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backup #{backup.pk}: {backup.name}")
        self.stdout.write(f"size: {backup.size} bytes")
        self.stdout.write(f"sha256: {backup.file.sha256}")
        self.stdout.write(f"{len(backup.row_counts)} tables, {backup.rows} rows, {len(backup.chain_heads)} journals")
