"""The diary (issue 4): what a parent or a student reads — the week, marks by subject, attendance, the
timetable, control works and teachers — and the parent's acknowledgement of a week (R19).

Reads only, never cached: what the teacher saved is visible at the next page load (R24). Every read is
a fixed number of queries whatever the number of marks, lessons or subjects (guarded in tests). The
student comes from ``accounts.permissions.get_student_for(user, pk)`` (404 for another family's child);
nothing here checks access again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext as _

from accounts.models import ParentLink, User
from attendance.models import Absence, AbsenceKind, AbsenceReason
from grading.models import Mark, MarkColumn, PeriodMark
from grading.selectors import forecast

from .grid import period_on, weighted_average
from .models import (
    Bell,
    DiaryAcknowledgement,
    Enrollment,
    GroupMembership,
    Holiday,
    Homework,
    HomeworkAttachment,
    Lesson,
    LessonNote,
    LessonStatus,
    PeriodKind,
    PlanItem,
    SchoolClass,
    Student,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)

DAYS = 6  # Monday to Saturday: the Russian school week


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.isoweekday() - 1)


def _memberships(student: Student, start: dt.date, end: dt.date) -> list[GroupMembership]:
    """The student's group memberships overlapping [start, end], with the group and its subject."""
    return list(
        GroupMembership.objects.filter(student=student, start__lte=end)
        .filter(Q(end__isnull=True) | Q(end__gte=start))
        .select_related("group__subject", "group__year")
        .order_by("group__subject__name", "group__name")
    )


def _member_on(memberships: list[GroupMembership], group_id: int, day: dt.date) -> bool:
    return any(m.group_id == group_id and m.start <= day and (m.end is None or m.end >= day) for m in memberships)


# --- the week ----------------------------------------------------------------------------------------------


@dataclass
class DiaryLesson:
    number: int
    group: TeachingGroup
    start: dt.time | None = None
    end: dt.time | None = None
    room: str = ""
    lesson: Lesson | None = None  # None: in the timetable, not yet in the journal
    marks: list[Mark] = field(default_factory=list)
    absence: Absence | None = None
    notes: list[LessonNote] = field(default_factory=list)
    homework: list[Homework] = field(default_factory=list)  # due at this lesson
    moved_to: Lesson | None = None  # the timetable's lesson here was transferred to another day or number

    @property
    def cancelled(self) -> bool:
        return self.lesson is not None and self.lesson.status == LessonStatus.CANCELLED

    @property
    def moved_here(self) -> bool:
        """The lesson was transferred here from another date or lesson number (issue 7)."""
        return self.lesson is not None and self.lesson.moved_from_date is not None


@dataclass
class DiaryDay:
    date: dt.date
    holiday: Holiday | None
    lessons: list[DiaryLesson]


