r"""Time the school office's imports (issue 7, point 4): N new students with a parent each, as the
secretary uploads them — the dry run (preview) and the real import, with their SQL statement counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> \
        .venv/bin/python bench/office_import.py [--rows 1000] [--xlsx]

Seed first (`manage.py migrate && manage.py seed_demo`). The real import runs in a transaction that is
rolled back, so the database is left as it was. Target on a 2-core machine: 1,000 rows in seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")

import django  # noqa: E402

django.setup()

import tablib  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, StaffRole  # noqa: E402
from journal.models import AcademicYear, School, SchoolClass  # noqa: E402
from office.imports import SHAPES, import_file  # noqa: E402


def _rows(classes: list[str], count: int) -> list[list[str]]:
    rows = []
    for n in range(count):
        row = {
            "Номер личного дела": f"BENCH-{n:05d}",
            "Фамилия": f"Тестов{n}",
            "Имя": "Ученик",
            "Дата рождения": "14.03.2015",
            "Пол": "м" if n % 2 else "ж",
            "Класс": classes[n % len(classes)],
            "Номер приказа": "99-у",
            "Родитель 1: фамилия": f"Тестова{n}",
            "Родитель 1: имя": "Мать",
            "Родитель 1: кем приходится": "мать",
            "Родитель 1: телефон": f"+7 900 {n:07d}",
        }
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--xlsx", action="store_true")
    args = parser.parse_args()
    school = School.objects.order_by("pk").first()
    if school is None:
        sys.exit("No school: run manage.py seed_demo first.")
    today = timezone.localdate()
    year = AcademicYear.objects.filter(school=school, start__lte=today, end__gte=today).first()
    year = year or AcademicYear.objects.filter(school=school).order_by("-start").first()
    secretary = StaffRole.objects.filter(school=school, role=Role.SECRETARY).select_related("user").first()
    actor = secretary.user if secretary else None
    classes = [c.name for c in SchoolClass.objects.filter(year=year, grade__in=[5, 6, 7])]
    shape = SHAPES["students"]
    dataset = tablib.Dataset(headers=shape.columns)
    for row in _rows(classes, args.rows):
        dataset.append([row.get(h, "") for h in shape.columns])
    if args.xlsx:
        content, name = dataset.export("xlsx"), "students.xlsx"
    else:
        content, name = ("\ufeff" + dataset.export("csv", delimiter=";")).encode(), "students.csv"
    print(f"{school.short_name}, {year.name}: {args.rows} students with a parent, {name}, {len(content):,} bytes")
    for dry_run in (True, False):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = import_file(
                actor=actor,
                school=school,
                year=year,
                resource_class=shape.resource,
                content=content,
                name=name,
                dry_run=dry_run,
            )
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
        what = "dry run (preview)" if dry_run else "import (rolled back)"
        errors = ""
        if result.has_errors:
            first = result.errors[:1] or [str(result.error_rows[0].__dict__)]
            errors = f", {result.count_error} row errors, e.g. {first[0]}"
        print(f"  {what:22} {seconds:6.2f} s  {len(queries):6,} queries  new {result.count_new}{errors}")


if __name__ == "__main__":
    main()
