"""Time the deputy's reports (issue 5, point 7): the monthly journal analysis and the summary sheet of
marks of every school of a seeded database, and of the whole district together — each computed as the
Celery task computes it (``compute(school, params, progress)``), with its SQL statement count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> .venv/bin/python bench/reports.py [--month 2026-11]

Seed first (`manage.py migrate && manage.py seed_demo [--schools 20]`). Read only. Targets on a 2-core
machine: one school ≤ 2 s, a 20-school district ≤ 40 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from journal.grid import period_on  # noqa: E402
from journal.models import School, StudyPeriod  # noqa: E402
from reports.registry import KINDS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    parser.add_argument("--month", default=f"{last_month:%Y-%m}")
    args = parser.parse_args()
    schools = list(School.objects.order_by("pk"))
    day = dt.date.fromisoformat(f"{args.month}-15")
    for code in ("monthly", "marks_summary"):
        try:
            compute = import_string(KINDS[code].compute)
        except ImportError:
            print(f"{code}: not built yet")
            continue
        total = 0.0
        for school in schools:
            if code == "monthly":
                params = {"month": args.month}
            else:
                in_year = StudyPeriod.objects.filter(year__school=school, kind="quarter", year__start__lte=day)
                periods = list(in_year)
                period = period_on(periods, day)
                params = {"period": period.pk}
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                document = compute(school, params, lambda _p: None)
                seconds = time.perf_counter() - started
            total += seconds
            rows = sum(len(t.rows) for t in document.tables)
            if school.pk == schools[0].pk or len(schools) <= 3:
                print(f"{code:<14} {school.short_name:<14} {seconds:6.2f} s  {len(ctx.captured_queries):4d} statements"
                      f"  {rows} rows")  # fmt: skip
        print(f"{code:<14} all {len(schools)} schools: {total:6.2f} s")


if __name__ == "__main__":
    main()