@dataclass
class DiaryWeek:
    student: Student
    school_class: SchoolClass | None
    monday: dt.date
    days: list[DiaryDay]
    acknowledged_at: dt.datetime | None = None  # when the reading parent confirmed this week (R19)

    @property
    def prev_week(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next_week(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)


def class_of(student: Student, day: dt.date) -> SchoolClass | None:
    enrollment = (
        Enrollment.objects.filter(student=student, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .select_related("school_class__class_teacher")
        .order_by("-start")
        .first()
    )
    return enrollment.school_class if enrollment else None


def diary_week(student: Student, day: dt.date) -> DiaryWeek:
    """The week of ``day``: each day's lessons in timetable order (the timetable, and every lesson the
    journal has — moved or extra lessons too), with the teacher, topic, the homework due at that lesson,
    the student's marks (work type, weight), absence or lateness and remarks; holidays."""
    monday = monday_of(day)
    saturday = monday + dt.timedelta(days=DAYS - 1)
    school_class = class_of(student, day)
    memberships = _memberships(student, monday, saturday)
    groups = {m.group_id: m.group for m in memberships}
    group_ids = list(groups)

    slots = TimetableSlot.objects.filter(group_id__in=group_ids, valid_from__lte=saturday).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=monday)
    )
    # The week's lessons, and (same query) the lessons transferred away from a place in this week, so
    # the old place says where the lesson went instead of showing the timetable's lesson as if it ran.
    fetched = list(
        Lesson.objects.filter(group_id__in=group_ids)
        .filter(Q(date__gte=monday, date__lte=saturday) | Q(moved_from_date__gte=monday, moved_from_date__lte=saturday))
        .select_related("teacher")
        .order_by()
    )
    lessons = [lesson for lesson in fetched if monday <= lesson.date <= saturday]
    moved_away = [x for x in fetched if x.moved_from_date and monday <= x.moved_from_date <= saturday]
    lesson_ids = [lesson.pk for lesson in lessons]
    marks: dict[int, list[Mark]] = defaultdict(list)
    for mark in (
        Mark.objects.filter(student=student, column__lesson_id__in=lesson_ids)
        .select_related("column__work_type")
        .order_by("column_id")
    ):
        marks[mark.column.lesson_id].append(mark)
    absences = {a.lesson_id: a for a in Absence.objects.filter(student=student, lesson_id__in=lesson_ids).order_by()}
    notes: dict[int, list[LessonNote]] = defaultdict(list)
    for note in LessonNote.objects.filter(student=student, lesson_id__in=lesson_ids).order_by("created_at"):
        notes[note.lesson_id].append(note)
    homework: dict[tuple[int, dt.date], list[Homework]] = defaultdict(list)
    # Homework is shown at the lesson it is due for; without a due date (no next lesson in the journal
    # yet), at the lesson it was given on.
    due_in_week = Q(due_date__gte=monday, due_date__lte=saturday) | Q(
        due_date__isnull=True, lesson__date__gte=monday, lesson__date__lte=saturday
    )
    for item in (
        Homework.objects.filter(due_in_week, lesson__group_id__in=group_ids)
        .select_related("lesson")
        .prefetch_related(Prefetch("attachments", queryset=HomeworkAttachment.objects.order_by("pk")))
        .order_by("pk")
    ):
        homework[(item.lesson.group_id, item.due_date or item.lesson.date)].append(item)
    school_id = student.school_id
    bells = {b.number: b for b in Bell.objects.filter(school_id=school_id)}
    grade = school_class.grade if school_class else None
    holidays = [
        h
        for h in Holiday.objects.filter(year__school_id=school_id, start__lte=saturday, end__gte=monday)
        if grade is None
        or ((h.grade_from is None or h.grade_from <= grade) and (h.grade_to is None or h.grade_to >= grade))
    ]

    rows: dict[tuple[dt.date, int, int], DiaryLesson] = {}
    for slot in slots:
        date = monday + dt.timedelta(days=slot.weekday - 1)
        valid = slot.valid_from <= date and (slot.valid_to is None or slot.valid_to >= date)
        if valid and _member_on(memberships, slot.group_id, date):
            rows[(date, slot.number, slot.group_id)] = DiaryLesson(slot.number, groups[slot.group_id], room=slot.room)
    for lesson in lessons:
        if not _member_on(memberships, lesson.group_id, lesson.date):
            continue
        row = rows.setdefault(
            (lesson.date, lesson.number, lesson.group_id), DiaryLesson(lesson.number, groups[lesson.group_id])
        )
        row.lesson = lesson
        row.room = lesson.room or row.room
        row.marks = marks.get(lesson.pk, [])
        row.absence = absences.get(lesson.pk)
        row.notes = notes.get(lesson.pk, [])
    for lesson in moved_away:
        old = (lesson.moved_from_date, lesson.moved_from_number, lesson.group_id)
        if old == (lesson.date, lesson.number, lesson.group_id) or not _member_on(
            memberships, lesson.group_id, lesson.moved_from_date
        ):
            continue
        row = rows.setdefault(old, DiaryLesson(lesson.moved_from_number, groups[lesson.group_id]))
        if row.lesson is None:
            row.moved_to = lesson
    days = []
    for offset in range(DAYS):
        date = monday + dt.timedelta(days=offset)
        holiday = next((h for h in holidays if h.start <= date <= h.end), None)
        day_rows = sorted((r for (d, _n, _g), r in rows.items() if d == date), key=lambda r: (r.number, r.group.name))
        for row in day_rows:
            bell = bells.get(row.number)
            if bell:
                row.start, row.end = bell.start_time, bell.end_time
            row.homework = homework.get((row.group.pk, date), [])
        if holiday:
            # The timetable does not run in the holidays (or a quarantine declared after the lessons were
            # generated): only lessons that really took place, or carry entries, stay on the day.
            day_rows = [
                r
                for r in day_rows
                if r.lesson and (r.lesson.status == LessonStatus.HELD or r.lesson.topic or r.marks or r.absence)
            ]
        days.append(DiaryDay(date, holiday, day_rows))
    return DiaryWeek(student, school_class, monday, days)


# --- marks and attendance by subject ---------------------------------------------------------------------


