"""Reads for the pages of the journal, already limited to what the user may see.

Each selector runs a fixed number of queries, whatever the size of the school (guarded in tests).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from accounts.models import LoginEvent, Role, StaffRole, User
from accounts.permissions import Action, classes_for, groups_for, lessons_for, students_for
from attendance.models import Absence, AbsenceReason
from grading.models import Mark, MarkColumn

from .models import (
    AcademicYear,
    Bell,
    Enrollment,
    Holiday,
    Homework,
    Lesson,
    LessonNote,
    LessonStatus,
    School,
    SchoolClass,
    Student,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)


def year_on(school: School | int, day: dt.date) -> AcademicYear | None:
    """The school's academic year that contains ``day`` (None in the summer between years)."""
    school_id = school if isinstance(school, int) else school.pk
    return AcademicYear.objects.filter(school_id=school_id, start__lte=day, end__gte=day).first()


def holidays_on(school_id: int, day: dt.date) -> list[Holiday]:
    return list(Holiday.objects.filter(year__school_id=school_id, start__lte=day, end__gte=day))


def members_on(group: TeachingGroup, day: dt.date):
    """Students of ``group`` on ``day`` — the class list of a lesson — in journal order.

    One filter() over the membership join, so start and end are checked on the same membership row.
    """
    return Student.objects.filter(
        Q(memberships__end__isnull=True) | Q(memberships__end__gte=day),
        memberships__group=group,
        memberships__start__lte=day,
    ).order_by("last_name", "first_name", "patronymic")


