"""Writes that grant or take away access.

Each service keeps django-guardian's object permissions (the direct foreign-key tables of
``accounts.models``) in sync with the assignment or link it writes, in one transaction, so the
authorization module never sees one without the other. Every grant has one implementation that takes
many items (the demo seed and imports write thousands at once, in a handful of queries); the
per-object services are that implementation called with one item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from journal import diary_cache
from journal.models import (
    AcademicYear,
    AssignmentRole,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    TeachingGroup,
)

from .models import (
    ParentLink,
    Relation,
    Role,
    SchoolClassUserObjectPermission,
    SchoolUserObjectPermission,
    StaffRole,
    StudentUserObjectPermission,
    TeachingGroupUserObjectPermission,
    User,
)
from .permissions import ROLE_PERMISSIONS

GROUP_CODENAME = {AssignmentRole.MAIN: "teach_group", AssignmentRole.SUBSTITUTE: "substitute_group"}


def _permission(model: type, codename: str) -> Permission:
    return Permission.objects.get(content_type=ContentType.objects.get_for_model(model), codename=codename)


def _school_of_years(year_ids: Iterable[int]) -> dict[int, int]:
    return dict(AcademicYear.objects.filter(pk__in=set(year_ids)).values_list("pk", "school_id"))


def _check_staff_of(pairs: set[tuple[int, int]], message: str) -> None:
    """Refuse (ValidationError ``message``) when a ``(user id, school id)`` pair has no staff role."""
    if not pairs:
        return
    users = {user_id for user_id, _school in pairs}
    schools = {school_id for _user, school_id in pairs}
    staff = set(StaffRole.objects.filter(user_id__in=users, school_id__in=schools).values_list("user_id", "school_id"))
    if pairs - staff:
        raise ValidationError(message)


# --- school-wide roles -----------------------------------------------------------------------------------


def _sync_school_perms(pairs: set[tuple[int, int]]) -> None:
    """For each ``(user id, school id)``: exactly the School permissions of the roles the user holds there."""
    if not pairs:
        return
    users = {user_id for user_id, _school in pairs}
    schools = {school_id for _user, school_id in pairs}
    wanted: dict[tuple[int, int], set[str]] = {pair: set() for pair in pairs}
    for user_id, school_id, role in StaffRole.objects.filter(user_id__in=users, school_id__in=schools).values_list(
        "user_id", "school_id", "role"
    ):
        if (user_id, school_id) in wanted:
            wanted[(user_id, school_id)] |= ROLE_PERMISSIONS[role]
    every = sorted(set().union(*ROLE_PERMISSIONS.values()))
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(content_type=ContentType.objects.get_for_model(School), codename__in=every)
    }
    held = SchoolUserObjectPermission.objects.filter(
        user_id__in=users, content_object_id__in=schools, permission__codename__in=every
    ).values_list("pk", "user_id", "content_object_id", "permission__codename")
    stale = [
        pk
        for pk, user_id, school_id, codename in held
        if (user_id, school_id) in wanted and codename not in wanted[(user_id, school_id)]
    ]
    SchoolUserObjectPermission.objects.filter(pk__in=stale).delete()
    SchoolUserObjectPermission.objects.bulk_create(
        [
            SchoolUserObjectPermission(user_id=user_id, content_object_id=school_id, permission=permissions[codename])
            for (user_id, school_id), codenames in sorted(wanted.items())
            for codename in sorted(codenames)
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


@transaction.atomic
def staff_roles_grant_bulk(*, actor: User | None, items: Iterable[tuple[User, School, str, str]]) -> None:
    """Give each ``(user, school, role, position)`` its ``StaffRole`` (an existing one is kept) and, per
    user and school, exactly the permissions on the school of the roles held there."""
    items = list(items)
    if any(role not in Role.values for _user, _school, role, _position in items):
        raise ValidationError(_("Unknown role."))
    StaffRole.objects.bulk_create(
        [StaffRole(user=user, school=school, role=role, position=position) for user, school, role, position in items],
        ignore_conflicts=True,
        batch_size=1000,
    )
    _sync_school_perms({(user.pk, school.pk) for user, school, _role, _position in items})


def staff_role_grant(*, actor: User | None, user: User, school: School, role: str, position: str = "") -> StaffRole:
    """Give ``user`` a staff role in ``school`` with exactly that role's permissions on the school."""
    staff_roles_grant_bulk(actor=actor, items=[(user, school, role, position)])
    return StaffRole.objects.get(user=user, school=school, role=role)


@transaction.atomic
def staff_role_revoke(*, actor: User | None, user: User, school: School, role: str) -> None:
    """Take a role away; permissions still given by the user's other roles in the school remain."""
    StaffRole.objects.filter(user=user, school=school, role=role).delete()
    _sync_school_perms({(user.pk, school.pk)})


# --- teachers and substitutes ----------------------------------------------------------------------------


