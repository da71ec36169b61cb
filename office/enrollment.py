"""Enrollment movement (issue 7 §5, R27): admit, transfer between classes, leave the school — each by an
order with its number and date — and the class lists with every student's history.

The writes go through ``journal.services`` (``enrollment_admit`` / ``enrollment_transfer`` /
``enrollment_end``), which keep the whole-class group memberships in step, so the journal shows a
student from the day of admission and not after the last day. Nothing is deleted: an enrollment that
ends keeps its dates, reason and order. Every change writes a line of ``office.audit`` in the same
transaction.

The ``Enrollment`` model keeps one order text per end (``order_number`` / ``end_order_number``), so the
order's date is written into it («12-у от 20.11.2026»); the bare number and date are in the audit line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from journal.models import AcademicYear, Enrollment, EnrollmentReason, School, SchoolClass, Student
from journal.services import enrollment_admit, enrollment_end, enrollment_transfer

from .audit import record
from .models import ChangeRecord

ORDER_NUMBER_MAX = 30  # «<number> от dd.mm.yyyy» fits the model's 50 characters
LEAVE_ACTION = "leave"


def order_text(number: str, date: dt.date) -> str:
    """The order as the enrollment keeps it: «12-у от 20.11.2026»."""
    number = number.strip()
    if not number:
        raise ValidationError(_("Enter the number of the order."))
    if len(number) > ORDER_NUMBER_MAX:
        raise ValidationError(_("The order number is too long (at most %(n)s characters).") % {"n": ORDER_NUMBER_MAX})
    return _("%(number)s of %(date)s") % {"number": number, "date": f"{date:%d.%m.%Y}"}


def year_for(school: School, raw: str | None, today: dt.date) -> AcademicYear | None:
    """The year chosen by ``?year=`` among the school's, else the one running ``today``, else the latest
    that has begun, else the first."""
    years = list(AcademicYear.objects.filter(school=school).order_by("start"))
    chosen = next((y for y in years if str(y.pk) == (raw or "")), None)
    if chosen is not None or not years:
        return chosen
    running = [y for y in years if y.start <= today]
    return running[-1] if running else years[0]


# --- reading ----------------------------------------------------------------------------------------------


@dataclass
class RollRow:
    student: Student
    enrollment: Enrollment  # the enrollment in this class
    history: list[Enrollment] = field(default_factory=list)  # every enrollment of the student, oldest first


@dataclass
class ClassRoll:
    school_class: SchoolClass
    rows: list[RollRow] = field(default_factory=list)

    @property
    def studying(self) -> int:
        return sum(1 for r in self.rows if r.enrollment.end is None)


def movement_rolls(year: AcademicYear) -> list[ClassRoll]:
    """Each class of ``year`` with everyone who was enrolled in it during the year (those who left or
    moved too), and each one's whole history with orders and leaving reasons. Four queries, whatever
    the size of the school."""
    rolls = {c.pk: ClassRoll(c) for c in SchoolClass.objects.filter(year=year).order_by("grade", "letter")}
    in_year = Enrollment.objects.filter(school_class__year=year)
    history: dict[int, list[Enrollment]] = {}
    for e in (
        Enrollment.objects.filter(student_id__in=in_year.values("student_id"))
        .select_related("school_class__year")
        .order_by("start", "pk")
    ):
        history.setdefault(e.student_id, []).append(e)
    ended = [e.pk for rows in history.values() for e in rows if e.end_reason == EnrollmentReason.LEFT]
    reasons = dict(
        ChangeRecord.objects.filter(
            school_id=year.school_id,
            action=LEAVE_ACTION,
            object_type="enrollment",
            object_id__in=[str(pk) for pk in ended],
        ).values_list("object_id", "data__reason")
    )
    for rows in history.values():
        for e in rows:
            e.leave_reason = reasons.get(str(e.pk), "")
    for e in in_year.select_related("student").order_by(
        "student__last_name", "student__first_name", "student__patronymic", "start"
    ):
        mine = next(h for h in history[e.student_id] if h.pk == e.pk)
        rolls[e.school_class_id].rows.append(RollRow(e.student, mine, history[e.student_id]))
    return list(rolls.values())


def student_history(student: Student) -> list[Enrollment]:
    """Every enrollment of ``student``, oldest first, with ``leave_reason`` from the audit."""
    rows = list(student.enrollments.select_related("school_class__year").order_by("start", "pk"))
    reasons = dict(
        ChangeRecord.objects.filter(
            school_id=student.school_id,
            action=LEAVE_ACTION,
            object_type="enrollment",
            object_id__in=[str(e.pk) for e in rows],
        ).values_list("object_id", "data__reason")
    )
    for e in rows:
        e.leave_reason = reasons.get(str(e.pk), "")
    return rows


def readmittable_students(school: School):
    """Students of the school who study nowhere now and did not graduate: those who left, and those
    entered (e.g. imported) without a class."""
    return (
        Student.objects.filter(school=school)
        .exclude(enrollments__end__isnull=True)
        .exclude(enrollments__end_reason=EnrollmentReason.GRADUATED)
        .order_by("last_name", "first_name", "patronymic")
    )


# --- writing ----------------------------------------------------------------------------------------------


def _locked(student: Student) -> Student:
    # One movement of a student at a time: the second waits and then sees the first one's result.
    return Student.objects.select_for_update().get(pk=student.pk)


@transaction.atomic
def student_admit(
    *,
    actor,  # noqa: ANN001 - accounts.User
    school_class: SchoolClass,
    start: dt.date,
    order_number: str,
    order_date: dt.date,
    student: Student | None = None,
    last_name: str = "",
    first_name: str = "",
    patronymic: str = "",
    birth_date: dt.date | None = None,
    sex: str = "",
    personal_file_number: str = "",
) -> Enrollment:
    """Admit a new student (created from the given data) or one who left earlier (``student``) into
    ``school_class`` from ``start`` by the order. The student is in the class's whole-class groups, and
    so in its journal, from ``start``. Refuses, in Russian, a duplicate personal file number, a student
    who is still enrolled, a date outside the class's year."""
    school = school_class.year.school
    order = order_text(order_number, order_date)
    if student is None:
        personal_file_number = personal_file_number.strip()
        if not (last_name.strip() and first_name.strip() and personal_file_number and sex):
            raise ValidationError(_("Enter the surname, name, sex and personal file number of the new student."))
        same = Student.objects.filter(school=school, personal_file_number=personal_file_number).first()
        if same is not None:
            raise ValidationError(
                _("The personal file number %(number)s is already that of %(student)s.")
                % {"number": personal_file_number, "student": same.full_name}
            )
        student = Student.objects.create(
            school=school,
            last_name=last_name.strip(),
            first_name=first_name.strip(),
            patronymic=patronymic.strip(),
            birth_date=birth_date,
            sex=sex,
            personal_file_number=personal_file_number,
        )
        record(
            actor=actor,
            school=school,
            action="create",
            object_type="student",
            object_id=student.pk,
            summary=_("New student %(student)s, personal file %(number)s")
            % {"student": student.full_name, "number": personal_file_number},
        )
    else:
        if student.school_id != school.pk:
            raise ValidationError(_("The student and the class belong to different schools."))
        student = _locked(student)
    enrollment = enrollment_admit(
        actor=actor,
        student=student,
        school_class=school_class,
        start=start,
        order_number=order,
        reason=EnrollmentReason.ADMITTED,
    )
    record(
        actor=actor,
        school=school,
        action="admit",
        object_type="enrollment",
        object_id=enrollment.pk,
        summary=_("%(student)s admitted to %(class)s from %(date)s, order %(order)s")
        % {"student": student.full_name, "class": school_class.name, "date": f"{start:%d.%m.%Y}", "order": order},
        data={
            "student": student.pk,
            "class": school_class.pk,
            "start": start.isoformat(),
            **_order(order_number, order_date),
        },
    )
    return enrollment


