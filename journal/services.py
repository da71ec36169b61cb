"""Writes on the school structure: enrollment and the group memberships that follow it.

Whole-class groups mirror the class's enrollment (DESIGN.md §3): admitting a student to a class makes
them a member of every whole-class group of that class from that day; leaving or transferring ends
those memberships on the last day. Subgroups, streams and individual plans are formed explicitly.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from grading.history import EventData, event_append
from grading.models import EventAction, EventObject

from .models import (
    Enrollment,
    EnrollmentReason,
    GroupKind,
    GroupMembership,
    Lesson,
    LessonStatus,
    SchoolClass,
    Student,
    TeachingGroup,
)


def _overlapping(student: Student, start: dt.date, end: dt.date | None, exclude_pk: int | None = None):
    qs = Enrollment.objects.filter(student=student).filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        qs = qs.filter(start__lte=end)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs


@transaction.atomic
def enrollment_admit(
    *,
    actor,  # noqa: ANN001 - accounts.User; journal must not import accounts
    student: Student,
    school_class: SchoolClass,
    start: dt.date,
    order_number: str = "",
    reason: str = EnrollmentReason.ADMITTED,
) -> Enrollment:
    """Enroll ``student`` in ``school_class`` from ``start`` and add them to its whole-class groups.

    Refuses (ValidationError in Russian) a class of another school, a date outside the class's year,
    and an enrollment that overlaps one the student already has.
    """
    year = school_class.year
    if student.school_id != year.school_id:
        raise ValidationError(_("The student and the class belong to different schools."))
    if not year.contains(start):
        raise ValidationError(
            _("The date %(date)s is outside the academic year %(year)s.") % {"date": f"{start:%d.%m.%Y}", "year": year}
        )
    clash = _overlapping(student, start, None).select_related("school_class").first()
    if clash is not None:
        raise ValidationError(
            _("%(student)s is already enrolled in %(class)s from %(date)s.")
            % {"student": student.short_name, "class": clash.school_class, "date": f"{clash.start:%d.%m.%Y}"}
        )
    enrollment = Enrollment.objects.create(
        student=student, school_class=school_class, start=start, reason=reason, order_number=order_number
    )
    groups = TeachingGroup.objects.filter(classes=school_class, kind=GroupKind.WHOLE_CLASS)
    GroupMembership.objects.bulk_create(GroupMembership(group=g, student=student, start=start) for g in groups)
    return enrollment


@transaction.atomic
def enrollment_end(
    *,
    actor,
    enrollment: Enrollment,
    end: dt.date,
    reason: str,
    order_number: str = "",  # noqa: ANN001
) -> Enrollment:
    """Close the enrollment on ``end`` (the last day in the class) and every open membership of the
    student in groups of that class. Nothing is deleted: the journal keeps the student up to ``end``."""
    if end < enrollment.start:
        raise ValidationError(_("The last day is before the day of admission."))
    if reason not in {
        EnrollmentReason.LEFT,
        EnrollmentReason.TRANSFERRED,
        EnrollmentReason.GRADUATED,
        EnrollmentReason.PROMOTED,
        EnrollmentReason.RETAINED,
    }:
        raise ValidationError(_("Choose why the student leaves the class."))
    enrollment.end = end
    enrollment.end_reason = reason
    enrollment.end_order_number = order_number
    enrollment.save(update_fields=["end", "end_reason", "end_order_number"])
    GroupMembership.objects.filter(
        Q(end__isnull=True) | Q(end__gt=end),
        student=enrollment.student,
        group__classes=enrollment.school_class,
        start__lte=end,
    ).update(end=end)
    GroupMembership.objects.filter(
        student=enrollment.student, group__classes=enrollment.school_class, start__gt=end
    ).delete()
    return enrollment


@transaction.atomic
def enrollment_transfer(
    *,
    actor,
    student: Student,
    to_class: SchoolClass,
    on: dt.date,
    order_number: str = "",  # noqa: ANN001
) -> Enrollment:
    """Move the student to ``to_class`` from ``on``: the old enrollment ends the day before."""
    current = (
        Enrollment.objects.filter(student=student, start__lt=on).filter(Q(end__isnull=True) | Q(end__gte=on)).first()
    )
    if current is None:
        raise ValidationError(_("The student is not enrolled in any class on that date."))
    if current.school_class_id == to_class.pk:
        raise ValidationError(_("The student is already in this class."))
    enrollment_end(
        actor=actor,
        enrollment=current,
        end=on - dt.timedelta(days=1),
        reason=EnrollmentReason.TRANSFERRED,
        order_number=order_number,
    )
    return enrollment_admit(
        actor=actor,
        student=student,
        school_class=to_class,
        start=on,
        order_number=order_number,
        reason=EnrollmentReason.TRANSFERRED,
    )


@transaction.atomic
def membership_add(*, actor, group: TeachingGroup, student: Student, start: dt.date) -> GroupMembership:  # noqa: ANN001
    """Put a student into a subgroup, stream or individual-plan group from ``start`` (R13)."""
    if student.school_id != group.year.school_id:
        raise ValidationError(_("The student and the group belong to different schools."))
    open_ = GroupMembership.objects.filter(group=group, student=student).filter(Q(end__isnull=True) | Q(end__gte=start))
    if open_.exists():
        raise ValidationError(_("%(student)s is already in this group.") % {"student": student.short_name})
    return GroupMembership.objects.create(group=group, student=student, start=start)


def lesson_mark_held(*, actor, lesson: Lesson) -> None:  # noqa: ANN001
    """A lesson that takes marks or attendance has taken place: a planned lesson becomes held, with its
    history event (R4). Idempotent. Runs inside the calling service's transaction."""
    if lesson.status != LessonStatus.PLANNED:
        return
    lesson.status = LessonStatus.HELD
    lesson.save(update_fields=["status", "updated_at"])
    event_append(
        lesson.group_id,
        EventData(
            actor_id=actor.pk,
            action=EventAction.UPDATE,
            object_type=EventObject.LESSON_STATUS,
            object_id=lesson.pk,
            lesson_id=lesson.pk,
            old={"status": LessonStatus.PLANNED},
            new={"status": LessonStatus.HELD},
        ),
    )
