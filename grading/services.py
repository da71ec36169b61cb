"""Writes of marks and mark columns. Every write checks the journal's rules (R1–R5), keeps the optimistic
version of the row, and appends its ``JournalEvent`` in the same transaction (R4).

Who may write is decided by ``accounts.permissions``: the group's teacher and a substitute on the
lessons substituted write; a deputy corrects (always with a reason). Views fetch the lesson through
``get_lesson_for`` (404 outside the scope); the services check again, so no other caller can bypass it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import LOCKED_MESSAGE, Action, groups_for, lesson_write_mode
from attendance.models import Absence, AbsenceKind
from journal.models import (
    Assessment,
    GroupMembership,
    Lesson,
    LessonStatus,
    MedicalGroup,
    PeriodKind,
    PeriodLock,
    Student,
    StudyPeriod,
    TeachingGroup,
)
from journal.selectors import members_on
from journal.services import REASON_REQUIRED, lesson_mark_held, student_on_lesson_check

from .history import EventData, event_append, events_append, lesson_event
from .models import EventAction, EventObject, Mark, MarkCode, MarkColumn, PeriodMark, PeriodMarkCode, WorkType


class MarkConflict(ValidationError):
    """The cell changed since the user loaded it (optimistic version); nothing was written."""

    def __init__(self, current: Mark | PeriodMark | None) -> None:
        self.current = current
        shown = current.display if current is not None else _("empty")
        super().__init__(
            _("Somebody has changed this mark in the meantime: it is now %(mark)s. Check it and save again.")
            % {"mark": shown},
            code="conflict",
        )


@dataclass(frozen=True)
class ParsedMark:
    value: int | None = None
    value2: int | None = None
    code: str = ""

    def as_dict(self) -> dict:
        return {"value": self.value, "value2": self.value2, "code": self.code}


_DIGITS = re.compile(r"([1-5])(?:/([1-5]))?")
_CODES = {"зач": MarkCode.PASS, "з": MarkCode.PASS, "незач": MarkCode.FAIL, "нз": MarkCode.FAIL,
          "осв": MarkCode.EXEMPT, "осв.": MarkCode.EXEMPT}  # fmt: skip


def mark_parse(text: str, *, lesson: Lesson, student: Student) -> ParsedMark:
    """Read what the teacher typed into a cell (R2): 1–5; «4/3» where the subject allows two marks;
    «зач» / «незач» in pass/fail subjects; «осв» for a student exempt from physical education."""
    typed = (text or "").strip().lower().replace(" ", "")
    subject = lesson.group.subject
    if typed in _CODES:
        code = _CODES[typed]
        if code == MarkCode.EXEMPT:
            if student.medical_group != MedicalGroup.EXEMPT:
                raise ValidationError(_("«осв» is only for a student exempt from physical education."))
        elif subject.assessment != Assessment.PASS_FAIL:
            raise ValidationError(_("«зач» and «незач» are only for pass/fail subjects."))
        return ParsedMark(code=code)
    match = _DIGITS.fullmatch(typed)
    if match is None:
        raise ValidationError(_("A mark is a number from 1 to 5 (for example 4, or 4/3 where two marks are allowed)."))
    if subject.assessment == Assessment.PASS_FAIL:
        raise ValidationError(_("This subject is pass/fail: type «зач» or «незач»."))
    value, value2 = int(match[1]), int(match[2]) if match[2] else None
    if value2 is not None and not subject.allows_double_mark:
        raise ValidationError(_("Two marks in one cell are only allowed in Russian language and literature."))
    return ParsedMark(value=value, value2=value2)


# --- the rules every mark write checks ------------------------------------------------------------------


def _check_lesson_takes_marks(lesson: Lesson, today: dt.date) -> None:
    first_grade = getattr(lesson, "wm_first_grade", None)  # read with the write mode (accounts.permissions)
    if first_grade is None:
        first_grade = any(school_class.grade == 1 for school_class in lesson.group.classes.all())
    if first_grade:
        raise ValidationError(_("Marks are not given in the first grade."))  # R1
    if lesson.status == LessonStatus.CANCELLED:
        raise ValidationError(_("The lesson was cancelled: it takes no marks."))
    if lesson.date > today:
        raise ValidationError(_("The lesson has not taken place yet: marks can be given from its day on."))


def _check_student_on_lesson(lesson: Lesson, student: Student, column: MarkColumn) -> None:
    """The student was in the lesson's group that day and, unless the column is a correction column,
    not absent from it (R3) — both read in one query."""
    on_lesson = GroupMembership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=lesson.date), group_id=lesson.group_id, student=student, start__lte=lesson.date
    )
    absent = Absence.objects.filter(lesson=lesson, student=student, kind=AbsenceKind.ABSENT)
    member, was_absent = (
        Student.objects.filter(pk=student.pk)
        .annotate(member=Exists(on_lesson), absent=Exists(absent))
        .values_list("member", "absent")
        .get()
    )
    if not member:
        student_on_lesson_check(lesson, student)  # raises the Russian message
    if not column.is_correction and was_absent:
        raise ValidationError(  # R3: the absent student's mark goes into a correction column
            _("%(student)s was absent from this lesson. Put the mark into a «коррекция» column.")
            % {"student": student.short_name}
        )


def mark_deadline(column: MarkColumn) -> dt.date:
    """The last day a new mark of this column counts as on time (R5): the lesson day for oral work,
    the work type's checking days for written work (by grade band)."""
    lesson = column.lesson
    work_type = column.work_type
    senior = any(school_class.grade >= 10 for school_class in lesson.group.classes.all())
    days = work_type.check_days_senior if senior else work_type.check_days_junior
    return lesson.date + dt.timedelta(days=days if work_type.is_written else 0)


