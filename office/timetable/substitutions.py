"""Substitutions for a date range (R12)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import substitution_end as grant_substitution_end
from accounts.services import substitution_start
from journal.models import (
    AssignmentRole,
    Lesson,
    LessonStatus,
    School,
    TeachingAssignment,
    TeachingGroup,
)

from ..audit import record
from .common import (
    ONE_DAY,
    _check_may,
    _d,
    _in_force,
    lessons_with_data,
)

# --- substitutions (R12) ----------------------------------------------------------------------------------


def _take_over_lessons(group_ids: Iterable[int], substitute: User, start: dt.date, end: dt.date) -> int:
    """The lessons of the substitution not yet held are the substitute's (R12: the substitute records
    them); a lesson already held keeps who taught it."""
    return (
        Lesson.objects.filter(group_id__in=list(group_ids), date__gte=start, date__lte=end)
        .exclude(lessons_with_data())
        .update(teacher=substitute, is_substitution=True)
    )


def _substitute_busy(substitute: User, group_ids: list[int], start: dt.date, end: dt.date) -> list[str]:
    """Lessons of the substitute's own at the same date and number as a lesson to substitute."""
    wanted = set(
        Lesson.objects.filter(group_id__in=group_ids, date__gte=start, date__lte=end)
        .exclude(status=LessonStatus.CANCELLED)
        .values_list("date", "number")
    )
    own = (
        Lesson.objects.filter(teacher=substitute, date__gte=start, date__lte=end)
        .exclude(group_id__in=group_ids)
        .exclude(status=LessonStatus.CANCELLED)
        .select_related("group")
        .order_by("date", "number")
    )
    return [
        _("%(teacher)s has a lesson of their own then: %(group)s, %(date)s, lesson %(n)s.")
        % {"teacher": substitute.short_name, "group": lesson.group.name, "date": _d(lesson.date), "n": lesson.number}
        for lesson in own
        if (lesson.date, lesson.number) in wanted
    ]


@transaction.atomic
def substitution_add(
    *,
    actor: User,
    school: School,
    substitute: User,
    start: dt.date,
    end: dt.date,
    group: TeachingGroup | None = None,
    teacher: User | None = None,
    note: str = "",
) -> list[TeachingAssignment]:
    """The substitute takes the lessons of ``group`` — or of every group ``teacher`` teaches — from
    ``start`` to ``end`` (R12). Creates one substitute assignment per group (access to those lessons on
    those dates only, nothing to switch off later), makes the lessons not yet held the substitute's, and
    records the change. Refuses a substitute who already teaches at one of those lessons."""
    _check_may(actor, school.pk)
    note = note.strip()
    if (group is None) == (teacher is None):
        raise ValidationError(_("Choose either a group or the teacher who is away."))
    if end < start:
        raise ValidationError(_("The end date is before the start date."))
    if group is not None:
        if group.year.school_id != school.pk:
            raise ValidationError(_("The group belongs to another school."))
        groups = [group]
        replaced_by_group = {
            group.pk: TeachingAssignment.objects.filter(_in_force(start, end), group=group, role=AssignmentRole.MAIN)
            .select_related("teacher")
            .order_by("-start")
            .first()
        }
    else:
        mains = list(
            TeachingAssignment.objects.filter(
                _in_force(start, end), teacher=teacher, role=AssignmentRole.MAIN, group__year__school=school
            ).select_related("group__year", "teacher")
        )
        if not mains:
            raise ValidationError(
                _("%(teacher)s teaches no group between %(start)s and %(end)s.")
                % {"teacher": teacher.short_name, "start": _d(start), "end": _d(end)}
            )
        groups = list({a.group_id: a.group for a in mains}.values())
        replaced_by_group = {a.group_id: a for a in mains}
    for g in groups:
        if not (g.year.contains(start) and g.year.contains(end)):
            raise ValidationError(
                _("The dates must lie inside the academic year %(year)s (%(start)s–%(end)s).")
                % {"year": g.year.name, "start": _d(g.year.start), "end": _d(g.year.end)}
            )
        main = replaced_by_group.get(g.pk)
        if main is not None and main.teacher_id == substitute.pk:
            raise ValidationError(_("%(teacher)s is the group's own teacher.") % {"teacher": substitute.short_name})
    overlapping = TeachingAssignment.objects.filter(
        group__in=groups, teacher=substitute, role=AssignmentRole.SUBSTITUTE, start__lte=end, end__gte=start
    ).select_related("group")
    errors = [
        _("%(teacher)s already substitutes in %(group)s from %(start)s to %(end)s.")
        % {"teacher": substitute.short_name, "group": a.group.name, "start": _d(a.start), "end": _d(a.end)}
        for a in overlapping
    ]
    errors += _substitute_busy(substitute, [g.pk for g in groups], start, end)
    if errors:
        raise ValidationError(errors)
    created = []
    for g in groups:
        main = replaced_by_group.get(g.pk)
        assignment = substitution_start(
            actor=actor,
            group=g,
            substitute=substitute,
            start=start,
            end=end,
            replaces=main.teacher if main is not None else teacher,
            note=note,
        )
        lessons = _take_over_lessons([g.pk], substitute, start, end)
        record(
            actor=actor,
            school=school,
            action="create",
            object_type="substitution",
            object_id=assignment.pk,
            summary=_("Substitution: %(substitute)s instead of %(teacher)s in %(group)s, %(start)s–%(end)s")
            % {
                "substitute": substitute.short_name,
                "teacher": assignment.replaces.short_name if assignment.replaces else "—",
                "group": g.name,
                "start": _d(start),
                "end": _d(end),
            },
            data={"lessons": lessons, "note": note},
        )
        created.append(assignment)
    return created


