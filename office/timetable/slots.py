"""Bells, clash checks and the weekly timetable's slots (issue 7 point 3)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from journal.models import (
    AssignmentRole,
    Bell,
    GroupKind,
    GroupMembership,
    Lesson,
    School,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
    Weekday,
)

from ..audit import record
from .common import (
    MAX_LESSON_NUMBER,
    _check_may,
    _d,
    _in_force,
    _weekday,
    lessons_with_data,
)

# --- bells ------------------------------------------------------------------------------------------------


@transaction.atomic
def bell_schedule_set(*, actor: User, school: School, bells: Sequence[tuple[int, dt.time, dt.time]]) -> list[Bell]:
    """Make the school's bell schedule exactly ``bells`` — ``(number, start, end)`` — in one go.

    Refuses (nothing changed) a lesson that ends before it starts, two lessons that overlap, a number
    given twice, and dropping a lesson number that the timetable still uses."""
    _check_may(actor, school.pk)
    errors: list[str] = []
    numbers = [number for number, _s, _e in bells]
    if len(set(numbers)) != len(numbers):
        errors.append(_("A lesson number is given twice."))
    ordered = sorted(bells)
    for number, start, end in ordered:
        if not 1 <= number <= MAX_LESSON_NUMBER:
            errors.append(_("Lesson numbers go from 1 to %(max)s.") % {"max": MAX_LESSON_NUMBER})
        if start >= end:
            errors.append(_("Lesson %(n)s ends before it starts.") % {"n": number})
    for (n1, _s1, end1), (n2, start2, _e2) in zip(ordered, ordered[1:], strict=False):
        if start2 < end1:
            errors.append(_("Lessons %(a)s and %(b)s overlap in time.") % {"a": n1, "b": n2})
    dropped = set(Bell.objects.filter(school=school).values_list("number", flat=True)) - set(numbers)
    used = sorted(
        set(
            TimetableSlot.objects.filter(group__year__school=school, number__in=dropped, group__year__is_closed=False)
            .filter(_in_force(school.today(), None, "valid_from", "valid_to"))
            .values_list("number", flat=True)
        )
    )
    if used:
        errors.append(
            _("Lesson %(n)s is in the timetable: end or remove those slots first.")
            % {"n": ", ".join(str(n) for n in used)}
        )
    if errors:
        raise ValidationError(errors)
    Bell.objects.filter(school=school).exclude(number__in=numbers).delete()
    result = []
    for number, start, end in ordered:
        bell, _created = Bell.objects.update_or_create(
            school=school, number=number, defaults={"start_time": start, "end_time": end}
        )
        result.append(bell)
    record(
        actor=actor,
        school=school,
        action="update",
        object_type="bells",
        summary=_("Bell schedule: %(bells)s") % {"bells": "; ".join(str(b) for b in result) or "—"},
        data={"bells": [[b.number, f"{b.start_time:%H:%M}", f"{b.end_time:%H:%M}"] for b in result]},
    )
    return result


# --- clash checks -----------------------------------------------------------------------------------------


def _main_teachers(group_ids: Iterable[int], start: dt.date, end: dt.date | None) -> dict[int, dict[int, User]]:
    """Group id → {teacher id: teacher} of main assignments overlapping [start, end]."""
    teachers: dict[int, dict[int, User]] = defaultdict(dict)
    for assignment in TeachingAssignment.objects.filter(
        _in_force(start, end), group_id__in=list(group_ids), role=AssignmentRole.MAIN
    ).select_related("teacher"):
        teachers[assignment.group_id][assignment.teacher_id] = assignment.teacher
    return teachers


def _same_split(a: TeachingGroup, b: TeachingGroup, classes_a: set[int], classes_b: set[int]) -> bool:
    """Subgroups of one split (R13): the same subject and classes, different subgroup numbers — they run
    at the same time by design, each with its own teacher and room."""
    return (
        a.kind == GroupKind.SUBGROUP
        and b.kind == GroupKind.SUBGROUP
        and a.subject_id == b.subject_id
        and classes_a == classes_b
        and a.subgroup_number != b.subgroup_number
    )


def _share_students(a_id: int, b_id: int, start: dt.date, end: dt.date | None) -> bool:
    members = GroupMembership.objects.filter(_in_force(start, end), group_id=a_id).values("student_id")
    return GroupMembership.objects.filter(_in_force(start, end), group_id=b_id, student_id__in=members).exists()


def slot_clashes(
    *,
    group: TeachingGroup,
    weekday: int,
    number: int,
    room: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    exclude_pk: int | None = None,
) -> list[str]:
    """Readable descriptions of what the slot would clash with, on the same weekday and lesson number
    with overlapping validity in the same school: the same group already there; a class in two places
    (a whole-class group with anything of the class; two partial groups only when they share a student;
    subgroups of one split never); the same main teacher; the same room. Empty when the slot fits."""
    others = list(
        TimetableSlot.objects.filter(
            _in_force(valid_from, valid_to, "valid_from", "valid_to"),
            group__year__school_id=group.year.school_id,
            weekday=weekday,
            number=number,
        )
        .exclude(pk=exclude_pk)
        .select_related("group")
        .prefetch_related("group__classes")
    )
    if not others:
        return []
    when = _("%(day)s, lesson %(n)s") % {"day": _weekday(weekday), "n": number}
    own_classes = {c.pk: c for c in group.classes.all()}
    teachers = _main_teachers([group.pk, *(s.group_id for s in others)], valid_from, valid_to)
    own_teachers = teachers.get(group.pk, {})
    clashes: list[str] = []
    for other in others:
        other_group = other.group
        span = _("from %(start)s to %(end)s") % {"start": _d(other.valid_from), "end": _d(other.valid_to)}
        what = {"group": other_group.name, "when": when, "span": span}
        if other_group.pk == group.pk:
            clashes.append(_("%(group)s already has this lesson: %(when)s (%(span)s).") % what)
            continue
        other_classes = {c.pk: c for c in other_group.classes.all()}
        common = set(own_classes) & set(other_classes)
        if common and not _same_split(group, other_group, set(own_classes), set(other_classes)):
            whole = GroupKind.WHOLE_CLASS in (group.kind, other_group.kind)
            if whole or _share_students(group.pk, other_group.pk, valid_from, valid_to):
                names = ", ".join(sorted(own_classes[pk].name for pk in common))
                clashes.append(
                    _("Class %(classes)s is already at %(group)s: %(when)s (%(span)s).") % {**what, "classes": names}
                )
        for teacher_id in set(own_teachers) & set(teachers.get(other_group.pk, {})):
            clashes.append(
                _("Teacher %(teacher)s already teaches %(group)s: %(when)s (%(span)s).")
                % {**what, "teacher": own_teachers[teacher_id].short_name}
            )
        if room.strip() and room.strip().casefold() == other.room.strip().casefold():
            clashes.append(
                _("Room %(room)s is taken by %(group)s: %(when)s (%(span)s).") % {**what, "room": other.room}
            )
    return clashes


# --- slots ------------------------------------------------------------------------------------------------


def slot_summary(slot: TimetableSlot) -> str:
    return _("%(group)s: %(day)s, lesson %(n)s, room %(room)s, from %(start)s to %(end)s") % {
        "group": slot.group.name,
        "day": _weekday(slot.weekday),
        "n": slot.number,
        "room": slot.room or "—",
        "start": _d(slot.valid_from),
        "end": _d(slot.valid_to),
    }


@transaction.atomic
def slot_add(
    *,
    actor: User,
    group: TeachingGroup,
    weekday: int,
    number: int,
    room: str = "",
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> TimetableSlot:
    """Put the group into the weekly timetable from ``valid_from`` to ``valid_to`` (the end of the year
    when empty). Refuses dates outside the group's year, a weekday or number out of range, and every
    clash (:func:`slot_clashes`), listing them all; nothing is saved then."""
    year = group.year
    _check_may(actor, year.school_id)
    room = room.strip()
    if year.is_closed:
        raise ValidationError(_("The academic year %(year)s is closed.") % {"year": year.name})
    if weekday not in Weekday.values:
        raise ValidationError(_("Choose a weekday from Monday to Saturday."))
    if not 1 <= number <= MAX_LESSON_NUMBER:
        raise ValidationError(_("Lesson numbers go from 1 to %(max)s.") % {"max": MAX_LESSON_NUMBER})
    if not year.contains(valid_from) or (valid_to is not None and not year.contains(valid_to)):
        raise ValidationError(
            _("The dates must lie inside the academic year %(year)s (%(start)s–%(end)s).")
            % {"year": year.name, "start": _d(year.start), "end": _d(year.end)}
        )
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(_("The end date is before the start date."))
    # Lock the school's slots of this weekday so two deputies do not add clashing slots at once.
    list(
        TimetableSlot.objects.select_for_update()
        .filter(group__year__school_id=year.school_id, weekday=weekday, number=number)
        .values_list("pk", flat=True)
    )
    clashes = slot_clashes(
        group=group, weekday=weekday, number=number, room=room, valid_from=valid_from, valid_to=valid_to
    )
    if clashes:
        raise ValidationError(clashes, code="clash")
    slot = TimetableSlot.objects.create(
        group=group, weekday=weekday, number=number, room=room, valid_from=valid_from, valid_to=valid_to
    )
    record(
        actor=actor,
        school=year.school_id,
        action="create",
        object_type="timetable",
        object_id=slot.pk,
        summary=_("Timetable: added %(slot)s") % {"slot": slot_summary(slot)},
    )
    return slot


def _empty_lessons_of(slot: TimetableSlot, after: dt.date | None) -> QuerySet[Lesson]:
    """The slot's lessons (its group, weekday and number) from the day after ``after`` (all when None)
    inside its validity that nobody has written into and no other slot of the group covers."""
    lessons = Lesson.objects.filter(
        group_id=slot.group_id, number=slot.number, date__week_day=slot.weekday + 1, date__gte=slot.valid_from
    )
    if slot.valid_to is not None:
        lessons = lessons.filter(date__lte=slot.valid_to)
    if after is not None:
        lessons = lessons.filter(date__gt=after)
    others = TimetableSlot.objects.filter(group_id=slot.group_id, weekday=slot.weekday, number=slot.number).exclude(
        pk=slot.pk
    )
    covered = Exists(
        others.filter(valid_from__lte=OuterRef("date")).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("date"))
        )
    )
    return lessons.exclude(lessons_with_data()).exclude(covered)


@transaction.atomic
def slot_end(*, actor: User, slot: TimetableSlot, last_day: dt.date) -> int:
    """The slot is in force up to ``last_day`` (a timetable change from the next day). Planned lessons
    generated from it after that day that nobody has written into are removed; returns how many."""
    _check_may(actor, slot.group.year.school_id)
    if last_day < slot.valid_from:
        raise ValidationError(
            _("The slot starts on %(start)s: end it on that day or later, or remove it.")
            % {"start": _d(slot.valid_from)}
        )
    if slot.valid_to is not None and last_day >= slot.valid_to:
        raise ValidationError(_("The slot already ends on %(end)s.") % {"end": _d(slot.valid_to)})
    _total, detail = _empty_lessons_of(slot, last_day).delete()
    removed = detail.get("journal.Lesson", 0)
    slot.valid_to = last_day
    slot.save(update_fields=["valid_to"])
    record(
        actor=actor,
        school=slot.group.year.school_id,
        action="update",
        object_type="timetable",
        object_id=slot.pk,
        summary=_("Timetable: ended %(slot)s") % {"slot": slot_summary(slot)},
        data={"lessons_removed": removed},
    )
    return removed


@transaction.atomic
def slot_remove(*, actor: User, slot: TimetableSlot) -> int:
    """Remove a slot entered by mistake, with the lessons generated from it that nobody has written
    into (lessons with entries stay in the journal). Returns how many lessons were removed."""
    school_id = slot.group.year.school_id
    _check_may(actor, school_id)
    summary = slot_summary(slot)
    _total, detail = _empty_lessons_of(slot, None).delete()
    removed = detail.get("journal.Lesson", 0)
    pk = slot.pk
    slot.delete()
    record(
        actor=actor,
        school=school_id,
        action="delete",
        object_type="timetable",
        object_id=pk,
        summary=_("Timetable: removed %(slot)s") % {"slot": summary},
        data={"lessons_removed": removed},
    )
    return removed
