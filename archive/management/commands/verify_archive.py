"""``python manage.py verify_archive``: the archive's integrity check now (R25); exit 1 if damage remains."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from archive.storage import verify_all


class Command(BaseCommand):
    help = "Re-hash both copies of every archived file, repair bad copies from the intact one, report."

    def handle(self, *args: Any, **options: Any) -> None:
        check = verify_all()
        self.stdout.write(
            f"Integrity check #{check.pk}: {check.files} files, {check.damaged} damaged and {check.missing} "
            f"missing copies, {check.repaired} repaired, {check.lost} without an intact copy."
        )
        for item in check.details:
            if not item["repaired"]:
                self.stderr.write(f"NOT REPAIRED: {item}")
        if not check.ok:
            self.stderr.write(self.style.ERROR("Some damage could not be repaired; the administrators were told."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("OK"))