# --- columns ------------------------------------------------------------------------------------------


@transaction.atomic
def mark_column_add(
    *, actor: User, lesson: Lesson, work_type: WorkType, title: str = "", is_correction: bool = False
) -> MarkColumn:
    """Add a column for one named piece of work at the lesson (R3). A «коррекция» column takes the
    marks of students absent from a control work."""
    lesson_write_mode(actor, lesson)
    today = timezone.localdate()
    _check_lesson_takes_marks(lesson, today)
    if work_type.school_id != lesson.group.year.school_id:
        raise ValidationError(_("This work type belongs to another school."))
    allowed = list(work_type.subjects.all())
    if allowed and lesson.group.subject not in allowed:
        raise ValidationError(
            _("«%(work)s» is not used in %(subject)s.") % {"work": work_type.name, "subject": lesson.group.subject}
        )
    column = MarkColumn.objects.create(
        lesson=lesson, work_type=work_type, title=title.strip(), is_correction=is_correction, created_by=actor
    )
    lesson_mark_held(actor=actor, lesson=lesson)
    lesson_event(
        actor,
        lesson,
        EventAction.CREATE,
        EventObject.COLUMN,
        column.pk,
        new={"work_type": work_type.pk, "title": column.title, "is_correction": is_correction},
        is_late=False,
    )
    return column


# --- marks --------------------------------------------------------------------------------------------


@transaction.atomic
def mark_set(
    *,
    actor: User,
    column: MarkColumn,
    student: Student,
    text: str,
    expected_version: int | None = None,
    reason: str = "",
) -> Mark:
    """Put what the teacher typed into the cell (column, student), creating or changing the mark.

    ``expected_version`` is the version the user saw (None for an empty cell); if the cell has changed
    since, :class:`MarkConflict` is raised and nothing is written. A change after the lesson day, a new
    mark past its deadline (R5) and every correction by a deputy need a ``reason``; late new marks are
    recorded as late.
    """
    lesson = column.lesson
    correction = lesson_write_mode(actor, lesson) == "correction"
    today = timezone.localdate()
    _check_lesson_takes_marks(lesson, today)
    _check_student_on_lesson(lesson, student, column)
    parsed = mark_parse(text, lesson=lesson, student=student)
    reason = reason.strip()

    mark = Mark.objects.select_for_update().filter(column=column, student=student).first()
    current_version = mark.version if mark is not None else None
    if current_version != expected_version:
        raise MarkConflict(mark)
    if correction and not reason:
        raise ValidationError(_("A correction needs a reason."), code=REASON_REQUIRED)  # R4

    if mark is None:
        is_late = today > mark_deadline(column)
        if is_late and not reason:
            raise ValidationError(
                _("The mark is entered after its deadline (%(date)s): give the reason of the late entry.")
                % {"date": f"{mark_deadline(column):%d.%m.%Y}"},
                code=REASON_REQUIRED,
            )
        mark = Mark.objects.create(
            column=column,
            student=student,
            value=parsed.value,
            value2=parsed.value2,
            code=parsed.code,
            created_by=actor,
            is_late=is_late,
            late_reason=reason if is_late else "",
        )
        old, action = None, EventAction.CREATE
    else:
        old = ParsedMark(mark.value, mark.value2, mark.code)
        if old == parsed:
            return mark  # typing the same mark again changes nothing and leaves no event
        if today > lesson.date and not reason:
            raise ValidationError(
                _("The lesson day is over: changing a mark needs a reason."), code=REASON_REQUIRED
            )  # R4
        mark.value, mark.value2, mark.code = parsed.value, parsed.value2, parsed.code
        mark.version += 1
        mark.save(update_fields=["value", "value2", "code", "version", "updated_at"])
        old, action = old.as_dict(), EventAction.UPDATE
        is_late = today > lesson.date
    lesson_mark_held(actor=actor, lesson=lesson)
    lesson_event(
        actor,
        lesson,
        action,
        EventObject.MARK,
        mark.pk,
        student_id=student.pk,
        old=old,
        new={**parsed.as_dict(), "column": column.pk},
        reason=reason,
        is_late=is_late,
    )
    return mark