def _sync_group_grants(pairs: set[tuple[int, int]], role: str, *, today: dt.date | None = None) -> int:
    """For each ``(teacher id, group id)``: hold the role's grant on the group exactly while one of the
    teacher's assignments of that role there has not ended (``today`` in the active time zone).
    Returns how many grants were removed."""
    if not pairs:
        return 0
    today = today or timezone.localdate()
    teachers = {teacher_id for teacher_id, _g in pairs}
    groups = {group_id for _t, group_id in pairs}
    live = (
        set(
            TeachingAssignment.objects.filter(role=role, teacher_id__in=teachers, group_id__in=groups)
            .filter(Q(end__isnull=True) | Q(end__gte=today))
            .values_list("teacher_id", "group_id")
        )
        & pairs
    )
    permission = _permission(TeachingGroup, GROUP_CODENAME[role])
    dead = pairs - live
    removed = 0
    if dead:
        held = TeachingGroupUserObjectPermission.objects.filter(
            permission=permission, user_id__in={t for t, _g in dead}, content_object_id__in={g for _t, g in dead}
        ).values_list("pk", "user_id", "content_object_id")
        removed, _ = TeachingGroupUserObjectPermission.objects.filter(
            pk__in=[pk for pk, user_id, group_id in held if (user_id, group_id) in dead]
        ).delete()
    TeachingGroupUserObjectPermission.objects.bulk_create(
        [
            TeachingGroupUserObjectPermission(user_id=teacher_id, content_object_id=group_id, permission=permission)
            for teacher_id, group_id in sorted(live)
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return removed


@transaction.atomic
def teacher_assign_bulk(
    *, actor: User | None, items: Iterable[tuple[TeachingGroup, User, dt.date, dt.date | None]]
) -> list[TeachingAssignment]:
    """Make each ``(group, teacher, start, end)`` a main assignment (тарификация); the teacher holds
    ``teach_group`` on the group while one of their main assignments there has not ended. The dates
    themselves are checked by the authorization module."""
    items = list(items)
    schools = _school_of_years(group.year_id for group, _t, _s, _e in items)
    _check_staff_of(
        {(teacher.pk, schools[group.year_id]) for group, teacher, _s, _e in items},
        _("This person does not work at the school of the group."),
    )
    if any(end and end < start for _g, _t, start, end in items):
        raise ValidationError(_("The end date is before the start date."))
    assignments = TeachingAssignment.objects.bulk_create(
        [
            TeachingAssignment(
                group=group, teacher=teacher, role=AssignmentRole.MAIN, start=start, end=end, created_by=actor
            )
            for group, teacher, start, end in items
        ],
        batch_size=1000,
    )
    _sync_group_grants({(teacher.pk, group.pk) for group, teacher, _s, _e in items}, AssignmentRole.MAIN)
    return assignments


def teacher_assign(
    *, actor: User | None, group: TeachingGroup, teacher: User, start: dt.date, end: dt.date | None = None
) -> TeachingAssignment:
    """Make ``teacher`` a main teacher of ``group`` from ``start``; grants ``teach_group``."""
    return teacher_assign_bulk(actor=actor, items=[(group, teacher, start, end)])[0]


@transaction.atomic
def teacher_unassign(*, actor: User | None, assignment: TeachingAssignment, end: dt.date) -> TeachingAssignment:
    """End a main assignment on ``end``; the grant goes once no other assignment of the teacher remains."""
    if end < assignment.start:
        raise ValidationError(_("The end date is before the start date."))
    assignment.end = end
    assignment.save(update_fields=["end"])
    _sync_group_grants({(assignment.teacher_id, assignment.group_id)}, assignment.role)
    return assignment


@transaction.atomic
def substitution_start(
    *,
    actor: User | None,
    group: TeachingGroup,
    substitute: User,
    start: dt.date,
    end: dt.date,
    replaces: User | None = None,
    note: str = "",
) -> TeachingAssignment:
    """Let ``substitute`` keep the group's journal on the lessons from ``start`` to ``end`` (R12).

    The grant is valid only on those dates (checked by the authorization module) and is removed by
    :func:`assignments_expire` once the substitution has ended.
    """
    _check_staff_of({(substitute.pk, group.year.school_id)}, _("This person does not work at the school of the group."))
    if end < start:
        raise ValidationError(_("The end date is before the start date."))
    assignment = TeachingAssignment.objects.create(
        group=group,
        teacher=substitute,
        role=AssignmentRole.SUBSTITUTE,
        start=start,
        end=end,
        replaces=replaces,
        note=note,
        created_by=actor,
    )
    # Granted even for a substitution recorded afterwards (late entries, R5): the authorization
    # module limits it to the substitution's dates, and assignments_expire removes it later.
    _sync_group_grants({(substitute.pk, group.pk)}, AssignmentRole.SUBSTITUTE, today=start)
    return assignment


@transaction.atomic
def substitution_end(*, actor: User | None, assignment: TeachingAssignment, end: dt.date | None = None) -> None:
    """End a substitution early (on ``end``, or before it started when ``end`` is None)."""
    if assignment.role != AssignmentRole.SUBSTITUTE:
        raise ValidationError(_("This is not a substitution."))
    new_end = end if end is not None else assignment.start - dt.timedelta(days=1)
    if new_end < assignment.start:
        assignment.delete()
    else:
        assignment.end = new_end
        assignment.save(update_fields=["end"])
    _sync_group_grants({(assignment.teacher_id, assignment.group_id)}, AssignmentRole.SUBSTITUTE)


def assignments_expire(*, today: dt.date | None = None) -> int:
    """Remove ``teach_group`` and ``substitute_group`` grants whose assignments have all ended.

    Idempotent; returns how many grants were removed. The authorization module already ignores a grant
    outside its assignment's dates: this keeps the permission tables honest (run hourly by Celery beat).
    """
    removed = 0
    for role, codename in GROUP_CODENAME.items():
        held = set(
            TeachingGroupUserObjectPermission.objects.filter(permission__codename=codename).values_list(
                "user_id", "content_object_id"
            )
        )
        removed += _sync_group_grants(held, role, today=today)
    return removed


# --- class teachers ---------------------------------------------------------------------------------------


@transaction.atomic
def class_teacher_set_bulk(
    *, actor: User | None, items: Iterable[tuple[SchoolClass, User | None]]
) -> list[SchoolClass]:
    """Make each ``(class, teacher or None)`` the class teacher with ``lead_class`` on the class; a
    replaced class teacher loses ``lead_class`` on that class."""
    items = list(items)
    schools = _school_of_years(school_class.year_id for school_class, _t in items)
    _check_staff_of(
        {(teacher.pk, schools[school_class.year_id]) for school_class, teacher in items if teacher is not None},
        _("This person does not work at the school of the class."),
    )
    permission = _permission(SchoolClass, "lead_class")
    for school_class, teacher in items:
        previous = school_class.class_teacher_id
        if previous is not None and previous != (teacher.pk if teacher is not None else None):
            SchoolClassUserObjectPermission.objects.filter(
                permission=permission, user_id=previous, content_object_id=school_class.pk
            ).delete()
        school_class.class_teacher = teacher
    SchoolClass.objects.bulk_update([school_class for school_class, _t in items], ["class_teacher"], batch_size=1000)
    diary_cache.bump(school_ids=schools.values())  # the class teacher is on the families' pages (no signal)
    SchoolClassUserObjectPermission.objects.bulk_create(
        [
            SchoolClassUserObjectPermission(user=teacher, content_object=school_class, permission=permission)
            for school_class, teacher in items
            if teacher is not None
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return [school_class for school_class, _t in items]


def class_teacher_set(*, actor: User | None, school_class: SchoolClass, teacher: User | None) -> SchoolClass:
    """Make ``teacher`` the class teacher (or nobody); the previous one loses ``lead_class``."""
    return class_teacher_set_bulk(actor=actor, items=[(school_class, teacher)])[0]


# --- parents and students' own logins -------------------------------------------------------------------


@transaction.atomic
def parent_link_bulk(*, actor: User | None, items: Iterable[tuple[User, Student, str]]) -> None:
    """Link each ``(parent, student, relation)`` (an existing link keeps its relation); the parent may
    read that child's diary and nothing else."""
    items = list(items)
    ParentLink.objects.bulk_create(
        [ParentLink(parent=parent, student=student, relation=relation) for parent, student, relation in items],
        ignore_conflicts=True,
        batch_size=1000,
    )
    permission = _permission(Student, "view_diary")
    StudentUserObjectPermission.objects.bulk_create(
        [
            StudentUserObjectPermission(user=parent, content_object=student, permission=permission)
            for parent, student, _relation in items
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def parent_link(*, actor: User | None, parent: User, student: Student, relation: str = Relation.MOTHER) -> ParentLink:
    """Link a parent to a child; the parent may read that child's diary and nothing else."""
    parent_link_bulk(actor=actor, items=[(parent, student, relation)])
    return ParentLink.objects.get(parent=parent, student=student)


@transaction.atomic
def parent_unlink(*, actor: User | None, parent: User, student: Student) -> None:
    ParentLink.objects.filter(parent=parent, student=student).delete()
    StudentUserObjectPermission.objects.filter(
        user=parent, content_object=student, permission__codename="view_diary"
    ).delete()


@transaction.atomic
def student_login_set_bulk(*, actor: User | None, items: Iterable[tuple[Student, User | None]]) -> list[Student]:
    """Give each student a login of their own (view-only diary of themselves), or take it away; a
    replaced login loses the diary."""
    items = list(items)
    permission = _permission(Student, "view_diary")
    for student, user in items:
        if student.user_id and (user is None or student.user_id != user.pk):
            StudentUserObjectPermission.objects.filter(
                permission=permission, user_id=student.user_id, content_object_id=student.pk
            ).delete()
        student.user = user
    Student.objects.bulk_update([student for student, _u in items], ["user"], batch_size=1000)
    StudentUserObjectPermission.objects.bulk_create(
        [
            StudentUserObjectPermission(user=user, content_object=student, permission=permission)
            for student, user in items
            if user is not None
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return [student for student, _u in items]


def student_login_set(*, actor: User | None, student: Student, user: User | None) -> Student:
    """Give the student a login of their own (view-only diary of themselves), or take it away."""
    return student_login_set_bulk(actor=actor, items=[(student, user)])[0]
