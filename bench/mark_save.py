"""Time a mark save through the service on the demo school (issue 3, point 9): p50 / p95 over N saves,
and the SQL statements per save.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> .venv/bin/python bench/mark_save.py [--n 400]

It uses `teacher`'s first lesson on the seed's "today" (pass --today if the database was seeded with
--today), adds one column, and then alternately creates and changes marks of the class — each save its
own transaction with its history event, committed, as in the lesson page. Run it on a throwaway copy:
the marks and events it writes stay (the history is append-only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from grading.models import WorkType  # noqa: E402
from grading.services import mark_column_add, mark_set  # noqa: E402
from journal.selectors import members_on, teacher_day  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--today", default=dt.date.today().isoformat())
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.today)
    noon = dt.datetime.combine(day, dt.time(12, 0), tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))
    with time_machine.travel(noon, tick=True):
        teacher = User.objects.get(username="teacher")
        lesson = next(row.lesson for row in teacher_day(teacher, day) if row.lesson and not row.is_substitution)
        work_type = WorkType.objects.get(school=lesson.group.year.school, name="Ответ на уроке")
        column = mark_column_add(actor=teacher, lesson=lesson, work_type=work_type, title="bench")
        students = list(members_on(lesson.group, day))
        versions: dict[int, int | None] = {s.pk: None for s in students}
        timings, queries = [], []
        for i in range(args.n):
            student = students[i % len(students)]
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                mark = mark_set(
                    actor=teacher,
                    column=column,
                    student=student,
                    text="45"[i // len(students) % 2],
                    expected_version=versions[student.pk],
                )
                timings.append((time.perf_counter() - started) * 1000)
            versions[student.pk] = mark.version
            queries.append(len(ctx.captured_queries))
    timings.sort()
    p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))]  # noqa: E731
    print(f"mark save via grading.services.mark_set: n={len(timings)} on {lesson} ({len(students)} students)")
    print(f"  p50 {p(0.50):.2f} ms   p95 {p(0.95):.2f} ms   max {timings[-1]:.2f} ms")
    print(f"  SQL statements per save: median {statistics.median(queries):.0f}, max {max(queries)}")


if __name__ == "__main__":
    main()