@transaction.atomic
def student_transfer(
    *,
    actor,  # noqa: ANN001
    student: Student,
    to_class: SchoolClass,
    on: dt.date,
    order_number: str,
    order_date: dt.date,
) -> Enrollment:
    """Move ``student`` to ``to_class`` from ``on``: the old enrollment ends the day before with the
    reason «transferred» and the same order; the marks in the old class stay where they are."""
    if to_class.year.school_id != student.school_id:
        raise ValidationError(_("The student and the class belong to different schools."))
    order = order_text(order_number, order_date)
    student = _locked(student)
    enrollment = enrollment_transfer(actor=actor, student=student, to_class=to_class, on=on, order_number=order)
    record(
        actor=actor,
        school=student.school_id,
        action="transfer",
        object_type="enrollment",
        object_id=enrollment.pk,
        summary=_("%(student)s transferred to %(class)s from %(date)s, order %(order)s")
        % {"student": student.full_name, "class": to_class.name, "date": f"{on:%d.%m.%Y}", "order": order},
        data={"student": student.pk, "class": to_class.pk, "start": on.isoformat(), **_order(order_number, order_date)},
    )
    return enrollment


@transaction.atomic
def student_leave(
    *,
    actor,  # noqa: ANN001
    student: Student,
    last_day: dt.date,
    reason: str,
    order_number: str,
    order_date: dt.date,
) -> Enrollment:
    """The student leaves the school after ``last_day``: the enrollment that covers it ends then with
    the reason «left the school» and the order; the journal lists them up to that day and not after.
    ``reason`` (moved to another town, another school…) is kept in the audit line and shown in the
    history."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Enter why the student leaves the school."))
    order = order_text(order_number, order_date)
    student = _locked(student)
    current = (
        Enrollment.objects.filter(student=student, start__lte=last_day)
        .filter(Q(end__isnull=True) | Q(end__gte=last_day))
        .select_related("school_class")
        .first()
    )
    if current is None:
        raise ValidationError(
            _("%(student)s is not enrolled in any class on %(date)s.")
            % {"student": student.short_name, "date": f"{last_day:%d.%m.%Y}"}
        )
    later = Enrollment.objects.filter(student=student, start__gt=last_day).select_related("school_class").first()
    if later is not None:
        raise ValidationError(
            _("%(student)s is also enrolled in %(class)s from %(date)s: choose a day of that enrollment.")
            % {"student": student.short_name, "class": later.school_class.name, "date": f"{later.start:%d.%m.%Y}"}
        )
    enrollment_end(actor=actor, enrollment=current, end=last_day, reason=EnrollmentReason.LEFT, order_number=order)
    record(
        actor=actor,
        school=student.school_id,
        action=LEAVE_ACTION,
        object_type="enrollment",
        object_id=current.pk,
        summary=_("%(student)s left the school after %(date)s (%(class)s): %(reason)s, order %(order)s")
        % {
            "student": student.full_name,
            "date": f"{last_day:%d.%m.%Y}",
            "class": current.school_class.name,
            "reason": reason,
            "order": order,
        },
        data={"student": student.pk, "end": last_day.isoformat(), "reason": reason, **_order(order_number, order_date)},
    )
    return current


def _order(number: str, date: dt.date) -> dict:
    return {"order_number": number.strip(), "order_date": date.isoformat()}