def _valid_on(day: dt.date, start: str = "valid_from", end: str = "valid_to") -> Q:
    return Q(**{f"{start}__lte": day}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": day}))


# --- a day of lessons ------------------------------------------------------------------------------------


@dataclass
class DayLesson:
    """One line of a day's timetable: the slot, and the lesson row once it exists."""

    number: int
    group: TeachingGroup
    room: str = ""
    start: dt.time | None = None
    end: dt.time | None = None
    lesson: Lesson | None = None
    is_substitution: bool = False
    taught_by: User | None = None  # set when somebody else teaches this lesson

    @property
    def class_names(self) -> str:
        return ", ".join(c.name for c in self.group.classes.all())

    @property
    def status(self) -> str:
        return self.lesson.status if self.lesson else LessonStatus.PLANNED

    @property
    def status_display(self) -> str:
        return self.lesson.get_status_display() if self.lesson else LessonStatus.PLANNED.label

    @property
    def topic(self) -> str:
        return self.lesson.topic if self.lesson else ""


def _day_lessons(
    groups: QuerySet[TeachingGroup], day: dt.date, substituted: set[int], me: User | None
) -> list[DayLesson]:
    # The ids first (one small query): filtering lessons by the permission subquery itself made
    # PostgreSQL scan every lesson of the day in the district (~3,000 rows, 190 ms at 20 schools).
    group_ids = list(groups.values_list("pk", flat=True))
    if not group_ids:
        return []
    slots = (
        TimetableSlot.objects.filter(_valid_on(day), group_id__in=group_ids, weekday=day.isoweekday())
        .select_related("group__subject", "group__year")
        .prefetch_related("group__classes")
    )
    lessons = (
        Lesson.objects.filter(group_id__in=group_ids, date=day)
        .select_related("group__subject", "group__year", "teacher")
        .prefetch_related("group__classes")
    )
    rows: dict[tuple[int, int], DayLesson] = {}
    for slot in slots:
        rows[(slot.group_id, slot.number)] = DayLesson(number=slot.number, group=slot.group, room=slot.room)
    for lesson in lessons:  # lessons moved or added outside the timetable appear too
        row = rows.setdefault((lesson.group_id, lesson.number), DayLesson(number=lesson.number, group=lesson.group))
        row.lesson = lesson
        row.room = lesson.room or row.room
        if me is not None and lesson.teacher_id and lesson.teacher_id != me.pk:
            row.taught_by = lesson.teacher
    if not rows:
        return []
    school_ids = {r.group.year.school_id for r in rows.values()}  # a teacher may work in two schools
    bells = {(b.school_id, b.number): b for b in Bell.objects.filter(school_id__in=school_ids)}
    result = sorted(rows.values(), key=lambda r: (r.number, r.group.name))
    for row in result:
        row.is_substitution = row.group.pk in substituted
        bell = bells.get((row.group.year.school_id, row.number))
        if bell:
            row.start, row.end = bell.start_time, bell.end_time
    return result


def teacher_day(user: User, day: dt.date) -> list[DayLesson]:
    """The teacher's lessons on ``day`` from the timetable: own groups and substitutions on that date."""
    groups = groups_for(user, Action.EDIT, on=day)
    substituted = set(
        TeachingAssignment.objects.filter(teacher=user, role="substitute", start__lte=day, end__gte=day).values_list(
            "group_id", flat=True
        )
    )
    return _day_lessons(groups, day, substituted, user)


def student_day(student: Student, day: dt.date) -> list[DayLesson]:
    """The student's lessons on ``day``: every group they are a member of on that date."""
    groups = TeachingGroup.objects.filter(
        Q(memberships__end__isnull=True) | Q(memberships__end__gte=day),
        memberships__student=student,
        memberships__start__lte=day,
    )
    return _day_lessons(groups, day, set(), None)


# --- children, classes, the school --------------------------------------------------------------------


def enrollment_on(student: Student, day: dt.date) -> Enrollment | None:
    return (
        Enrollment.objects.filter(_valid_on(day, "start", "end"), student=student)
        .select_related("school_class__class_teacher")
        .first()
    )


@dataclass
class ChildSummary:
    student: Student
    school_class: SchoolClass | None
    recent_marks: list[Mark] = field(default_factory=list)
    absences_today: list[Absence] = field(default_factory=list)
    lessons_today: list[DayLesson] = field(default_factory=list)


def children_of(user: User) -> QuerySet[Student]:
    """The user's children (or the student themself), by name."""
    return students_for(user).select_related("school").order_by("last_name", "first_name")


def child_summary(student: Student, day: dt.date) -> ChildSummary:
    """The child's class, lessons of ``day``, absences of ``day`` and latest marks (the family's home)."""
    enrollment = enrollment_on(student, day)
    marks = list(
        Mark.objects.filter(student=student, column__lesson__date__lte=day)
        .select_related("column__lesson__group__subject", "column__work_type")
        .order_by("-column__lesson__date", "-column__lesson__number", "-pk")[:6]
    )
    absences = list(Absence.objects.filter(student=student, lesson__date=day).select_related("lesson__group__subject"))
    return ChildSummary(
        student=student,
        school_class=enrollment.school_class if enrollment else None,
        recent_marks=marks,
        absences_today=absences,
        lessons_today=student_day(student, day),
    )


@dataclass
class ClassSummary:
    school_class: SchoolClass
    students: int
    absent_today: list[Absence]
    reasons_to_set: int  # absences of the last 14 days still without a reason (R8)
    groups: list[TeachingGroup] = field(default_factory=list)  # the class's journals (read-only, R15)


def led_classes(user: User, day: dt.date) -> list[ClassSummary]:
    """The classes the user leads this year, with today's absences and reasons still to record (R8)."""
    classes = list(
        classes_for(user, lead_only=True)
        .filter(year__start__lte=day, year__end__gte=day)
        .annotate(
            n_students=Count(
                "enrollments",
                filter=Q(enrollments__start__lte=day)
                & (Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=day)),
            )
        )
        .order_by("grade", "letter")
    )
    out = []
    for school_class in classes:
        in_class = Q(student__enrollments__school_class=school_class) & Q(lesson__group__classes=school_class)
        absent = list(
            Absence.objects.filter(in_class, lesson__date=day)
            .select_related("student", "lesson__group__subject")
            .order_by("student__last_name", "lesson__number")
            .distinct()
        )
        to_set = (
            Absence.objects.filter(
                in_class,
                kind="absent",
                reason=AbsenceReason.UNKNOWN,
                lesson__date__gte=day - dt.timedelta(days=14),
                lesson__date__lte=day,
            )
            .distinct()
            .count()
        )
        groups = list(
            TeachingGroup.objects.filter(classes=school_class)
            .select_related("subject")
            .order_by("subject__name", "subgroup_number", "name")
        )
        out.append(ClassSummary(school_class, school_class.n_students, absent, to_set, groups))
    return out


def my_groups(user: User, day: dt.date) -> list[TeachingGroup]:
    """The groups whose journal the user keeps (main teacher on ``day``), for links to their grids and
    plans, with their classes."""
    return list(
        groups_for(user, Action.PERIOD_MARKS, on=day)
        .select_related("subject")
        .prefetch_related("classes")
        .order_by("name")
    )


@dataclass
class SchoolGlance:
    school: School
    year: AcademicYear | None
    periods: list[StudyPeriod]
    holidays: list[Holiday]
    classes: int = 0
    students: int = 0
    teachers: int = 0
    lessons_today: int = 0
    lessons_held: int = 0
    lessons_without_topic: int = 0
    marks_today: int = 0
    absences_today: int = 0
    admitted_month: int = 0
    left_month: int = 0
    logins_week: int = 0
    staff_by_role: dict[str, int] = field(default_factory=dict)


