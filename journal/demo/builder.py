"""Builds the demo district: school 1 with the fixed demo logins, school 2 with ``outsider``, and as
many more as asked, in one transaction, phase by phase with timings."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import models, transaction

from accounts.models import Consent, ParentLink, Role, StaffRole
from attendance.models import Absence
from grading.history import chain_verify
from grading.models import JournalEvent, Mark, MarkColumn, PeriodMark
from journal.models import Homework, Lesson, LessonNote, School, SchoolClass, Student, TeachingGroup

from .calendar import academic_start_year, build_calendar
from .context import SchoolBuild
from .journal_data import write_journal
from .lessons import create_lessons, create_plan_items
from .messages import create_demo_messages
from .roster import Roster
from .staffing import assign_class_teachers, create_staff, create_teachers, set_demo_passwords
from .structure import create_classes, create_groups, create_school, create_subjects
from .timetable import build_timetable

# Timestamps the seed sets itself, so that the demo's history happened on the lesson days.
HISTORICAL_FIELDS: tuple[tuple[type[models.Model], str], ...] = (
    (Lesson, "created_at"),
    (Lesson, "updated_at"),
    (Homework, "created_at"),
    (Homework, "updated_at"),
    (LessonNote, "created_at"),
    (MarkColumn, "created_at"),
    (Mark, "created_at"),
    (Mark, "updated_at"),
    (PeriodMark, "created_at"),
    (PeriodMark, "updated_at"),
    (Absence, "created_at"),
    (Absence, "updated_at"),
    (Consent, "recorded_at"),
)


@contextmanager
def historical_timestamps() -> Iterator[None]:
    """Switch off ``auto_now``/``auto_now_add`` on :data:`HISTORICAL_FIELDS` for the seed's own inserts
    (every row the seed creates of those models carries its timestamps); restored on exit."""
    saved = []
    for model, name in HISTORICAL_FIELDS:
        model_field = model._meta.get_field(name)
        saved.append((model_field, model_field.auto_now, model_field.auto_now_add))
        model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in saved:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


@dataclass
class BuildReport:
    schools: int
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    demo_logins: list[str] = field(default_factory=list)
    timetable_attempts: list[int] = field(default_factory=list)
    chains_checked: int = 0


class _Timer:
    def __init__(self, report: BuildReport) -> None:
        self.report = report

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.report.phases[name] = self.report.phases.get(name, 0.0) + time.perf_counter() - started


def build_school(ctx: SchoolBuild, timer: _Timer) -> list[str]:
    """Every phase of one school; returns the demo logins that got the demo password."""
    with timer.phase("school, calendar, subjects"):
        create_school(ctx)
        create_subjects(ctx)
        create_staff(ctx)
    with timer.phase("classes, students, groups"):
        create_classes(ctx)
        create_groups(ctx)
        roster = Roster(ctx)
        roster.create_students()
        roster.plan_movement()
        roster.save_students()
        roster.create_memberships()
    with timer.phase("teachers and assignments"):
        create_teachers(ctx)
        assign_class_teachers(ctx)
    with timer.phase("parents, logins, consent"):
        roster.create_families()
    with timer.phase("timetable"):
        weekly = build_timetable(ctx)
    with timer.phase("КТП and lessons"):
        create_plan_items(ctx)
        create_lessons(ctx, weekly)
    with timer.phase("marks, absences, homework, events"):
        write_journal(ctx)
    with timer.phase("demo passwords"):
        logins = set_demo_passwords(ctx)
    if ctx.is_demo:
        with timer.phase("demo messages"):
            ctx.counts["messages"] = create_demo_messages(ctx)
    return logins


def build_demo(
    *,
    schools: int,
    scale: float,
    seed: int,
    today: dt.date,
    log: Callable[[str], None] = lambda _message: None,
) -> BuildReport:
    """Build ``schools`` demo schools for the academic year containing ``today``, in one transaction.

    Deterministic: the same arguments always give the same data (apart from generated ids, password
    salts and unusable-password strings).
    """
    report = BuildReport(schools=schools)
    timer = _Timer(report)
    calendar = build_calendar(academic_start_year(today))
    started = time.perf_counter()
    with transaction.atomic(), historical_timestamps():
        for number in range(1, schools + 1):
            school_started = time.perf_counter()
            ctx = SchoolBuild(number=number, seed=seed, scale=scale, today=today, calendar=calendar)
            report.demo_logins += build_school(ctx, timer)
            report.timetable_attempts.append(ctx.counts.get("timetable_attempts", 0))
            log(
                f"School {number}/{schools} ({ctx.school.short_name}): {len(ctx.classes)} classes, "
                f"{ctx.counts.get('students', 0)} students, {ctx.counts.get('teachers', 0)} teachers, "
                f"{ctx.counts.get('lessons', 0)} lessons, {ctx.counts.get('marks', 0)} marks "
                f"in {time.perf_counter() - school_started:.1f} s"
            )
            if number == 1:
                with timer.phase("chain check (sample)"):
                    for group in ctx.groups[:: max(1, len(ctx.groups) // 5)]:
                        check = chain_verify(group.pk)
                        if not check.ok:
                            raise RuntimeError(f"history chain of group {group.pk} is broken at {check.first_bad_seq}")
                        report.chains_checked += 1
    report.seconds = time.perf_counter() - started
    return report


def row_counts() -> dict[str, int]:
    """What the database holds now, for the command's summary."""
    return {
        "schools": School.objects.count(),
        "classes": SchoolClass.objects.count(),
        "students": Student.objects.count(),
        "parents": ParentLink.objects.values("parent_id").distinct().count(),
        "teachers": StaffRole.objects.filter(role=Role.TEACHER).count(),
        "teaching groups": TeachingGroup.objects.count(),
        "lessons": Lesson.objects.count(),
        "marks": Mark.objects.count(),
        "absences": Absence.objects.count(),
        "period marks": PeriodMark.objects.count(),
        "homework": Homework.objects.count(),
        "journal events": JournalEvent.objects.count(),
    }