@transaction.atomic
def mark_delete(*, actor: User, mark: Mark, expected_version: int, reason: str = "") -> None:
    """Remove a mark. After the lesson day (and for any deputy's correction) a reason is required (R4);
    the history keeps what it was."""
    column = mark.column
    lesson = column.lesson
    correction = lesson_write_mode(actor, lesson) == "correction"
    locked = Mark.objects.select_for_update().filter(pk=mark.pk).first()
    if locked is None or locked.version != expected_version:
        raise MarkConflict(locked)
    reason = reason.strip()
    if (correction or timezone.localdate() > lesson.date) and not reason:
        raise ValidationError(_("Removing a mark after the lesson day needs a reason."), code=REASON_REQUIRED)
    old = ParsedMark(locked.value, locked.value2, locked.code).as_dict()
    locked.delete()
    lesson_event(
        actor,
        lesson,
        EventAction.DELETE,
        EventObject.MARK,
        mark.pk,
        student_id=mark.student_id,
        old={**old, "column": column.pk},
        reason=reason,
    )


@transaction.atomic
def control_work_fill(*, actor: User, column: MarkColumn, text: str, reason: str = "") -> list[Mark]:
    """Give every present student of the lesson who has no mark in ``column`` the mark ``text`` (R3:
    a mandatory control work marks every present student). Absent students are left for the
    «коррекция» column. Returns the marks created; one event each, appended in one batch."""
    lesson = column.lesson
    correction = lesson_write_mode(actor, lesson) == "correction"
    today = timezone.localdate()
    _check_lesson_takes_marks(lesson, today)
    if column.is_correction:
        raise ValidationError(_("A «коррекция» column is filled student by student."))
    if correction and not reason.strip():
        raise ValidationError(_("A correction needs a reason."), code=REASON_REQUIRED)
    absent = set(Absence.objects.filter(lesson=lesson, kind=AbsenceKind.ABSENT).values_list("student_id", flat=True))
    marked = set(column.marks.values_list("student_id", flat=True))
    students = [s for s in members_on(lesson.group, lesson.date) if s.pk not in absent | marked]
    if not students:
        return []
    parsed = mark_parse(text, lesson=lesson, student=students[0])
    is_late = today > mark_deadline(column)
    if is_late and not reason.strip():
        raise ValidationError(
            _("The marks are entered after their deadline: give the reason of the late entry."), code=REASON_REQUIRED
        )
    marks = Mark.objects.bulk_create(
        Mark(
            column=column,
            student=student,
            value=parsed.value,
            value2=parsed.value2,
            code=parsed.code,
            created_by=actor,
            is_late=is_late,
            late_reason=reason.strip() if is_late else "",
        )
        for student in students
    )
    lesson_mark_held(actor=actor, lesson=lesson)
    events_append(
        lesson.group_id,
        [
            EventData(
                actor_id=actor.pk,
                action=EventAction.CREATE,
                object_type=EventObject.MARK,
                object_id=mark.pk,
                lesson_id=lesson.pk,
                student_id=mark.student_id,
                new={**parsed.as_dict(), "column": column.pk},
                reason=reason.strip(),
                is_late=is_late,
            )
            for mark in marks
        ],
    )
    return marks


# --- period marks (R7) -------------------------------------------------------------------------------------

_PERIOD_CODES = {"н/а": PeriodMarkCode.NOT_ASSESSED, "на": PeriodMarkCode.NOT_ASSESSED, **{
    k: v for k, v in _CODES.items()
}}  # fmt: skip


def period_mark_window(period: StudyPeriod) -> tuple[dt.date, dt.date]:
    """When period marks are set on time (R7): from the last week of the period to its marks deadline
    (two days after the period when the school set none)."""
    return period.end - dt.timedelta(days=6), period.marks_deadline or period.end + dt.timedelta(days=2)


