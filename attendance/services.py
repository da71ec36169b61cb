"""Writes of absences (R8): the teacher marks who is absent or late at the lesson, the class teacher
(or a deputy) records the reason from documents. Every write appends its ``JournalEvent`` (R4)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Action, groups_for, lesson_write_mode
from grading.history import lesson_event
from grading.models import EventAction, EventObject, Mark
from journal.models import Lesson, LessonStatus, Student
from journal.services import REASON_REQUIRED, lesson_mark_held, student_on_lesson_check

from .models import Absence, AbsenceKind, AbsenceReason


def _snapshot(absence: Absence) -> dict:
    return {"kind": absence.kind, "minutes_late": absence.minutes_late, "reason": absence.reason}


def _check_can_mark(actor: User, lesson: Lesson, student: Student, reason: str) -> bool:
    """Returns whether this is a deputy's correction; raises when the write is not allowed."""
    correction = lesson_write_mode(actor, lesson) == "correction"
    if lesson.status == LessonStatus.CANCELLED:
        raise ValidationError(_("The lesson was cancelled: attendance is not taken."))
    today = timezone.localdate()
    if lesson.date > today:
        raise ValidationError(_("Attendance is taken on the day of the lesson, not ahead."))
    student_on_lesson_check(lesson, student)
    if (correction or today > lesson.date) and not reason:
        raise ValidationError(
            _("The lesson day is over: changing attendance needs a reason."), code=REASON_REQUIRED
        )  # R4, R5
    return correction


@transaction.atomic
def absence_set(
    *, actor: User, lesson: Lesson, student: Student, kind: str, minutes_late: int | None = None, reason: str = ""
) -> Absence:
    """Mark the student absent or late at the lesson (creating or changing the entry)."""
    reason = reason.strip()
    _check_can_mark(actor, lesson, student, reason)
    if kind not in AbsenceKind.values:
        raise ValidationError(_("Choose absent or late."))
    if kind == AbsenceKind.LATE:
        if minutes_late is not None and not 1 <= minutes_late <= 45:
            raise ValidationError(_("Lateness is from 1 to 45 minutes."))
    else:
        minutes_late = None
        if Mark.objects.filter(column__lesson=lesson, column__is_correction=False, student=student).exists():
            raise ValidationError(
                _("%(student)s has a mark for this lesson: remove it before marking the student absent.")
                % {"student": student.short_name}
            )
    absence = Absence.objects.select_for_update().filter(lesson=lesson, student=student).first()
    if absence is None:
        absence = Absence.objects.create(
            lesson=lesson, student=student, kind=kind, minutes_late=minutes_late, created_by=actor
        )
        old, action = None, EventAction.CREATE
    else:
        old = _snapshot(absence)
        if (absence.kind, absence.minutes_late) == (kind, minutes_late):
            return absence
        absence.kind, absence.minutes_late = kind, minutes_late
        absence.save(update_fields=["kind", "minutes_late", "updated_at"])
        action = EventAction.UPDATE
    lesson_mark_held(actor=actor, lesson=lesson)
    lesson_event(
        actor,
        lesson,
        action,
        EventObject.ABSENCE,
        absence.pk,
        student_id=student.pk,
        old=old,
        new=_snapshot(absence),
        reason=reason,
    )
    return absence


@transaction.atomic
def absence_clear(*, actor: User, lesson: Lesson, student: Student, reason: str = "") -> None:
    """The student was present after all: remove the entry (the history keeps it)."""
    reason = reason.strip()
    _check_can_mark(actor, lesson, student, reason)
    absence = Absence.objects.select_for_update().filter(lesson=lesson, student=student).first()
    if absence is None:
        return
    old = _snapshot(absence)
    absence_id = absence.pk
    absence.delete()
    lesson_event(
        actor,
        lesson,
        EventAction.DELETE,
        EventObject.ABSENCE,
        absence_id,
        student_id=student.pk,
        old=old,
        reason=reason,
    )


@transaction.atomic
def absence_reason_set(*, actor: User, absence: Absence, reason: str, note: str = "") -> Absence:
    """Record why the student was absent (R8: Б illness, У excused, Н unexcused) from a document —
    the class teacher of the student's class or a deputy."""
    if not groups_for(actor, Action.ABSENCE_REASONS).filter(pk=absence.lesson.group_id).exists():
        raise PermissionDenied(_("Only the class teacher or a deputy records absence reasons."))
    if reason not in AbsenceReason.values:
        raise ValidationError(_("Choose a reason: illness, excused or unexcused."))
    if absence.kind != AbsenceKind.ABSENT:
        raise ValidationError(_("Lateness has no reason to record."))
    old = _snapshot(absence)
    if absence.reason == reason and absence.note == note.strip():
        return absence
    absence.reason, absence.note = reason, note.strip()
    absence.reason_set_by, absence.reason_set_at = actor, timezone.now()
    absence.save(update_fields=["reason", "note", "reason_set_by", "reason_set_at", "updated_at"])
    lesson_event(
        actor,
        absence.lesson,
        EventAction.UPDATE,
        EventObject.ABSENCE,
        absence.pk,
        student_id=absence.student_id,
        old=old,
        new=_snapshot(absence),
        reason=absence.note,
        is_late=False,
    )
    return absence


@transaction.atomic
def absence_reasons_set_range(
    *, actor: User, student: Student, start: dt.date, end: dt.date, reason: str, note: str = ""
) -> int:
    """Record one reason (Б, У, Н) with its document for every absence of ``student`` from ``start`` to
    ``end`` inclusive (R8: «ill from Monday to Wednesday, certificate № …»), through
    :func:`absence_reason_set` — so each change is checked and written to the journal history — in one
    transaction: if any absence is refused, none is changed. Lateness (О) is left as it is.
    Returns how many absences changed."""
    if end < start:
        raise ValidationError(_("The end date is before the start date."))
    if (end - start).days > 92:
        raise ValidationError(_("Give a range of at most three months."))
    if reason not in AbsenceReason.values or reason == AbsenceReason.UNKNOWN:
        raise ValidationError(_("Choose a reason: illness, excused or unexcused."))
    absences = (
        Absence.objects.select_for_update(of=("self",))
        .filter(student=student, kind=AbsenceKind.ABSENT, lesson__date__gte=start, lesson__date__lte=end)
        .select_related("lesson")
        .order_by("lesson__date", "lesson__number", "pk")
    )
    changed = 0
    for absence in absences:
        before = (absence.reason, absence.note)
        absence_reason_set(actor=actor, absence=absence, reason=reason, note=note)
        changed += before != (absence.reason, absence.note)
    return changed