def school_glance(school: School, day: dt.date) -> SchoolGlance:
    """The school at a glance for the director, deputy, administrator and secretary."""
    year = year_on(school, day)
    glance = SchoolGlance(
        school=school,
        year=year,
        periods=list(StudyPeriod.objects.filter(year=year, start__lte=day, end__gte=day)) if year else [],
        holidays=holidays_on(school.pk, day),
    )
    roles = dict(StaffRole.objects.filter(school=school).values_list("role").annotate(n=Count("user", distinct=True)))
    glance.staff_by_role = {Role(r).label: n for r, n in roles.items()}
    glance.teachers = roles.get(Role.TEACHER, 0)
    if year is None:
        return glance
    glance.classes = SchoolClass.objects.filter(year=year).count()
    active = Enrollment.objects.filter(_valid_on(day, "start", "end"), school_class__year=year)
    glance.students = active.count()
    lessons = Lesson.objects.filter(group__year=year, date=day).exclude(status=LessonStatus.CANCELLED)
    counts = lessons.aggregate(
        total=Count("pk"),
        held=Count("pk", filter=Q(status=LessonStatus.HELD)),
        no_topic=Count("pk", filter=Q(status=LessonStatus.HELD, topic="")),
    )
    glance.lessons_today, glance.lessons_held, glance.lessons_without_topic = (
        counts["total"],
        counts["held"],
        counts["no_topic"],
    )
    glance.marks_today = Mark.objects.filter(column__lesson__group__year=year, column__lesson__date=day).count()
    glance.absences_today = Absence.objects.filter(lesson__group__year=year, lesson__date=day).count()
    month_start = day.replace(day=1)
    movement = Enrollment.objects.filter(school_class__year=year)
    glance.admitted_month = movement.filter(start__gte=month_start, start__lte=day, reason="admitted").count()
    glance.left_month = movement.filter(end__gte=month_start, end__lte=day, end_reason__in=["left"]).count()
    glance.logins_week = LoginEvent.objects.filter(
        at__date__gte=day - dt.timedelta(days=6), user__staff_roles__school=school
    ).count()
    return glance


# --- the lesson page and the teacher's week ------------------------------------------------------------


@dataclass
class LessonSheet:
    """Everything the lesson page shows, read in a fixed number of queries."""

    lesson: Lesson
    students: list[Student]
    columns: list
    marks: dict[tuple[int, int], object]  # (student id, column id) → Mark
    absences: dict[int, Absence]  # student id → Absence
    notes: dict[int, list]  # student id → [LessonNote]
    homework: list
    substitute_of: User | None = None

    def rows(self):
        """(student, absence, [mark or None per column], notes) in journal order."""
        for student in self.students:
            yield (
                student,
                self.absences.get(student.pk),
                [self.marks.get((student.pk, column.pk)) for column in self.columns],
                self.notes.get(student.pk, []),
            )


def lesson_sheet(lesson: Lesson) -> LessonSheet:
    """The class list of the lesson's group on its date, with marks, absences, notes and homework."""
    columns = list(MarkColumn.objects.filter(lesson=lesson).select_related("work_type").order_by("pk"))
    marks = {(m.student_id, m.column_id): m for m in Mark.objects.filter(column__lesson=lesson).order_by()}
    notes: dict[int, list] = defaultdict(list)
    for note in LessonNote.objects.filter(lesson=lesson).order_by("created_at"):
        notes[note.student_id].append(note)
    substitute_of = None
    if lesson.is_substitution:
        main = (
            TeachingAssignment.objects.filter(group_id=lesson.group_id, role="main", start__lte=lesson.date)
            .filter(Q(end__isnull=True) | Q(end__gte=lesson.date))
            .select_related("teacher")
            .first()
        )
        substitute_of = main.teacher if main else None
    return LessonSheet(
        lesson=lesson,
        students=list(members_on(lesson.group, lesson.date)),
        columns=columns,
        marks=marks,
        absences={a.student_id: a for a in Absence.objects.filter(lesson=lesson).order_by()},
        notes=notes,
        homework=list(Homework.objects.filter(lesson=lesson).prefetch_related("attachments").order_by("pk")),
        substitute_of=substitute_of,
    )


@dataclass
class WeekLesson:
    lesson: Lesson
    marks: int
    missing_topic: bool
    missing_marks: bool


def teacher_week(user: User, monday: dt.date) -> dict[dt.date, list[WeekLesson]]:
    """The teacher's lessons of the week (own groups and substitutions), each flagged when it was held
    without a topic (R10) or, in a graded class, without a single mark."""
    days = [monday + dt.timedelta(days=i) for i in range(6)]
    lessons = (
        lessons_for(user, Action.EDIT)
        .filter(date__gte=days[0], date__lte=days[-1])
        .select_related("group__subject")
        .prefetch_related("group__classes")
        .annotate(n_marks=Count("mark_columns__marks"))
        .order_by("date", "number")
    )
    week: dict[dt.date, list[WeekLesson]] = {day: [] for day in days}
    for lesson in lessons:
        held = lesson.status == LessonStatus.HELD
        graded = all(c.grade > 1 for c in lesson.group.classes.all())
        week[lesson.date].append(
            WeekLesson(
                lesson=lesson,
                marks=lesson.n_marks,
                missing_topic=held and not lesson.topic,
                missing_marks=held and graded and lesson.n_marks == 0,
            )
        )
    return week