@transaction.atomic
def period_mark_set(
    *,
    actor: User,
    group: TeachingGroup,
    student: Student,
    period: StudyPeriod,
    text: str,
    deferred: bool = False,
    expected_version: int | None = None,
    reason: str = "",
) -> PeriodMark:
    """Set the student's mark for a quarter / half / year in the group (R7): 1–5, «н/а», «зач»/«незач»,
    «осв»; ``deferred`` for a student who missed over half the lessons (the mark is «н/а» until set).

    Only the group's own teacher sets it (never a substitute); a deputy corrects with a reason. Before
    the last week of the period it is refused; after the deadline it needs a reason; changing a set
    mark needs a reason too. Optimistic version as for marks.
    """
    reason = reason.strip()
    if groups_for(actor, Action.PERIOD_MARKS).filter(pk=group.pk).exists():
        correction = False
    elif groups_for(actor, Action.CORRECT).filter(pk=group.pk).exists():
        correction = True
    else:
        raise PermissionDenied(_("Only the group's teacher sets period marks."))
    classes = list(group.classes.all())
    if any(c.grade == 1 for c in classes):
        raise ValidationError(_("Marks are not given in the first grade."))  # R1
    if not correction and PeriodLock.objects.filter(period=period, school_class__in=classes).exists():
        raise ValidationError(LOCKED_MESSAGE)  # archived: only a deputy's correction (issue 6)
    if period.year_id != group.year_id or (
        period.kind != PeriodKind.YEAR and any(c.period_kind != period.kind for c in classes)
    ):
        raise ValidationError(_("This period is not one of the group's periods."))
    if not GroupMembership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=period.start), group=group, student=student, start__lte=period.end
    ).exists():
        raise ValidationError(
            _("%(student)s did not study in this group in that period.") % {"student": student.short_name}
        )
    opens, deadline = period_mark_window(period)
    today = timezone.localdate()
    if today < opens and not correction:
        raise ValidationError(
            _("Period marks are set from %(date)s, the last week of the period.") % {"date": f"{opens:%d.%m.%Y}"}
        )
    typed = (text or "").strip().lower().replace(" ", "")
    if deferred:
        value, code = None, PeriodMarkCode.NOT_ASSESSED
    elif typed in _PERIOD_CODES:
        value, code = None, _PERIOD_CODES[typed]
        if code in (PeriodMarkCode.PASS, PeriodMarkCode.FAIL) and group.subject.assessment != Assessment.PASS_FAIL:
            raise ValidationError(_("«зач» and «незач» are only for pass/fail subjects."))
        if code == PeriodMarkCode.EXEMPT and student.medical_group != MedicalGroup.EXEMPT:
            raise ValidationError(_("«осв» is only for a student exempt from physical education."))
    elif typed in {"1", "2", "3", "4", "5"}:
        if group.subject.assessment == Assessment.PASS_FAIL:
            raise ValidationError(_("This subject is pass/fail: type «зач» or «незач»."))
        value, code = int(typed), ""
    else:
        raise ValidationError(_("A period mark is 1–5, «н/а», or «зач»/«незач» in pass/fail subjects."))

    mark = PeriodMark.objects.select_for_update().filter(group=group, student=student, period=period).first()
    if (mark.version if mark else None) != expected_version:
        raise MarkConflict(mark)
    late = today > deadline
    if (correction or late or mark is not None) and not reason:
        raise ValidationError(
            _("Give a reason: the deadline (%(date)s) has passed, or the period mark is being changed.")
            % {"date": f"{deadline:%d.%m.%Y}"},
            code=REASON_REQUIRED,
        )
    new = {"value": value, "code": code, "is_deferred": deferred, "period": period.pk}
    if mark is None:
        mark = PeriodMark.objects.create(
            group=group, student=student, period=period, value=value, code=code, is_deferred=deferred, created_by=actor
        )
        old, action = None, EventAction.CREATE
    else:
        old = {"value": mark.value, "code": mark.code, "is_deferred": mark.is_deferred, "period": period.pk}
        if old == new:
            return mark
        mark.value, mark.code, mark.is_deferred = value, code, deferred
        mark.version += 1
        mark.save(update_fields=["value", "code", "is_deferred", "version", "updated_at"])
        action = EventAction.UPDATE
    event_append(
        group.pk,
        EventData(
            actor_id=actor.pk,
            action=action,
            object_type=EventObject.PERIOD_MARK,
            object_id=mark.pk,
            student_id=student.pk,
            old=old,
            new=new,
            reason=reason,
            is_late=late,
        ),
    )
    return mark
