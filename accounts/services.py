"""Writes that grant or take away access. Each keeps guardian's object permissions in sync with the
assignment or link it creates, in one transaction, so the authorization module never sees one without
the other.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from journal.models import AssignmentRole, School, SchoolClass, Student, TeachingAssignment, TeachingGroup

from .models import ParentLink, Relation, Role, StaffRole, User
from .permissions import ROLE_PERMISSIONS

# --- school-wide roles -----------------------------------------------------------------------------------


def _sync_school_perms(user: User, school: School) -> None:
    held = set(StaffRole.objects.filter(user=user, school=school).values_list("role", flat=True))
    wanted = set().union(*(ROLE_PERMISSIONS[r] for r in held)) if held else set()
    every = set().union(*ROLE_PERMISSIONS.values())
    for codename in every - wanted:
        remove_perm(f"journal.{codename}", user, school)
    for codename in wanted:
        assign_perm(f"journal.{codename}", user, school)


@transaction.atomic
def staff_role_grant(*, actor: User | None, user: User, school: School, role: str, position: str = "") -> StaffRole:
    """Give ``user`` a staff role in ``school`` with exactly that role's permissions on the school."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    staff_role, _created = StaffRole.objects.get_or_create(
        user=user, school=school, role=role, defaults={"position": position}
    )
    _sync_school_perms(user, school)
    return staff_role


@transaction.atomic
def staff_role_revoke(*, actor: User | None, user: User, school: School, role: str) -> None:
    """Take a role away; permissions still given by the user's other roles in the school remain."""
    StaffRole.objects.filter(user=user, school=school, role=role).delete()
    _sync_school_perms(user, school)


# --- teachers, class teachers, substitutes ---------------------------------------------------------------


def _check_same_school(group: TeachingGroup, user: User) -> None:
    if not StaffRole.objects.filter(user=user, school_id=group.year.school_id).exists():
        raise ValidationError(_("This person does not work at the school of the group."))


def _sync_group_perm(user: User, group: TeachingGroup, role: str) -> None:
    codename = "teach_group" if role == AssignmentRole.MAIN else "substitute_group"
    assignments = TeachingAssignment.objects.filter(group=group, teacher=user, role=role)
    if role == AssignmentRole.MAIN:
        # An open or not yet ended main assignment keeps the grant; an ended one does not.
        active = assignments.filter(Q(end__isnull=True) | Q(end__gte=dt.date.today())).exists()
    else:
        active = assignments.filter(end__gte=dt.date.today()).exists()
    if active:
        assign_perm(f"journal.{codename}", user, group)
    else:
        remove_perm(f"journal.{codename}", user, group)


@transaction.atomic
def teacher_assign(
    *, actor: User | None, group: TeachingGroup, teacher: User, start: dt.date, end: dt.date | None = None
) -> TeachingAssignment:
    """Make ``teacher`` a main teacher of ``group`` from ``start`` (тарификация); grants ``teach_group``."""
    _check_same_school(group, teacher)
    if end and end < start:
        raise ValidationError(_("The end date is before the start date."))
    assignment = TeachingAssignment.objects.create(
        group=group, teacher=teacher, role=AssignmentRole.MAIN, start=start, end=end, created_by=actor
    )
    _sync_group_perm(teacher, group, AssignmentRole.MAIN)
    return assignment


@transaction.atomic
def teacher_unassign(*, actor: User | None, assignment: TeachingAssignment, end: dt.date) -> TeachingAssignment:
    """End a main assignment on ``end``; the grant goes once no other assignment of the teacher remains."""
    if end < assignment.start:
        raise ValidationError(_("The end date is before the start date."))
    assignment.end = end
    assignment.save(update_fields=["end"])
    _sync_group_perm(assignment.teacher, assignment.group, assignment.role)
    return assignment


@transaction.atomic
def class_teacher_set(*, actor: User | None, school_class: SchoolClass, teacher: User | None) -> SchoolClass:
    """Make ``teacher`` the class teacher (or nobody); the previous one loses ``lead_class``."""
    previous = school_class.class_teacher
    if teacher is not None and not StaffRole.objects.filter(user=teacher, school_id=school_class.year.school_id).exists():
        raise ValidationError(_("This person does not work at the school of the class."))
    if previous is not None and previous != teacher:
        remove_perm("journal.lead_class", previous, school_class)
    school_class.class_teacher = teacher
    school_class.save(update_fields=["class_teacher"])
    if teacher is not None:
        assign_perm("journal.lead_class", teacher, school_class)
    return school_class


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
    :func:`substitutions_expire` once the substitution has ended.
    """
    _check_same_school(group, substitute)
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
    assign_perm("journal.substitute_group", substitute, group)
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
    _sync_group_perm(assignment.teacher, assignment.group, AssignmentRole.SUBSTITUTE)


def substitutions_expire(*, today: dt.date | None = None) -> int:
    """Remove ``substitute_group`` grants whose substitutions have all ended. Idempotent; returns the count.

    The authorization module already ignores a grant outside its dates; this keeps the table honest.
    """
    from .models import TeachingGroupUserObjectPermission

    today = today or dt.date.today()
    live = set(
        TeachingAssignment.objects.filter(role=AssignmentRole.SUBSTITUTE, end__gte=today).values_list(
            "teacher_id", "group_id"
        )
    )
    grants = TeachingGroupUserObjectPermission.objects.filter(permission__codename="substitute_group")
    stale = [pk for pk, user_id, group_id in grants.values_list("pk", "user_id", "content_object_id")
             if (user_id, group_id) not in live]
    TeachingGroupUserObjectPermission.objects.filter(pk__in=stale).delete()
    return len(stale)


# --- parents and students' own logins -------------------------------------------------------------------


@transaction.atomic
def parent_link(*, actor: User | None, parent: User, student: Student, relation: str = Relation.MOTHER) -> ParentLink:
    """Link a parent to a child; the parent may read that child's diary and nothing else."""
    link, _created = ParentLink.objects.get_or_create(parent=parent, student=student, defaults={"relation": relation})
    assign_perm("journal.view_diary", parent, student)
    return link


@transaction.atomic
def parent_unlink(*, actor: User | None, parent: User, student: Student) -> None:
    ParentLink.objects.filter(parent=parent, student=student).delete()
    remove_perm("journal.view_diary", parent, student)


@transaction.atomic
def student_login_set(*, actor: User | None, student: Student, user: User | None) -> Student:
    """Give the student a login of their own (view-only diary of themselves), or take it away."""
    if student.user_id and (user is None or student.user_id != user.pk):
        remove_perm("journal.view_diary", student.user, student)
    student.user = user
    student.save(update_fields=["user"])
    if user is not None:
        assign_perm("journal.view_diary", user, student)
    return student
