"""``python manage.py restore <backup id or file name> --database-url <url>``: restore into an EMPTY database.

Prints every difference between the restored database and what the backup recorded; exit 1 if any."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.backup import backup_restore, safe_url
from archive.models import Backup
from archive.storage import ArchiveError


class Command(BaseCommand):
    help = "Restore a backup into an empty database and check every table's rows and the history chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="the backup's id or file name")
        parser.add_argument("--database-url", required=True, help="the EMPTY database to restore into")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["backup"]
        found = Backup.objects.filter(pk=int(key)) if key.isdigit() else Backup.objects.filter(name=key)
        backup = found.select_related("file").first()
        if backup is None:
            raise CommandError(f"No backup {key!r}.")
        try:
            result = backup_restore(backup, options["database_url"], actor=None)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        target = safe_url(options["database_url"])
        if not result.ok:
            for difference in result.differences:
                self.stderr.write(difference)
            self.stderr.write(self.style.ERROR(f"Restored into {target} WITH {len(result.differences)} differences."))
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup #{backup.pk} restored into {target}: {result.tables} tables, {result.rows} rows and "
                f"{len(result.census.chain_heads)} history chains, all as recorded."
            )
        )
