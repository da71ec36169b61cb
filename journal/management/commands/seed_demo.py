"""``manage.py seed_demo``: a deterministic, realistic demo school (or district) for the current year.

The data is built by :mod:`journal.demo`; this command parses the options, refuses a database that
already holds a school, and prints the timings and row counts.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings

from journal.demo.builder import build_demo, row_counts
from journal.demo.people import DEMO_PASSWORD
from journal.models import School

DEFAULT_TIME_ZONE = "Europe/Moscow"


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today must be a date like 2026-11-23, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Build a deterministic demo school for the academic year containing --today: classes, students "
        "with parents, teachers, timetable, lessons with topics, homework, marks, absences and period "
        f"marks, with the demo logins (password {DEMO_PASSWORD}). Needs an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schools", type=int, default=2, help="How many schools (default 2: school 2 holds 'outsider')."
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Size of each school; 1.0 is ~25 classes and ~600 students."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--today", type=_date, default=None, help="The date the data runs up to (default: today in Moscow)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (successfully) when the database has a school."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schools = int(options["schools"])
        scale = float(options["scale"])
        seed = int(options["seed"])
        today = (
            _date(options["today"])
            if options["today"]
            else dt.datetime.now(zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)).date()
        )
        if schools < 1:
            raise CommandError("--schools must be at least 1.")
        if not 0.05 <= scale <= 20:
            raise CommandError("--scale must be between 0.05 and 20.")
        if School.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has a school: seed_demo --if-empty leaves it as it is.")
                return
            raise CommandError(
                "The database already holds a school. seed_demo only fills a fresh database: the journal "
                "history is append-only (on PostgreSQL a trigger refuses to delete it), so existing data "
                "cannot be flushed. Create a new database (for SQLite delete var/db.sqlite3), run "
                "`manage.py migrate`, then seed_demo again."
            )

        self.stdout.write(f"Seeding {schools} school(s) at scale {scale} with seed {seed}, up to {today:%d.%m.%Y}…")
        # DEBUG would format and keep every one of the seed's big INSERTs in connection.queries.
        with override_settings(DEBUG=False):
            report = build_demo(schools=schools, scale=scale, seed=seed, today=today, log=self.stdout.write)
        # Fresh statistics after a bulk load: without them PostgreSQL plans the journal's queries for
        # empty tables (sequential scans of every mark) until autovacuum happens to run.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write("")
        self.stdout.write("Phases (seconds, all schools):")
        for name, seconds in report.phases.items():
            self.stdout.write(f"  {name:<36} {seconds:8.1f}")
        self.stdout.write(f"  {'total':<36} {report.seconds:8.1f}")
        self.stdout.write("")
        self.stdout.write("Rows:")
        for name, count in row_counts().items():
            self.stdout.write(f"  {name:<36} {count:>10,}".replace(",", " "))
        self.stdout.write("")
        if schools < 2:
            self.stdout.write(self.style.WARNING("Only one school: the 'outsider' login (school 2) was not created."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo logins (password {DEMO_PASSWORD}): {', '.join(report.demo_logins)}. "
                f"Hash chains verified on {report.chains_checked} sample groups."
            )
        )