@transaction.atomic
def substitution_end(*, actor: User, assignment: TeachingAssignment, last_day: dt.date | None = None) -> None:
    """End a substitution on ``last_day`` (or cancel it entirely when None or before it starts). The
    substitute's access ends with it; the lessons after that day not yet held go back to the main
    teacher of their day."""
    group = assignment.group
    _check_may(actor, group.year.school_id)
    if assignment.role != AssignmentRole.SUBSTITUTE:
        raise ValidationError(_("This is not a substitution."))
    if last_day is not None and last_day >= assignment.end:
        raise ValidationError(_("The substitution already ends on %(end)s.") % {"end": _d(assignment.end)})
    old_start, old_end, substitute = assignment.start, assignment.end, assignment.teacher
    pk = assignment.pk
    grant_substitution_end(actor=actor, assignment=assignment, end=last_day)
    since = max(old_start, (last_day or old_start - ONE_DAY) + ONE_DAY)
    mains = list(
        TeachingAssignment.objects.filter(_in_force(since, old_end), group=group, role=AssignmentRole.MAIN).order_by(
            "-start"
        )
    )
    back = (
        Lesson.objects.filter(group=group, teacher=substitute, is_substitution=True, date__gte=since, date__lte=old_end)
        .exclude(lessons_with_data())
        .order_by()
    )
    returned = 0
    for lesson in back:
        main = next((a for a in mains if a.is_active_on(lesson.date)), None)
        lesson.teacher_id = main.teacher_id if main else None
        lesson.is_substitution = False
        lesson.save(update_fields=["teacher", "is_substitution", "updated_at"])
        returned += 1
    record(
        actor=actor,
        school=group.year.school_id,
        action="update" if last_day is not None and last_day >= old_start else "delete",
        object_type="substitution",
        object_id=pk,
        summary=_("Substitution of %(substitute)s in %(group)s (%(start)s–%(end)s) ended: last day %(last)s")
        % {
            "substitute": substitute.short_name,
            "group": group.name,
            "start": _d(old_start),
            "end": _d(old_end),
            "last": _d(last_day) if last_day is not None and last_day >= old_start else "—",
        },
        data={"lessons_returned": returned},
    )
