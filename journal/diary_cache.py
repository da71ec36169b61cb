"""The diary week, cached (issue 8: the 8 a.m. peak; bench/RESULTS.md).

Parents read the diary many times for every change a teacher makes, and building a week is ~11 queries
and most of the page's CPU. A week is cached per (student, day asked, language) under the *version
stamps* of what it is made of: one stamp per teaching group of the student that week and one per school.
Every write that can change a diary renews the stamps it touches: every history event (each mark,
absence, topic, homework and period mark change appends one, and ``grading.history.events_append``
renews the group's stamp); through model signals a lesson (status, transfer, room), a remark, a homework
file, a mark column, a timetable slot, a membership (the group's stamp), an enrollment, a holiday, a bell
and a period (the school's). Bulk writes that send no signals (seeding, imports, lessons generated from
the timetable) are covered by the short lifetime of a cached week, ``TTL``.

Correctness does not depend on timing: the stamps are renewed when the write happens and again after its
commit, so a week built from the database in between is stored under a stamp nobody asks for later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language

TTL = 300  # seconds a built week is kept at most
STAMP_TTL = 60 * 60 * 24 * 7


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


def cached_week(student: Any, day: dt.date, build: Callable[[Any, dt.date], Any]) -> Any:
    """``build(student, day)``, or the same week from the cache while nothing in it has changed."""
    from .diary import DAYS, monday_of
    from .models import GroupMembership

    monday = monday_of(day)
    saturday = monday + dt.timedelta(days=DAYS - 1)
    group_ids = sorted(
        set(
            GroupMembership.objects.filter(student=student, start__lte=saturday)
            .filter(Q(end__isnull=True) | Q(end__gte=monday))
            .values_list("group_id", flat=True)
        )
    )
    keys = [_school_key(student.school_id)] + [_group_key(g) for g in group_ids]
    digest = hashlib.sha256("|".join([*keys, *_stamps(keys)]).encode()).hexdigest()[:32]
    key = f"{_prefix()}w:{student.pk}:{day.isoformat()}:{get_language()}:{digest}"
    week = cache.get(key)
    if week is None:
        week = build(student, day)
        cache.set(key, week, timeout=TTL)
    return week


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
    from grading.models import MarkColumn

    from .models import (
        Bell,
        Enrollment,
        GroupMembership,
        Holiday,
        Homework,
        HomeworkAttachment,
        Lesson,
        LessonNote,
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
    ]
    for model, receiver in receivers:
        uid = f"diary-cache-{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + "-delete")
