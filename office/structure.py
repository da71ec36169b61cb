"""The structure of a year (issue 7 point 2): subjects, classes and class teachers, teaching groups
(whole class, subgroup of a class by picking students — R13, stream across classes, individual plan),
weekly hours and the teachers' main assignments (тарификация).

Grants go through ``accounts.services`` (class_teacher_set, teacher_assign / teacher_unassign);
memberships of subgroups, streams and individual plans through ``journal.services.membership_add``;
whole-class groups mirror the class's enrollments, as ``journal.services.enrollment_admit`` keeps them.
Every change writes its line of the office's change log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import StaffRole, User
from accounts.services import class_teacher_set, teacher_assign, teacher_unassign
from journal.models import (
    AcademicYear,
    AssignmentRole,
    Enrollment,
    GroupKind,
    GroupMembership,
    PeriodKind,
    School,
    SchoolClass,
    Student,
    Subject,
    TeachingAssignment,
    TeachingGroup,
)
from journal.services import membership_add

from .audit import record
from .year import year_open_check


def _d(day: dt.date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else ""


def staff_of(school: School) -> QuerySet[User]:
    """Everyone with a staff role in ``school``: who may teach a group or lead a class there."""
    return (
        User.objects.filter(pk__in=StaffRole.objects.filter(school=school).values("user_id"))
        .order_by("last_name", "first_name", "pk")
        .distinct()
    )


def enrolled_in(classes: Sequence[SchoolClass] | QuerySet[SchoolClass], day: dt.date) -> QuerySet[Student]:
    """Students enrolled on ``day`` in one of ``classes``."""
    return (
        Student.objects.filter(
            Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=day),
            enrollments__school_class__in=classes,
            enrollments__start__lte=day,
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


# --- subjects ---------------------------------------------------------------------------------------------


@transaction.atomic
def subject_save(
    *,
    actor,  # noqa: ANN001
    school: School,
    name: str,
    short_name: str,
    assessment: str,
    kind: str,
    allows_double_mark: bool = False,
    subject: Subject | None = None,
) -> Subject:
    """Create a subject of ``school`` or change ``subject``; names are unique in the school."""
    name, short_name = name.strip(), short_name.strip()
    if not name or not short_name:
        raise ValidationError(_("Write the name and the short name of the subject."))
    if Subject.objects.filter(school=school, name=name).exclude(pk=getattr(subject, "pk", None)).exists():
        raise ValidationError(_("The school already has the subject «%(name)s».") % {"name": name})
    created = subject is None
    subject = subject or Subject(school=school)
    subject.name, subject.short_name, subject.assessment, subject.kind = name, short_name, assessment, kind
    subject.allows_double_mark = allows_double_mark
    subject.full_clean(exclude=["school"])
    subject.save()
    record(
        actor=actor, school=school, action="create" if created else "change", object_type="subject",
        object_id=subject.pk,
        summary=(_("Subject «%(name)s» created") if created else _("Subject «%(name)s» changed")) % {"name": name},
        data={"assessment": assessment, "kind": kind, "short_name": short_name},
    )  # fmt: skip
    return subject


# --- classes ----------------------------------------------------------------------------------------------


def _check_staff(school_id: int, user: User | None) -> None:
    if user is not None and not StaffRole.objects.filter(school_id=school_id, user=user).exists():
        raise ValidationError(_("This person does not work at the school."))


@transaction.atomic
def class_create(
    *,
    actor,  # noqa: ANN001
    year: AcademicYear,
    grade: int,
    letter: str,
    period_kind: str = PeriodKind.QUARTER,
    class_teacher: User | None = None,
) -> SchoolClass:
    """A new class of ``year`` (e.g. the new 1st grade), optionally with its class teacher (who gets
    ``lead_class``)."""
    year_open_check(year)
    letter = letter.strip().upper()
    if not 1 <= grade <= 11:
        raise ValidationError(_("Grades go from 1 to 11."))
    if not letter:
        raise ValidationError(_("Write the letter of the class."))
    if period_kind not in (PeriodKind.QUARTER, PeriodKind.TRIMESTER, PeriodKind.HALF):
        raise ValidationError(_("Choose quarters, trimesters or halves."))
    if SchoolClass.objects.filter(year=year, grade=grade, letter=letter).exists():
        raise ValidationError(
            _("The year %(year)s already has the class %(name)s.") % {"year": year.name, "name": f"{grade}{letter}"}
        )
    _check_staff(year.school_id, class_teacher)
    school_class = SchoolClass.objects.create(year=year, grade=grade, letter=letter, period_kind=period_kind)
    if class_teacher is not None:
        class_teacher_set(actor=actor, school_class=school_class, teacher=class_teacher)
    record(
        actor=actor, school=year.school_id, action="create", object_type="class", object_id=school_class.pk,
        summary=_("Class %(name)s of %(year)s created") % {"name": school_class.name, "year": year.name}
        + (f" ({class_teacher.short_name})" if class_teacher else ""),
    )  # fmt: skip
    return school_class


@transaction.atomic
def class_teacher_change(*, actor, school_class: SchoolClass, teacher: User | None) -> SchoolClass:  # noqa: ANN001
    """Make ``teacher`` (or nobody) the class teacher; the previous one loses the class."""
    year_open_check(school_class.year)
    _check_staff(school_class.year.school_id, teacher)
    old = school_class.class_teacher
    class_teacher_set(actor=actor, school_class=school_class, teacher=teacher)
    record(
        actor=actor, school=school_class.year.school_id, action="change", object_type="class",
        object_id=school_class.pk,
        summary=_("Class teacher of %(name)s: %(old)s → %(new)s")
        % {"name": school_class.name, "old": old.short_name if old else "—",
           "new": teacher.short_name if teacher else "—"},
    )  # fmt: skip
    return school_class


# --- teaching groups --------------------------------------------------------------------------------------


def _mirror_enrollments(group: TeachingGroup, school_class: SchoolClass) -> int:
    """A whole-class group's members follow the class's enrollments, each for its own dates."""
    rows = Enrollment.objects.filter(school_class=school_class).values_list("student_id", "start", "end")
    GroupMembership.objects.bulk_create(
        GroupMembership(group=group, student_id=student_id, start=start, end=end) for student_id, start, end in rows
    )
    return len(rows)


def _subgroup_clash(
    *, subject_id: int, classes: Sequence[SchoolClass], students: Sequence[Student], start: dt.date,
    exclude_group_id: int | None = None,
) -> None:  # fmt: skip
    """R13: a student is in one subgroup of a subject at a time. Refuse students who, on ``start`` or
    later, are in another subgroup of the same subject in one of ``classes``."""
    if not students:
        return
    busy = (
        GroupMembership.objects.filter(
            Q(end__isnull=True) | Q(end__gte=start),
            group__kind=GroupKind.SUBGROUP,
            group__subject_id=subject_id,
            group__classes__in=classes,
            student__in=students,
        )
        .exclude(group_id=exclude_group_id)
        .select_related("student", "group")
        .distinct()
    )
    clashes = sorted({f"{m.student.short_name} ({m.group.name})" for m in busy})
    if clashes:
        raise ValidationError(
            _("Already in another subgroup of this subject: %(names)s. Take them out of it first.")
            % {"names": ", ".join(clashes)}
        )


@transaction.atomic
def group_create(
    *,
    actor,  # noqa: ANN001
    year: AcademicYear,
    subject: Subject,
    kind: str,
    classes: Sequence[SchoolClass],
    name: str = "",
    hours_per_week: Decimal | int = 1,
    students: Sequence[Student] = (),
    start: dt.date | None = None,
    subgroup_number: int | None = None,
) -> TeachingGroup:
    """Create a teaching group of ``year``:

    - whole class: one class; its members follow the class's enrollments;
    - subgroup (R13): one class and the students picked from it;
    - stream: two or more classes and the students picked from them;
    - individual plan: one class and exactly one of its students.

    Picked students must be enrolled in the group's classes on ``start`` (default: the year's start);
    they join through ``journal.services.membership_add``."""
    year_open_check(year)
    if kind not in GroupKind.values:
        raise ValidationError(_("Choose the kind of the group."))
    classes = list(dict.fromkeys(classes))
    students = list(dict.fromkeys(students))
    start = start or year.start
    if subject.school_id != year.school_id or any(c.year_id != year.pk for c in classes):
        raise ValidationError(_("The subject and the classes must belong to this year of the school."))
    if not year.contains(start):
        raise ValidationError(
            _("The date %(date)s is outside the academic year %(year)s.") % {"date": _d(start), "year": year.name}
        )
    if hours_per_week is None or Decimal(hours_per_week) <= 0 or Decimal(hours_per_week) > 40:
        raise ValidationError(_("Hours per week must be between 0.5 and 40."))
    if kind == GroupKind.STREAM:
        if len(classes) < 2:
            raise ValidationError(_("A stream joins two or more classes: pick them."))
    elif len(classes) != 1:
        raise ValidationError(_("Pick exactly one class for this kind of group."))
    if kind == GroupKind.WHOLE_CLASS and students:
        raise ValidationError(_("A whole-class group takes every student of the class: do not pick students."))
    if kind in (GroupKind.SUBGROUP, GroupKind.STREAM) and not students:
        raise ValidationError(_("Pick the students of the group."))
    if kind == GroupKind.INDIVIDUAL and len(students) != 1:
        raise ValidationError(_("An individual plan is for exactly one student."))
    if (
        kind == GroupKind.WHOLE_CLASS
        and TeachingGroup.objects.filter(
            year=year, subject=subject, kind=GroupKind.WHOLE_CLASS, classes=classes[0]
        ).exists()
    ):
        raise ValidationError(
            _("%(class)s already has a whole-class group of %(subject)s.")
            % {"class": classes[0].name, "subject": subject.name}
        )
    enrolled = set(enrolled_in(classes, start).values_list("pk", flat=True))
    strangers = [s.short_name for s in students if s.pk not in enrolled]
    if strangers:
        raise ValidationError(
            _("Not enrolled in the group's classes on %(date)s: %(names)s.")
            % {"date": _d(start), "names": ", ".join(strangers)}
        )
    if kind == GroupKind.SUBGROUP:
        _subgroup_clash(subject_id=subject.pk, classes=classes, students=students, start=start)
    names = ", ".join(c.name for c in sorted(classes, key=lambda c: (c.grade, c.letter)))
    if not name.strip():
        name = f"{names} — {subject.name}"
        if kind == GroupKind.SUBGROUP and subgroup_number:
            name = f"{names} — {subject.short_name}, гр. {subgroup_number}"
        elif kind == GroupKind.INDIVIDUAL:
            name = f"{names} — {subject.short_name}, {students[0].short_name}"
    group = TeachingGroup.objects.create(
        year=year, subject=subject, kind=kind, name=name.strip()[:200], hours_per_week=Decimal(hours_per_week),
        subgroup_number=subgroup_number if kind == GroupKind.SUBGROUP else None,
    )  # fmt: skip
    group.classes.set(classes)
    if kind == GroupKind.WHOLE_CLASS:
        members = _mirror_enrollments(group, classes[0])
    else:
        for student in students:
            membership_add(actor=actor, group=group, student=student, start=start)
        members = len(students)
    record(
        actor=actor, school=year.school_id, action="create", object_type="group", object_id=group.pk,
        summary=_("Group «%(name)s» (%(kind)s, %(hours)s h/week) created with %(n)d students")
        % {"name": group.name, "kind": group.get_kind_display(), "hours": group.hours_per_week, "n": members},
        data={"classes": [c.pk for c in classes], "students": [s.pk for s in students]},
    )  # fmt: skip
    return group


@transaction.atomic
def subgroups_split(
    *,
    actor,  # noqa: ANN001
    school_class: SchoolClass,
    subject: Subject,
    numbers: dict[Student, int],
    hours_per_week: Decimal | int = 1,
    start: dt.date | None = None,
) -> list[TeachingGroup]:
    """Split ``school_class`` for ``subject`` into subgroups (R13): ``numbers`` gives every student
    enrolled on ``start`` (default: the year's start) the number of their subgroup, so each student is in
    exactly one. Creates one subgroup per number, «5А — Англ., гр. 1» …; all or nothing."""
    year = school_class.year
    start = start or year.start
    enrolled = list(enrolled_in([school_class], start))
    missing = [s.short_name for s in enrolled if s not in numbers]
    if missing:
        raise ValidationError(
            _("Every student of the class goes into one subgroup; not placed: %(names)s.")
            % {"names": ", ".join(missing)}
        )
    used = sorted(set(numbers.values()))
    if len(used) < 2 or any(not 1 <= n <= 9 for n in used):
        raise ValidationError(_("Put the students into at least two subgroups."))
    groups = []
    for number in used:
        picked = [s for s, n in numbers.items() if n == number]
        groups.append(
            group_create(
                actor=actor, year=year, subject=subject, kind=GroupKind.SUBGROUP, classes=[school_class],
                hours_per_week=hours_per_week, students=picked, start=start, subgroup_number=number,
            )
        )  # fmt: skip
    return groups


@transaction.atomic
def group_edit(*, actor, group: TeachingGroup, name: str, hours_per_week: Decimal) -> TeachingGroup:  # noqa: ANN001
    """Rename the group or change its weekly hours."""
    year_open_check(group.year)
    name = name.strip()
    if not name:
        raise ValidationError(_("Write the name of the group."))
    if hours_per_week is None or hours_per_week <= 0 or hours_per_week > 40:
        raise ValidationError(_("Hours per week must be between 0.5 and 40."))
    old = {"name": group.name, "hours": str(group.hours_per_week)}
    group.name, group.hours_per_week = name[:200], hours_per_week
    group.save(update_fields=["name", "hours_per_week"])
    record(
        actor=actor, school=group.year.school_id, action="change", object_type="group", object_id=group.pk,
        summary=_("Group «%(name)s»: %(hours)s h/week") % {"name": group.name, "hours": group.hours_per_week},
        data={"old": old},
    )  # fmt: skip
    return group


@transaction.atomic
def group_members_add(*, actor, group: TeachingGroup, students: Sequence[Student], start: dt.date) -> int:  # noqa: ANN001
    """Add picked students to a subgroup, stream or individual plan from ``start`` (R13). All or none."""
    year_open_check(group.year)
    if group.kind == GroupKind.WHOLE_CLASS:
        raise ValidationError(_("A whole-class group follows the class's enrollment: move students by enrollment."))
    if not students:
        raise ValidationError(_("Pick the students of the group."))
    if not group.year.contains(start):
        raise ValidationError(
            _("The date %(date)s is outside the academic year %(year)s.") % {"date": _d(start), "year": group.year.name}
        )
    enrolled = set(enrolled_in(group.classes.all(), start).values_list("pk", flat=True))
    strangers = [s.short_name for s in students if s.pk not in enrolled]
    if strangers:
        raise ValidationError(
            _("Not enrolled in the group's classes on %(date)s: %(names)s.")
            % {"date": _d(start), "names": ", ".join(strangers)}
        )
    if group.kind == GroupKind.SUBGROUP:
        _subgroup_clash(
            subject_id=group.subject_id, classes=list(group.classes.all()), students=students, start=start,
            exclude_group_id=group.pk,
        )  # fmt: skip
    if group.kind == GroupKind.INDIVIDUAL:
        open_ = GroupMembership.objects.filter(group=group).filter(Q(end__isnull=True) | Q(end__gte=start))
        if open_.count() + len(students) > 1:
            raise ValidationError(_("An individual plan is for exactly one student."))
    for student in students:
        membership_add(actor=actor, group=group, student=student, start=start)
    record(
        actor=actor, school=group.year.school_id, action="change", object_type="group", object_id=group.pk,
        summary=_("Group «%(name)s»: from %(date)s added %(names)s")
        % {"name": group.name, "date": _d(start), "names": ", ".join(s.short_name for s in students)},
    )  # fmt: skip
    return len(students)


@transaction.atomic
def membership_end(*, actor, membership: GroupMembership, end: dt.date) -> None:  # noqa: ANN001
    """Take a student out of a subgroup, stream or individual plan: the last day is ``end`` (a membership
    that had not started yet is removed). The journal keeps the student up to ``end``."""
    group = membership.group
    year_open_check(group.year)
    if group.kind == GroupKind.WHOLE_CLASS:
        raise ValidationError(_("A whole-class group follows the class's enrollment: move students by enrollment."))
    if membership.end is not None and membership.end <= end:
        raise ValidationError(_("The student has already left this group."))
    if end < membership.start:
        membership.delete()
    else:
        membership.end = end
        membership.save(update_fields=["end"])
    record(
        actor=actor, school=group.year.school_id, action="change", object_type="group", object_id=group.pk,
        summary=_("Group «%(name)s»: %(student)s left after %(date)s")
        % {"name": group.name, "student": membership.student.short_name, "date": _d(end)},
    )  # fmt: skip


# --- teachers' assignments (тарификация) -----------------------------------------------------------------


@transaction.atomic
def assignment_add(*, actor, group: TeachingGroup, teacher: User, start: dt.date) -> TeachingAssignment:  # noqa: ANN001
    """Make ``teacher`` a main teacher of ``group`` from ``start``: they get the group's journal."""
    year_open_check(group.year)
    if not group.year.contains(start):
        raise ValidationError(
            _("The date %(date)s is outside the academic year %(year)s.") % {"date": _d(start), "year": group.year.name}
        )
    busy = TeachingAssignment.objects.filter(group=group, teacher=teacher, role=AssignmentRole.MAIN).filter(
        Q(end__isnull=True) | Q(end__gte=start)
    )
    if busy.exists():
        raise ValidationError(_("%(teacher)s already teaches this group.") % {"teacher": teacher.short_name})
    assignment = teacher_assign(actor=actor, group=group, teacher=teacher, start=start)
    record(
        actor=actor, school=group.year.school_id, action="create", object_type="assignment",
        object_id=assignment.pk,
        summary=_("%(teacher)s teaches «%(group)s» from %(date)s")
        % {"teacher": teacher.short_name, "group": group.name, "date": _d(start)},
    )  # fmt: skip
    return assignment


@transaction.atomic
def assignment_end(*, actor, assignment: TeachingAssignment, end: dt.date) -> TeachingAssignment:  # noqa: ANN001
    """End a main assignment on ``end`` (the last day); the teacher loses the journal once no other
    assignment of theirs there remains."""
    if assignment.role != AssignmentRole.MAIN:
        raise ValidationError(_("Substitutions are ended on the timetable page."))
    if end < assignment.start:
        raise ValidationError(_("The last day is before the first day of the assignment."))
    if assignment.end is not None and assignment.end <= end:
        raise ValidationError(_("This assignment has already ended."))
    teacher_unassign(actor=actor, assignment=assignment, end=end)
    record(
        actor=actor, school=assignment.group.year.school_id, action="change", object_type="assignment",
        object_id=assignment.pk,
        summary=_("%(teacher)s stops teaching «%(group)s» after %(date)s")
        % {"teacher": assignment.teacher.short_name, "group": assignment.group.name, "date": _d(end)},
    )  # fmt: skip
    return assignment
