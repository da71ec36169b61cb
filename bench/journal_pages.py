"""Time the teacher's pages on the demo school (issue 3, point 9): the journal grid, the lesson page and a
mark save through the cell endpoint — p50 / p95 over N requests through Django's test client (the whole
request: session, user, permissions, queries, rendering; no network) and the SQL statements of each —
and compare the grid with the single raw SQL query that fetches the same cells.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> .venv/bin/python bench/journal_pages.py [--n 300]

Seed the database first (`manage.py migrate && manage.py seed_demo`); pass --today if it was seeded with
--today. Run it on a throwaway copy: the mark saves it times stay (the history is append-only).
Targets on a 2-core machine: grid (28 × 45) p50 ≤ 25 ms with ≤ 10 queries; lesson page p50 ≤ 20 ms;
mark save p50 ≤ 15 ms.
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
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from grading.models import MarkColumn, WorkType  # noqa: E402
from grading.services import mark_column_add  # noqa: E402
from journal.grid import period_on  # noqa: E402
from journal.models import Lesson, LessonStatus, StudyPeriod  # noqa: E402
from journal.selectors import members_on, teacher_day  # noqa: E402

RAW_GRID_SQL = """
SELECT l.id, l.date, l.number, c.id, w.short_name, w.weight, m.student_id, m.value, m.value2, m.code, m.version,
       a.student_id, a.kind
FROM journal_lesson l
LEFT JOIN grading_markcolumn c ON c.lesson_id = l.id
LEFT JOIN grading_worktype w ON w.id = c.work_type_id
LEFT JOIN grading_mark m ON m.column_id = c.id
LEFT JOIN attendance_absence a ON a.lesson_id = l.id
WHERE l.group_id = %s AND l.date BETWEEN %s AND %s AND l.status <> 'cancelled'
ORDER BY l.date, l.number, c.id
"""


def timed(label: str, n: int, call, *, queries: bool = True) -> float:  # noqa: ANN001
    """Run ``call`` n times; print p50 / p95 / max and the statements of one call; return the p50."""
    call()  # warm caches and connections
    timings = []
    statements = []
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        statements.append(len(ctx.captured_queries))
    timings.sort()
    p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))]  # noqa: E731
    sql = f"   SQL statements: {statistics.median(statements):.0f}" if queries else ""
    print(f"{label:<44} n={n}  p50 {p(0.5):6.2f} ms   p95 {p(0.95):6.2f} ms   max {timings[-1]:6.2f} ms{sql}")
    return p(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--today", default=dt.date.today().isoformat())
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.today)
    noon = dt.datetime.combine(day, dt.time(12, 0), tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))
    with time_machine.travel(noon, tick=True):
        teacher = User.objects.get(username="teacher")
        client = Client()
        client.force_login(teacher)

        # The grid: the teacher's group with the most lessons in the current period.
        today_lesson = next(row.lesson for row in teacher_day(teacher, day) if row.lesson and not row.is_substitution)
        group = today_lesson.group
        periods = list(StudyPeriod.objects.filter(year_id=group.year_id).order_by("start"))
        period = period_on(periods, day)
        lessons = Lesson.objects.filter(group=group, date__gte=period.start, date__lte=period.end).exclude(
            status=LessonStatus.CANCELLED
        )
        n_lessons = lessons.count()
        n_columns = MarkColumn.objects.filter(lesson__in=lessons).count()
        n_students = members_on(group, day).count()
        stats = lessons.aggregate(marks=Count("mark_columns__marks"))
        print(f"demo school, {day}: {group} — {period}, {n_students} students × {n_lessons} lessons")
        print(f"  ({n_columns} mark columns, {stats['marks']} marks; teacher {teacher.short_name})")
        print()
        grid_url = f"/journal/groups/{group.pk}/?period={period.pk}"
        assert client.get(grid_url).status_code == 200

        def grid() -> None:
            response = client.get(grid_url)
            assert response.status_code == 200

        grid_p50 = timed("grid page GET " + grid_url, args.n, grid)

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute(RAW_GRID_SQL, [group.pk, period.start, period.end])
                cursor.fetchall()

        raw_p50 = timed("raw SQL of the same cells (one query)", args.n, raw, queries=False)
        print(f"{'':<44} grid / raw SQL = {grid_p50 / raw_p50:.1f}×")

        lesson_url = f"/journal/lessons/{today_lesson.pk}/"

        def lesson_page() -> None:
            assert client.get(lesson_url).status_code == 200

        timed("lesson page GET " + lesson_url, args.n, lesson_page)

        # Mark saves through the htmx cell endpoint: alternately create and change a mark of each student.
        work_type = WorkType.objects.get(school=group.year.school, name="Ответ на уроке")
        column = mark_column_add(actor=teacher, lesson=today_lesson, work_type=work_type, title="bench")
        students = list(members_on(group, day))
        versions: dict[int, str] = {s.pk: "" for s in students}
        counter = {"i": 0}
        cell_url = f"/journal/lessons/{today_lesson.pk}/cell/"

        def save() -> None:
            i = counter["i"]
            counter["i"] += 1
            student = students[i % len(students)]
            value = "45"[i // len(students) % 2]
            response = client.post(
                cell_url,
                {"column": column.pk, "student": student.pk, "value": value, "version": versions[student.pk]},
            )
            assert response.status_code == 200, response.content[:300]
            versions[student.pk] = str(int(versions[student.pk] or 0) + 1)

        timed("mark save POST " + cell_url, args.n, save)


if __name__ == "__main__":
    main()
