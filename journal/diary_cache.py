"""What families read most, cached (issue 8: the 8 a.m. peak; bench/RESULTS.md): the diary week, the
marks page and each child's card on the family's home.

Parents read the diary many times for every change a teacher makes, and building a week is ~11 queries
and rendering it most of the rest of the page's CPU. Each is cached *rendered*, per (student, page and
its arguments, language), under the *version stamps* of what it is made of: one stamp per teaching group
of the student (that week's; for the marks page and the card every group the student was ever in) and
one per school. Who reads it is not part of it: the page around it (the child switcher, the
confirmation of the week, the top bar) is rendered for every request.

Every write that can change a diary renews the stamps it touches: every history event (each mark,
absence, topic, homework and period mark change appends one, and ``grading.history.events_append``
renews the group's stamp); through model signals a lesson (status, transfer, room), a remark, a homework
file, a mark column, a timetable slot, a membership (the group's stamp), an enrollment, a holiday, a bell,
a period, a work type, a student (their name) and a class — its name, its class teacher (the school's).
Bulk writes that send no signals (seeding, imports, lessons generated from the timetable) are covered by
the short lifetime of a cached page, ``TTL``; the class teacher's appointment renews the school's stamp
itself.

Correctness does not depend on timing: the stamps are renewed when the write happens and again after its
commit, so a week built from the database in between is stored under a stamp nobody asks for later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

TTL = 300  # seconds a built page is kept at most
# Part of every key: change it whenever what is cached changes shape (a class renamed or moved, a template
# split), so that the processes of a new release never unpickle what an old one stored.
SHAPE = "2"
STAMP_TTL = 60 * 60 * 24 * 7


@dataclass(frozen=True)
class Rendered:
    """A page's own part, rendered once for all its readers and cached here, and what the page around it
    needs to know of it."""

    html: str
    class_name: str = ""
    monday: dt.date | None = None

    @property
    def safe_html(self) -> str:
        return mark_safe(self.html)  # noqa: S308 (rendered by our own template, escaped there)


def _prefix() -> str:
    return getattr(settings, "DIARY_CACHE_PREFIX", "diary:")


def _group_key(group_id: int) -> str:
    return f"{_prefix()}g:{group_id}"


def _school_key(school_id: int) -> str:
    return f"{_prefix()}s:{school_id}"


def bump(group_ids: Iterable[int | None] = (), school_ids: Iterable[int | None] = ()) -> None:
    """New stamps for these groups and schools: now, and again once the current transaction commits (a
    week built from the database between the two is stored under the middle stamp, never asked for)."""
    keys = [_group_key(g) for g in set(group_ids) if g] + [_school_key(s) for s in set(school_ids) if s]
    if not keys:
        return

    def renew() -> None:
        cache.set_many({k: uuid.uuid4().hex for k in keys}, timeout=STAMP_TTL)

    renew()
    transaction.on_commit(renew)


def _stamps(keys: list[str]) -> list[str]:
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    for key in missing:
        cache.add(key, uuid.uuid4().hex, timeout=STAMP_TTL)  # the first to add wins
    if missing:
        found.update(cache.get_many(missing))
    return [str(found.get(k, uuid.uuid4().hex)) for k in keys]


def cached(student: Any, what: str, group_ids: Iterable[int], build: Callable[[], Any]) -> Any:
    """``build()``, or what it gave before for this student and ``what`` (the page and its arguments) while
    nothing in the student's school and in ``group_ids`` has changed since."""
    keys = [_school_key(student.school_id)] + [_group_key(g) for g in sorted(set(group_ids))]
    digest = hashlib.sha256("|".join([*keys, *_stamps(keys)]).encode()).hexdigest()[:32]
    key = f"{_prefix()}{what}:{SHAPE}:{student.pk}:{get_language()}:{digest}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=TTL)
    return value


def cached_week(student: Any, day: dt.date, build: Callable[[], Any]) -> Any:
    """The diary week of ``day`` (what ``build()`` gives for it): under the groups of the week."""
    from .diary import DAYS, monday_of
    from .models import GroupMembership

    monday = monday_of(day)
    saturday = monday + dt.timedelta(days=DAYS - 1)
    group_ids = (
        GroupMembership.objects.filter(student=student, start__lte=saturday)
        .filter(Q(end__isnull=True) | Q(end__gte=monday))
        .values_list("group_id", flat=True)
    )
    return cached(student, f"w:{day.isoformat()}", group_ids, build)


def _groups_ever(student: Any) -> Iterable[int]:
    """Every group the student was ever a member of: a period, or the latest marks, reach back to groups
    left months ago."""
    from .models import GroupMembership

    return GroupMembership.objects.filter(student=student).values_list("group_id", flat=True)


def cached_marks(student: Any, day: dt.date, period: str, build: Callable[[], Any]) -> Any:
    """The marks page on ``day`` for ``period`` (as asked: empty is the current one)."""
    return cached(student, f"m:{day.isoformat()}:{period[:20]}", _groups_ever(student), build)


def cached_child_card(student: Any, day: dt.date, build: Callable[[], Any]) -> Any:
    """The child's card on the family's home for ``day`` (lessons of the day, latest marks of any group)."""
    return cached(student, f"h:{day.isoformat()}", _groups_ever(student), build)


# --- what changes a diary ---------------------------------------------------------------------------------


def _group_of_lesson(lesson_id: int | None) -> int | None:
    from .models import Lesson

    if not lesson_id:
        return None
    return Lesson.objects.filter(pk=lesson_id).values_list("group_id", flat=True).first()


def _on_group_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump(group_ids=[instance.group_id])


def _on_lesson_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump(group_ids=[_group_of_lesson(instance.lesson_id)])


def _on_homework_file(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .models import Homework

    lesson_id = Homework.objects.filter(pk=instance.homework_id).values_list("lesson_id", flat=True).first()
    bump(group_ids=[_group_of_lesson(lesson_id)])


def _on_school_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump(school_ids=[instance.school_id])


def _on_year_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .models import AcademicYear

    bump(school_ids=[AcademicYear.objects.filter(pk=instance.year_id).values_list("school_id", flat=True).first()])


def _on_enrollment(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump(school_ids=[instance.student.school_id])


def connect() -> None:
    """Called by ``JournalConfig.ready``."""
    from grading.models import MarkColumn, WorkType

    from .models import (
        Bell,
        Enrollment,
        GroupMembership,
        Holiday,
        Homework,
        HomeworkAttachment,
        Lesson,
        LessonNote,
        SchoolClass,
        Student,
        StudyPeriod,
        TimetableSlot,
    )

    receivers = [
        (Lesson, _on_group_row),
        (TimetableSlot, _on_group_row),
        (GroupMembership, _on_group_row),
        (LessonNote, _on_lesson_row),
        (Homework, _on_lesson_row),
        (MarkColumn, _on_lesson_row),
        (HomeworkAttachment, _on_homework_file),
        (Bell, _on_school_row),
        (Holiday, _on_year_row),
        (StudyPeriod, _on_year_row),
        (Enrollment, _on_enrollment),
        (SchoolClass, _on_year_row),  # its name and class teacher are on the pages
        (Student, _on_school_row),  # the child's name is on the home card
        (WorkType, _on_school_row),  # its name and weight are on both pages
    ]
    for model, receiver in receivers:
        uid = f"diary-cache-{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + "-delete")
