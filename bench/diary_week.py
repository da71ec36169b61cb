"""Time the diary on the demo school (issue 4, point 8): the week page and the marks-by-subject page of
the demo parent's child — p50 / p95 over N requests through Django's test client (session, user,
permissions, queries, rendering; no network) and their SQL statements — and compare the week with one
raw SQL query that fetches the same student's week (lessons, marks, absences, homework).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> .venv/bin/python bench/diary_week.py [--n 300]

Seed the database first (`manage.py migrate && manage.py seed_demo`); pass --today if it was seeded with
--today. Read only: it changes nothing. Target on a 2-core machine: the week p50 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.permissions import students_for  # noqa: E402
from journal.diary import monday_of  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journal_pages import timed  # noqa: E402

RAW_WEEK_SQL = """
SELECT l.id, l.date, l.number, l.topic, l.status, s.name, u.last_name, m.value, m.value2, m.code, w.name, w.weight,
       a.kind, a.reason, h.text, h.due_date
FROM journal_groupmembership gm
JOIN journal_teachinggroup g ON g.id = gm.group_id
JOIN journal_subject s ON s.id = g.subject_id
JOIN journal_lesson l ON l.group_id = g.id AND l.date BETWEEN %(monday)s AND %(saturday)s
LEFT JOIN accounts_user u ON u.id = l.teacher_id
LEFT JOIN grading_markcolumn c ON c.lesson_id = l.id
LEFT JOIN grading_worktype w ON w.id = c.work_type_id
LEFT JOIN grading_mark m ON m.column_id = c.id AND m.student_id = gm.student_id
LEFT JOIN attendance_absence a ON a.lesson_id = l.id AND a.student_id = gm.student_id
LEFT JOIN journal_homework h ON h.lesson_id = l.id
WHERE gm.student_id = %(student)s AND gm.start <= l.date AND (gm."end" IS NULL OR gm."end" >= l.date)
ORDER BY l.date, l.number
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--today", default=dt.date.today().isoformat())
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.today)
    noon = dt.datetime.combine(day, dt.time(12, 0), tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))
    with time_machine.travel(noon, tick=True):
        parent = User.objects.get(username="parent")
        child = students_for(parent).order_by("last_name").first()
        client = Client()
        client.force_login(parent)
        monday = monday_of(day)
        print(f"demo school, {day}: the diary of {child} (parent {parent.short_name}), week of {monday}")
        print()
        for label, url in [
            ("diary week GET", f"/diary/?child={child.pk}"),
            ("diary marks by subject GET", f"/diary/marks/?child={child.pk}"),
            ("diary timetable GET", f"/diary/timetable/?child={child.pk}"),
        ]:
            assert client.get(url).status_code == 200
            p50 = timed(f"{label} {url}", args.n, lambda url=url: client.get(url))
            if label == "diary week GET":
                week_p50 = p50

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    RAW_WEEK_SQL, {"monday": monday, "saturday": monday + dt.timedelta(days=5), "student": child.pk}
                )
                cursor.fetchall()

        raw_p50 = timed("raw SQL of the same week (one query)", args.n, raw, queries=False)
        print(f"{'':<44} week / raw SQL = {week_p50 / raw_p50:.1f}×")


if __name__ == "__main__":
    main()
