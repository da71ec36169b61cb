"""The timetable (issue 7 point 3): bells, the weekly timetable of each class with validity dates and
clash checks, lessons generated from it, substitutions (R12), transfers and cancellations.

Every service takes the ``actor`` and refuses (``PermissionDenied``) anybody who does not run the
school's timetable (``manage_year``: deputy, administrator); views fetch objects already scoped, this is
the second lock. Every change writes its line of the office's change log in the same transaction; the
changes of a lesson also go into the journal's own history (``grading.history.lesson_event``).

Substitutes' access is the authorization module's business: a substitute ``TeachingAssignment`` grants
the group's lessons dated inside it and nothing else (``accounts.permissions.lessons_for``), so access
starts and ends with the dates, with no job to run; ``accounts.services`` keeps the grant rows in sync.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import office_scope
from accounts.services import substitution_end as grant_substitution_end
from accounts.services import substitution_start
from attendance.models import Absence
from grading.history import lesson_event
from grading.models import EventAction, EventObject, MarkColumn
from journal.models import (
    AcademicYear,
    AssignmentRole,
    Bell,
    GroupKind,
    GroupMembership,
    Holiday,
    Homework,
    Lesson,
    LessonNote,
    LessonStatus,
    PeriodLock,
    School,
    SchoolClass,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
    Weekday,
)

from .audit import record

MAX_LESSON_NUMBER = 12
ONE_DAY = dt.timedelta(days=1)


def _d(day: dt.date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else "…"


def _weekday(number: int) -> str:
    return str(Weekday(number).label)


def _check_may(actor: User, school_id: int) -> None:
    """The second lock behind the views: only who runs the school's timetable writes here."""
    if school_id not in office_scope(actor).year:
        raise PermissionDenied(_("You do not run the timetable of this school."))


def _in_force(start: dt.date, end: dt.date | None, field_from: str = "start", field_to: str = "end") -> Q:
    """Rows whose [from, to] (open when empty) overlaps [start, end] (open when ``end`` is None)."""
    q = Q(**{f"{field_to}__isnull": True}) | Q(**{f"{field_to}__gte": start})
    if end is not None:
        q &= Q(**{f"{field_from}__lte": end})
    return q


def lessons_with_data() -> Q:
    """Lessons that somebody has already written into: a topic, a status other than planned, a transfer,
    mark columns, attendance, homework or remarks. Generation and clean-up never touch them."""
    return (
        ~Q(topic="")
        | ~Q(status=LessonStatus.PLANNED)
        | Q(moved_from_date__isnull=False)
        | Exists(MarkColumn.objects.filter(lesson_id=OuterRef("pk")))
        | Exists(Absence.objects.filter(lesson_id=OuterRef("pk")))
        | Exists(Homework.objects.filter(lesson_id=OuterRef("pk")))
        | Exists(LessonNote.objects.filter(lesson_id=OuterRef("pk")))
    )


def _locked_ranges(class_ids: Iterable[int]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Per class, the archived (closed) periods: nothing is generated, moved or cancelled there (R23)."""
    ranges: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for class_id, start, end in PeriodLock.objects.filter(school_class_id__in=list(class_ids)).values_list(
        "school_class_id", "period__start", "period__end"
    ):
        ranges[class_id].append((start, end))
    return ranges


def _lesson_locked(lesson: Lesson) -> bool:
    return PeriodLock.objects.filter(
        school_class__groups=lesson.group_id, period__start__lte=lesson.date, period__end__gte=lesson.date
    ).exists()


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
