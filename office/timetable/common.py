"""What the timetable's services share: the permission check, date ranges, the lessons that have entries,
closed periods."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import office_scope
from attendance.models import Absence
from grading.models import MarkColumn
from journal.models import (
    Homework,
    Lesson,
    LessonNote,
    LessonStatus,
    PeriodLock,
    Weekday,
)

MAX_LESSON_NUMBER = 12
ONE_DAY = dt.timedelta(days=1)


def _d(day: dt.date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else "…"


def _weekday(number: int) -> str:
    return str(Weekday(number).label)


def _check_may(actor: User, school_id: int) -> None:
    """The second lock behind the views: only who runs the school's timetable writes here."""
    if school_id not in office_scope(actor).year:
        raise PermissionDenied(_("You do not run the timetable of this school."))


def _in_force(start: dt.date, end: dt.date | None, field_from: str = "start", field_to: str = "end") -> Q:
    """Rows whose [from, to] (open when empty) overlaps [start, end] (open when ``end`` is None)."""
    q = Q(**{f"{field_to}__isnull": True}) | Q(**{f"{field_to}__gte": start})
    if end is not None:
        q &= Q(**{f"{field_from}__lte": end})
    return q


def lessons_with_data() -> Q:
    """Lessons that somebody has already written into: a topic, a status other than planned, a transfer,
    mark columns, attendance, homework or remarks. Generation and clean-up never touch them."""
    return (
        ~Q(topic="")
        | ~Q(status=LessonStatus.PLANNED)
        | Q(moved_from_date__isnull=False)
        | Exists(MarkColumn.objects.filter(lesson_id=OuterRef("pk")))
        | Exists(Absence.objects.filter(lesson_id=OuterRef("pk")))
        | Exists(Homework.objects.filter(lesson_id=OuterRef("pk")))
        | Exists(LessonNote.objects.filter(lesson_id=OuterRef("pk")))
    )


def _locked_ranges(class_ids: Iterable[int]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Per class, the archived (closed) periods: nothing is generated, moved or cancelled there (R23)."""
    ranges: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for class_id, start, end in PeriodLock.objects.filter(school_class_id__in=list(class_ids)).values_list(
        "school_class_id", "period__start", "period__end"
    ):
        ranges[class_id].append((start, end))
    return ranges


def _lesson_locked(lesson: Lesson) -> bool:
    return PeriodLock.objects.filter(
        school_class__groups=lesson.group_id, period__start__lte=lesson.date, period__end__gte=lesson.date
    ).exists()