@dataclass
class SubjectAttendance:
    absent: int = 0  # Н, Б, У together
    illness: int = 0  # Б
    excused: int = 0  # У
    unexcused: int = 0  # Н (or a reason not recorded yet)
    late: int = 0  # О


@dataclass
class SubjectMarks:
    group: TeachingGroup
    marks: list[Mark]
    average: Decimal | None
    forecast: int | None
    finals: list[tuple[StudyPeriod, PeriodMark | None]]  # every period of the year, then the year (R7)
    attendance: SubjectAttendance
    lessons_held: int = 0


@dataclass
class DiaryMarks:
    student: Student
    school_class: SchoolClass | None
    period: StudyPeriod | None
    periods: list[StudyPeriod]  # the class's scheme, then the year
    subjects: list[SubjectMarks]


def diary_marks(student: Student, day: dt.date, period_id: str | None = None) -> DiaryMarks:
    """Marks by subject for a period: every mark with its date and work type, the weighted average and
    the forecast (R6), the period and year marks (R7), and the attendance of each subject (R8)."""
    school_class = class_of(student, day)
    if school_class is None:
        return DiaryMarks(student, None, None, [], [])
    periods = sorted(
        StudyPeriod.objects.filter(year_id=school_class.year_id).filter(
            Q(kind=school_class.period_kind) | Q(kind=PeriodKind.YEAR)
        ),
        key=lambda p: (p.kind == PeriodKind.YEAR, p.start),  # the terms, then the year
    )
    period = next((p for p in periods if str(p.pk) == (period_id or "")), None) or period_on(periods, day)
    if period is None:
        return DiaryMarks(student, school_class, None, periods, [])
    memberships = _memberships(student, period.start, period.end)
    group_ids = [m.group_id for m in memberships]
    in_period = Q(column__lesson__date__gte=period.start, column__lesson__date__lte=period.end)
    marks: dict[int, list[Mark]] = defaultdict(list)
    for mark in (
        Mark.objects.filter(in_period, student=student, column__lesson__group_id__in=group_ids)
        .select_related("column__work_type", "column__lesson")
        .order_by("column__lesson__date", "column__lesson__number", "column_id")
    ):
        marks[mark.column.lesson.group_id].append(mark)
    period_marks: dict[int, dict[int, PeriodMark]] = defaultdict(dict)
    for pm in PeriodMark.objects.filter(student=student, group_id__in=group_ids, period__in=periods).order_by():
        period_marks[pm.group_id][pm.period_id] = pm
    attendance: dict[int, SubjectAttendance] = defaultdict(SubjectAttendance)
    for group_id, kind, reason in Absence.objects.filter(
        student=student, lesson__group_id__in=group_ids, lesson__date__gte=period.start, lesson__date__lte=period.end
    ).values_list("lesson__group_id", "kind", "reason"):
        counts = attendance[group_id]
        if kind == AbsenceKind.LATE:
            counts.late += 1
            continue
        counts.absent += 1
        if reason == AbsenceReason.ILLNESS:
            counts.illness += 1
        elif reason == AbsenceReason.EXCUSED:
            counts.excused += 1
        else:
            counts.unexcused += 1
    held = dict(
        Lesson.objects.filter(
            group_id__in=group_ids, status=LessonStatus.HELD, date__gte=period.start, date__lte=period.end
        )
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
        .order_by()
    )
    subjects = []
    for membership in memberships:
        group = membership.group
        group_marks = marks.get(group.pk, [])
        average = weighted_average([(m.value, m.value2, m.column.work_type.weight) for m in group_marks])
        subjects.append(
            SubjectMarks(
                group=group,
                marks=group_marks,
                average=average,
                forecast=forecast(average),
                finals=[(p, period_marks[group.pk].get(p.pk)) for p in periods],
                attendance=attendance[group.pk],
                lessons_held=held.get(group.pk, 0),
            )
        )
    return DiaryMarks(student, school_class, period, periods, subjects)


# --- the timetable, control works, teachers --------------------------------------------------------------


@dataclass
class TimetableRow:
    number: int
    start: dt.time | None
    end: dt.time | None
    cells: list[list[tuple[TeachingGroup, str]]]  # one list per weekday: (group, room)


@dataclass
class ControlWork:
    date: dt.date
    group: TeachingGroup
    title: str
    done: bool  # a control-work column exists (held), else planned in the КТП


@dataclass
class DiarySchool:
    student: Student
    school_class: SchoolClass | None
    timetable: list[TimetableRow]
    control_works: list[ControlWork]
    teachers: list[tuple[TeachingGroup, User]]


