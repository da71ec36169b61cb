"""``python manage.py health [--json]``: the health of the running configuration, one line per check.

    OK    database              postgresql answers (database journal)
    FAIL  worker                no Celery worker answered within 1.5 s: is journal-worker running?

Checks the database and its migrations, the broker, the workers, Celery beat's heartbeat, every storage
the journal writes to, the signing certificate and the backups (journal/health.py). Exit status 1 when
any check fails, 0 otherwise (warnings included), for monitoring and for the end of an install script.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, no_translations

from journal.health import FAIL, WARN, run_checks


class Command(BaseCommand):
    help = "Check the database, broker, workers, beat, storages, signing certificate and backups; exit 1 on failure."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    @no_translations  # for the system administrator: English, like the other commands
    def handle(self, *args: Any, **options: Any) -> None:
        checks = run_checks()
        failed = [c for c in checks if c.status == FAIL]
        warned = [c for c in checks if c.status == WARN]
        if options["json"]:
            body = {"ok": not failed, "checks": [c.as_dict() for c in checks]}
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            styles = {FAIL: self.style.ERROR, WARN: self.style.WARNING}
            for check in checks:
                label = styles.get(check.status, str)(f"{check.status.upper():<4}")
                self.stdout.write(f"{label}  {check.name:<22}{check.detail}")
            summary = f"{len(checks)} checks: {len(failed)} failed, {len(warned)} with a warning."
            self.stdout.write(self.style.ERROR(summary) if failed else self.style.SUCCESS(summary))
        if failed:
            raise SystemExit(1)
