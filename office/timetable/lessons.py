"""Lessons generated from the timetable, transfers and cancellations (issue 7 point 3)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from grading.history import lesson_event
from grading.models import EventAction, EventObject
from journal.models import (
    AcademicYear,
    AssignmentRole,
    GroupKind,
    Holiday,
    Homework,
    Lesson,
    LessonStatus,
    PeriodLock,
    SchoolClass,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)

from ..audit import record
from .common import (
    MAX_LESSON_NUMBER,
    _check_may,
    _d,
    _in_force,
    _lesson_locked,
    _locked_ranges,
)
from .slots import _same_split, _share_students

# --- lessons from the timetable ---------------------------------------------------------------------------


@dataclass
class GenerateResult:
    created: int = 0
    existing: int = 0  # already in the journal (whatever is in them, they were left alone)
    holidays: int = 0  # dates of holidays, vacations and quarantine
    locked: int = 0  # dates in archived periods
    moved_away: int = 0  # lessons transferred elsewhere: not put back at their old place


def _holiday_days(year: AcademicYear, start: dt.date, end: dt.date) -> list[Holiday]:
    return list(Holiday.objects.filter(year=year, start__lte=end, end__gte=start))


@transaction.atomic
def lessons_generate(
    *,
    actor: User,
    year: AcademicYear,
    period: StudyPeriod | None = None,
    classes: Sequence[SchoolClass] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> GenerateResult:
    """Create the missing lessons of the timetable for a period (or the whole year, or ``start``–``end``)
    of ``classes`` (every class of the year when None). Idempotent: a lesson already in the journal is
    never touched, whatever is in it; holidays (for the grades they concern), archived periods and the
    old places of transferred lessons are skipped. Each new lesson gets the teacher of that day: the
    substitute when a substitution is in force (marked as such), else the main teacher."""
    _check_may(actor, year.school_id)
    if year.is_closed:
        raise ValidationError(_("The academic year %(year)s is closed.") % {"year": year.name})
    if period is not None and period.year_id != year.pk:
        raise ValidationError(_("The period belongs to another year."))
    start = max(start or (period.start if period else year.start), year.start)
    end = min(end or (period.end if period else year.end), year.end)
    if end < start:
        raise ValidationError(_("The end date is before the start date."))
    class_qs = SchoolClass.objects.filter(year=year)
    if classes is not None:
        class_qs = class_qs.filter(pk__in=[c.pk for c in classes])
    class_grades = dict(class_qs.values_list("pk", "grade"))
    groups = {
        g.pk: g
        for g in TeachingGroup.objects.filter(year=year, classes__in=list(class_grades))
        .distinct()
        .prefetch_related("classes")
    }
    slots = list(
        TimetableSlot.objects.filter(
            _in_force(start, end, "valid_from", "valid_to"), group_id__in=list(groups)
        ).order_by("group_id", "weekday", "number")
    )
    holidays = _holiday_days(year, start, end)
    locked = _locked_ranges(class_grades)
    existing = set(
        Lesson.objects.filter(group_id__in=list(groups), date__gte=start, date__lte=end).values_list(
            "group_id", "date", "number"
        )
    )
    moved = set(
        Lesson.objects.filter(
            group_id__in=list(groups), moved_from_date__gte=start, moved_from_date__lte=end
        ).values_list("group_id", "moved_from_date", "moved_from_number")
    )
    assignments: dict[int, list[TeachingAssignment]] = defaultdict(list)
    for a in TeachingAssignment.objects.filter(_in_force(start, end), group_id__in=list(groups)).order_by(
        "role", "-start"
    ):
        assignments[a.group_id].append(a)

    def teacher_on(group_id: int, day: dt.date) -> tuple[int | None, bool]:
        in_force = [a for a in assignments[group_id] if a.is_active_on(day)]
        for a in in_force:
            if a.role == AssignmentRole.SUBSTITUTE:
                return a.teacher_id, True
        return (in_force[0].teacher_id if in_force else None), False

    result = GenerateResult()
    new: list[Lesson] = []
    for slot in slots:
        group = groups[slot.group_id]
        grades = [c.grade for c in group.classes.all()]
        class_ids = [c.pk for c in group.classes.all()]
        first = max(start, slot.valid_from)
        last = min(end, slot.valid_to or end)
        day = first + dt.timedelta(days=(slot.weekday - first.isoweekday()) % 7)
        while day <= last:
            key = (slot.group_id, day, slot.number)
            # A holiday stops a group when it concerns every class of the group (a stream across grades
            # goes on for the classes still at school).
            if any(h.start <= day <= h.end and all(h.applies_to_grade(g) for g in grades) for h in holidays):
                result.holidays += 1
            elif all(any(s <= day <= e for s, e in locked.get(c, [])) for c in class_ids) and class_ids:
                result.locked += 1
            elif key in existing:
                result.existing += 1
            elif key in moved:
                result.moved_away += 1
            else:
                teacher_id, substituted = teacher_on(slot.group_id, day)
                new.append(
                    Lesson(
                        group_id=slot.group_id,
                        date=day,
                        number=slot.number,
                        room=slot.room,
                        teacher_id=teacher_id,
                        is_substitution=substituted,
                        status=LessonStatus.PLANNED,
                    )
                )
                existing.add(key)
            day += dt.timedelta(days=7)
    # ignore_conflicts: a lesson another request created meanwhile stays as it is.
    Lesson.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    result.created = len(new)
    scope = ", ".join(c.name for c in class_qs.order_by("grade", "letter")) if classes is not None else _("all classes")
    record(
        actor=actor,
        school=year.school_id,
        action="create",
        object_type="lessons",
        summary=_("Lessons generated for %(scope)s, %(start)s–%(end)s: %(created)s new, %(existing)s already there")
        % {"scope": scope, "start": _d(start), "end": _d(end), "created": result.created, "existing": result.existing},
        data={"start": start.isoformat(), "end": end.isoformat(), **result.__dict__},
    )
    return result


# --- transfers and cancellations --------------------------------------------------------------------------


def _has_entries(lesson: Lesson) -> bool:
    return lesson.mark_columns.filter(marks__isnull=False).exists() or lesson.absences.exists()


def _lesson_clashes(lesson: Lesson, date: dt.date, number: int) -> list[str]:
    """What the lesson would meet at ``date``, ``number``: the same group, a lesson of its class (a
    whole-class group involved, not one split's subgroups), its teacher, its room."""
    group = lesson.group
    class_ids = set(group.classes.values_list("pk", flat=True))
    others = (
        Lesson.objects.filter(date=date, number=number, group__year__school_id=group.year.school_id)
        .exclude(pk=lesson.pk)
        .exclude(status=LessonStatus.CANCELLED)
        .select_related("group", "teacher")
        .prefetch_related("group__classes")
    )
    clashes = []
    when = _("%(date)s, lesson %(n)s") % {"date": _d(date), "n": number}
    # The group's own place is taken even by a cancelled lesson (one lesson per group, date and number).
    if Lesson.objects.filter(group=group, date=date, number=number).exclude(pk=lesson.pk).exists():
        clashes.append(_("%(group)s already has a lesson then: %(when)s.") % {"group": group.name, "when": when})
    for other in others:
        what = {"group": other.group.name, "when": when}
        other_classes = {c.pk for c in other.group.classes.all()}
        if other.group_id == group.pk:
            continue
        if class_ids & other_classes and not _same_split(group, other.group, class_ids, other_classes):
            if GroupKind.WHOLE_CLASS in (group.kind, other.group.kind) or _share_students(
                group.pk, other.group_id, date, date
            ):
                clashes.append(_("The class already has %(group)s then: %(when)s.") % what)
        if lesson.teacher_id and other.teacher_id == lesson.teacher_id:
            clashes.append(
                _("Teacher %(teacher)s teaches %(group)s then: %(when)s.")
                % {**what, "teacher": other.teacher.short_name}
            )
        if lesson.room and other.room and lesson.room.strip().casefold() == other.room.strip().casefold():
            clashes.append(_("Room %(room)s is taken by %(group)s then: %(when)s.") % {**what, "room": other.room})
    return clashes


@transaction.atomic
def lesson_transfer(*, actor: User, lesson: Lesson, date: dt.date, number: int, reason: str) -> Lesson:
    """Move a lesson not yet held to another date and lesson number. It remembers where it was
    (``moved_from_*``: the first place, when moved twice) and why; the diary says «перенесён с …».
    Homework due at the old place follows it. Refuses a held lesson, a holiday, an archived period and
    every clash of the class, the teacher or the room at the new place."""
    group = lesson.group
    year = group.year
    _check_may(actor, year.school_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the lesson is moved."))
    if lesson.status == LessonStatus.CANCELLED:
        raise ValidationError(_("The lesson is cancelled: it cannot be moved."))
    if _has_entries(lesson):
        raise ValidationError(_("The lesson has marks or attendance entries: it has taken place and stays."))
    if (date, number) == (lesson.date, lesson.number):
        raise ValidationError(_("The lesson is already there."))
    if not year.contains(date):
        raise ValidationError(
            _("The dates must lie inside the academic year %(year)s (%(start)s–%(end)s).")
            % {"year": year.name, "start": _d(year.start), "end": _d(year.end)}
        )
    if date.isoweekday() == 7:
        raise ValidationError(_("Sunday is not a school day."))
    if not 1 <= number <= MAX_LESSON_NUMBER:
        raise ValidationError(_("Lesson numbers go from 1 to %(max)s.") % {"max": MAX_LESSON_NUMBER})
    grades = list(group.classes.values_list("grade", flat=True))
    holiday = next(
        (h for h in _holiday_days(year, date, date) if grades and all(h.applies_to_grade(g) for g in grades)), None
    )
    if holiday is not None:
        raise ValidationError(_("%(date)s is a holiday: %(name)s.") % {"date": _d(date), "name": holiday.name})
    if (
        _lesson_locked(lesson)
        or PeriodLock.objects.filter(
            school_class__groups=group, period__start__lte=date, period__end__gte=date
        ).exists()
    ):
        raise ValidationError(_("The period is closed and archived: its lessons are not moved."))
    clashes = _lesson_clashes(lesson, date, number)
    if clashes:
        raise ValidationError(clashes, code="clash")
    old_date, old_number = lesson.date, lesson.number
    if lesson.moved_from_date is None:
        lesson.moved_from_date, lesson.moved_from_number = old_date, old_number
    lesson.date, lesson.number, lesson.status_note = date, number, reason[:300]
    lesson.save(update_fields=["date", "number", "moved_from_date", "moved_from_number", "status_note", "updated_at"])
    if not Lesson.objects.filter(group=group, date=old_date).exists():
        Homework.objects.filter(lesson__group=group, due_date=old_date).update(due_date=date)
    lesson_event(
        actor, lesson, EventAction.UPDATE, EventObject.LESSON_STATUS, lesson.pk,
        old={"date": old_date.isoformat(), "number": old_number},
        new={"date": date.isoformat(), "number": number}, reason=reason, is_late=False,
    )  # fmt: skip
    record(
        actor=actor,
        school=year.school_id,
        action="update",
        object_type="lesson",
        object_id=lesson.pk,
        summary=_("Lesson moved: %(group)s, %(old)s lesson %(old_n)s → %(new)s lesson %(new_n)s (%(reason)s)")
        % {
            "group": group.name,
            "old": _d(old_date),
            "old_n": old_number,
            "new": _d(date),
            "new_n": number,
            "reason": reason,
        },
    )
    return lesson


@transaction.atomic
def lesson_cancel(*, actor: User, lesson: Lesson, reason: str) -> Lesson:
    """Cancel a lesson by the office's decision, with the reason parents read in the diary. The same
    rule as the teacher's ``journal.services.lesson_cancel``: refused once it has marks or attendance.
    The office runs the timetable, not the journal, so it does not go through the journal's entry
    rights (an administrator may cancel; a deputy's cancellation is not a mark correction)."""
    group = lesson.group
    _check_may(actor, group.year.school_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the lesson is cancelled."))
    if _has_entries(lesson):
        raise ValidationError(_("The lesson has marks or attendance entries: remove them before cancelling it."))
    if _lesson_locked(lesson):
        raise ValidationError(_("The period is closed and archived: its lessons are not cancelled."))
    if lesson.status == LessonStatus.CANCELLED:
        return lesson
    old = {"status": lesson.status}
    lesson.status, lesson.status_note = LessonStatus.CANCELLED, reason[:300]
    lesson.save(update_fields=["status", "status_note", "updated_at"])
    lesson_event(
        actor, lesson, EventAction.UPDATE, EventObject.LESSON_STATUS, lesson.pk,
        old=old, new={"status": LessonStatus.CANCELLED}, reason=reason, is_late=False,
    )  # fmt: skip
    record(
        actor=actor,
        school=group.year.school_id,
        action="update",
        object_type="lesson",
        object_id=lesson.pk,
        summary=_("Lesson cancelled: %(group)s, %(date)s lesson %(n)s (%(reason)s)")
        % {"group": group.name, "date": _d(lesson.date), "n": lesson.number, "reason": reason},
    )
    return lesson