def diary_school(student: Student, day: dt.date) -> DiarySchool:
    """The week's timetable valid on ``day``, the control works of the current period (planned in the
    КТП, R10, and held), and the child's teachers with the class teacher."""
    school_class = class_of(student, day)
    memberships = _memberships(student, day, day)
    groups = {m.group_id: m.group for m in memberships}
    slots = (
        TimetableSlot.objects.filter(group_id__in=list(groups), valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("number", "weekday")
    )
    bells = {b.number: b for b in Bell.objects.filter(school_id=student.school_id)}
    by_number: dict[int, list[list[tuple[TeachingGroup, str]]]] = {}
    for slot in slots:
        by_number.setdefault(slot.number, [[] for _ in range(DAYS)])[slot.weekday - 1].append(
            (groups[slot.group_id], slot.room)
        )
    timetable = [
        TimetableRow(
            number,
            bells[number].start_time if number in bells else None,
            bells[number].end_time if number in bells else None,
            cells,
        )
        for number, cells in sorted(by_number.items())
    ]

    control_works: list[ControlWork] = []
    if school_class is not None:
        periods = list(StudyPeriod.objects.filter(year_id=school_class.year_id, kind=school_class.period_kind))
        period = period_on(periods, day)
        if period is not None:
            held = (
                MarkColumn.objects.filter(
                    lesson__group_id__in=list(groups),
                    lesson__date__gte=period.start,
                    lesson__date__lte=period.end,
                    work_type__is_control_work=True,
                    is_correction=False,
                )
                .select_related("lesson", "work_type")
                .order_by("lesson__date")
            )
            done = {(c.lesson.group_id, c.lesson.date) for c in held}
            control_works = [
                ControlWork(c.lesson.date, groups[c.lesson.group_id], c.title or c.work_type.name, True) for c in held
            ]
            for item in PlanItem.objects.filter(
                group_id__in=list(groups), is_control_work=True, planned_date__gte=day, planned_date__lte=period.end
            ).order_by("planned_date"):
                if (item.group_id, item.planned_date) not in done:
                    control_works.append(ControlWork(item.planned_date, groups[item.group_id], item.topic, False))
            control_works.sort(key=lambda w: (w.date, w.group.name))

    assignments = (
        TeachingAssignment.objects.filter(group_id__in=list(groups), role="main", start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .select_related("teacher")
    )
    teachers = sorted(
        ((groups[a.group_id], a.teacher) for a in assignments), key=lambda pair: (pair[0].subject.name, pair[0].name)
    )
    return DiarySchool(student, school_class, timetable, control_works, teachers)


# --- acknowledgement (R19) ---------------------------------------------------------------------------------


def diary_acknowledge(*, actor: User, student: Student, week_start: dt.date) -> DiaryAcknowledgement:
    """The parent confirms «ознакомлен(а)» with the child's week. Only a parent of the child; idempotent."""
    if not ParentLink.objects.filter(parent=actor, student=student).exists():
        raise PermissionDenied(_("Only a parent of the student confirms the diary."))
    monday = monday_of(week_start)
    try:
        with transaction.atomic():
            return DiaryAcknowledgement.objects.create(student=student, parent=actor, week_start=monday)
    except IntegrityError:
        return DiaryAcknowledgement.objects.get(student=student, parent=actor, week_start=monday)


@dataclass
class FamilyActivity:
    student: Student
    last_week: dt.date | None  # the last week a parent confirmed
    last_at: dt.datetime | None
    parents: list[User]  # with ``last_login``: their last visit


def class_acknowledgements(school_class: SchoolClass, day: dt.date) -> list[FamilyActivity]:
    """For the class teacher (R19): per student of the class, the last week a parent confirmed and each
    parent's last visit. Two queries."""
    last = DiaryAcknowledgement.objects.filter(student=OuterRef("pk")).order_by("-week_start", "-at")
    students = list(
        Student.objects.filter(enrollments__school_class=school_class, enrollments__start__lte=day)
        .filter(Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=day))
        .annotate(last_week=Subquery(last.values("week_start")[:1]), last_at=Subquery(last.values("at")[:1]))
        .distinct()
        .order_by("last_name", "first_name", "patronymic")
    )
    parents: dict[int, list[User]] = defaultdict(list)
    links = ParentLink.objects.filter(student__in=[s.pk for s in students]).select_related("parent")
    for link in links.order_by("parent__last_name", "parent__first_name"):
        parents[link.student_id].append(link.parent)
    return [FamilyActivity(s, s.last_week, s.last_at, parents.get(s.pk, [])) for s in students]
