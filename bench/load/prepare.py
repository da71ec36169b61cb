"""Prepare the morning-peak load test (issue 8, point 1) on a seeded demo district: sessions for the
simulated teachers and parents, and for every teacher's lessons of the day a mark column of its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/load/prepare.py --teachers 300 --parents 1500 [--today YYYY-MM-DD]

Writes ``bench/load/var/users.json`` (read by ``locustfile.py``) and ``bench/load/var/columns.json``
(read by ``verify.py``). Sessions are made the way ``login`` makes them (``django.contrib.auth.login``
stores the same three keys), so that the load test measures the pages, not Argon2 at the login form;
the login itself is part of the mix through the demo logins.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from accounts.models import ParentLink, Role, StaffRole, User  # noqa: E402
from attendance.models import Absence, AbsenceKind  # noqa: E402
from grading.models import Mark, WorkType  # noqa: E402
from grading.services import mark_column_add  # noqa: E402
from journal.selectors import members_on, teacher_day  # noqa: E402

VAR = Path(__file__).resolve().parent / "var"
TITLE = "Нагрузочный тест"  # + the run's time: every run has columns of its own


def _session(user: User) -> str:
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.JournalModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(60 * 60 * 12)
    store.create()
    return store.session_key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teachers", type=int, default=300)
    parser.add_argument("--parents", type=int, default=1500)
    parser.add_argument("--today", default=timezone.localdate().isoformat())
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.today)
    title = f"{TITLE} {timezone.localtime():%H:%M:%S}"
    VAR.mkdir(exist_ok=True)
    for old in VAR.glob("saves-*.jsonl"):
        old.unlink()  # the saves of an earlier run belong to its columns
    teachers, columns = [], []
    staff = (
        User.objects.filter(staff_roles__role=Role.TEACHER, is_active=True)
        .exclude(username__in=["teacher", "classteacher"])
        .distinct()
        .order_by("pk")
    )
    for user in staff.iterator():
        if len(teachers) >= args.teachers:
            break
        lessons = []
        for row in teacher_day(user, day):
            lesson = row.lesson
            if lesson is None or row.is_substitution:
                continue
            work_type = WorkType.objects.filter(school=lesson.group.year.school, name="Ответ на уроке").first()
            absent = set(
                Absence.objects.filter(lesson=lesson, kind=AbsenceKind.ABSENT).values_list("student_id", flat=True)
            )  # the seed's absences of the day: no mark for them in an ordinary column (R3)
            present = [s.pk for s in members_on(lesson.group, day) if s.pk not in absent]
            # Attendance is taken on three present students without a mark yet (a student with a mark
            # cannot be marked absent, R3); the marks go to the others.
            marked = set(Mark.objects.filter(column__lesson=lesson).values_list("student_id", flat=True))
            attend = [pk for pk in present if pk not in marked][-3:]
            students = [pk for pk in present if pk not in attend]
            if work_type is None or not students or not attend:
                continue
            try:
                column = mark_column_add(actor=user, lesson=lesson, work_type=work_type, title=title)
            except ValidationError:
                continue  # the first grade (R1), a cancelled lesson: no marks there
            lessons.append({"lesson": lesson.pk, "column": column.pk, "students": students, "attend": attend})
            columns.append(column.pk)
        if lessons:
            teachers.append({"user": user.username, "session": _session(user), "lessons": lessons})
    parents = []
    links = ParentLink.objects.select_related("parent").exclude(parent__username="parent").order_by("parent_id")
    seen = set()
    for link in links.iterator():
        if len(parents) >= args.parents:
            break
        if link.parent_id in seen or not link.parent.is_active:
            continue
        seen.add(link.parent_id)
        parents.append({"user": link.parent.username, "session": _session(link.parent)})
    schools = StaffRole.objects.filter(user__username__in=[t["user"] for t in teachers]).values("school").distinct()
    (VAR / "users.json").write_text(json.dumps({"day": day.isoformat(), "teachers": teachers, "parents": parents}))
    (VAR / "columns.json").write_text(json.dumps(columns))
    print(
        f"{len(teachers)} teachers ({sum(len(t['lessons']) for t in teachers)} lessons of {day}, "
        f"{schools.count()} schools), {len(parents)} parents -> {VAR / 'users.json'}"
    )


if __name__ == "__main__":
    main()
