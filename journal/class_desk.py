"""Reads of the class teacher's desk (issue 4, point 5): the class list with parents and consents, the
class's journals and subgroups, who never logged in, the attendance week, the families for credential
slips, the history of personal-data changes.

The class itself is fetched through ``accounts.permissions.get_class_for`` by the view; everything here
is limited to that class. Each reader runs a fixed number of queries, whatever the size of the class
(guarded in ``journal/tests/test_class_desk.py``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Consent, LoginEvent, ParentLink, PersonalDataChange, PersonalObject, StaffRole, User
from accounts.permissions import Action, groups_for
from attendance.models import Absence

from .models import (
    GroupKind,
    GroupMembership,
    Lesson,
    LessonStatus,
    SchoolClass,
    Student,
    TeachingAssignment,
    TeachingGroup,
)


def class_day(school_class: SchoolClass, today: dt.date | None = None) -> dt.date:
    """The day the desk shows the class on: today, kept inside the class's academic year (so that in the
    summer the desk shows the class as it ended, not an empty list)."""
    today = today or timezone.localdate()
    return min(max(today, school_class.year.start), school_class.year.end)


def enrolled_between(school_class: SchoolClass, start: dt.date, end: dt.date) -> QuerySet[Student]:
    """Students enrolled in the class on at least one day from ``start`` to ``end``, in journal order
    (one filter(), so both dates bind to the same enrollment)."""
    return Student.objects.filter(
        Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=start),
        enrollments__school_class=school_class,
        enrollments__start__lte=end,
    ).order_by("last_name", "first_name", "patronymic", "pk")


def class_students(school_class: SchoolClass, day: dt.date) -> QuerySet[Student]:
    """The class list on ``day``."""
    return enrolled_between(school_class, day, day)


def _never_logged_in(users: QuerySet[User]) -> QuerySet[User]:
    return users.annotate(has_logged_in=Exists(LoginEvent.objects.filter(user=OuterRef("pk"))))


# --- the desk ---------------------------------------------------------------------------------------------


@dataclass
class StudentRow:
    student: Student
    parents: list[ParentLink]
    consent: Consent | None  # the latest record of the registry


@dataclass
class Subgroup:
    group: TeachingGroup
    teachers: list[User]
    members: list[Student]


@dataclass
class ClassDesk:
    school_class: SchoolClass
    day: dt.date
    rows: list[StudentRow]
    journals: list[TeachingGroup]  # every subject's journal of the class the user may read (R15)
    subgroups: list[Subgroup]
    never_logged_in: list[tuple[User, str]] = field(default_factory=list)  # (user, "student" / relation)
    without_login: list[Student] = field(default_factory=list)  # students with no login of their own
    without_consent: int = 0
    paper_extract: int = 0  # families that refused the electronic diary (R19)


def _family_rows(school_class: SchoolClass, day: dt.date) -> list[StudentRow]:
    students = (
        class_students(school_class, day)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "parent_links",
                ParentLink.objects.select_related("parent").order_by("parent__last_name", "parent__first_name"),
            ),
            Prefetch("consents", Consent.objects.select_related("recorded_by").order_by("-recorded_at", "-pk")),
        )
    )
    return [StudentRow(s, list(s.parent_links.all()), next(iter(s.consents.all()), None)) for s in students]


def class_desk(user: User, school_class: SchoolClass, day: dt.date) -> ClassDesk:
    """Everything the desk's main page shows about the class on ``day``."""
    rows = _family_rows(school_class, day)
    journals = list(
        groups_for(user, Action.VIEW)
        .filter(classes=school_class)
        .select_related("subject")
        .order_by("subject__name", "subgroup_number", "name")
    )
    on_day = Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))
    subgroups = (
        TeachingGroup.objects.filter(classes=school_class, kind=GroupKind.SUBGROUP)
        .select_related("subject")
        .prefetch_related(
            Prefetch(
                "memberships",
                GroupMembership.objects.filter(on_day)
                .select_related("student")
                .order_by("student__last_name", "student__first_name"),
                to_attr="members_on_day",
            ),
            Prefetch(
                "assignments",
                TeachingAssignment.objects.filter(on_day, role="main").select_related("teacher"),
                to_attr="teachers_on_day",
            ),
        )
        .order_by("subject__name", "subgroup_number", "name")
    )
    desk = ClassDesk(
        school_class=school_class,
        day=day,
        rows=rows,
        journals=journals,
        subgroups=[
            Subgroup(g, [a.teacher for a in g.teachers_on_day], [m.student for m in g.members_on_day])
            for g in subgroups
        ],
    )
    who: dict[int, str] = {}
    for row in rows:
        if row.student.user_id:
            who[row.student.user_id] = "student"
        else:
            desk.without_login.append(row.student)
        for link in row.parents:
            who.setdefault(link.parent_id, link.get_relation_display())
        if row.consent is None or row.consent.given_on is None:
            desk.without_consent += 1
        if row.consent is not None and row.consent.electronic_access_refused:
            desk.paper_extract += 1
    silent = (
        _never_logged_in(User.objects.filter(pk__in=who))
        .filter(has_logged_in=False)
        .order_by("last_name", "first_name", "pk")
    )
    desk.never_logged_in = [(u, who[u.pk]) for u in silent]
    return desk


# --- credential slips (R17) -------------------------------------------------------------------------------


@dataclass
class FamilyPerson:
    user: User
    student: Student
    role: str  # "student" or the parent's relation
    has_logged_in: bool
    is_staff: bool  # a staff account: never on a slip


def class_families(school_class: SchoolClass, day: dt.date) -> list[FamilyPerson]:
    """The students of the class with a login and their parents, in class order, each flagged when
    they never logged in and when the account is a staff account (those get no slip here)."""
    people: list[FamilyPerson] = []
    rows = _family_rows(school_class, day)
    ids = {r.student.user_id for r in rows if r.student.user_id} | {link.parent_id for r in rows for link in r.parents}
    flags = {u.pk: u.has_logged_in for u in _never_logged_in(User.objects.filter(pk__in=ids)).only("pk", "username")}
    staff = set(StaffRole.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    for row in rows:
        targets = [(row.student.user, "student")] if row.student.user_id else []
        targets += [(link.parent, link.get_relation_display()) for link in row.parents]
        for user, role in targets:
            people.append(
                FamilyPerson(
                    user=user,
                    student=row.student,
                    role=role,
                    has_logged_in=flags.get(user.pk, False),
                    is_staff=user.pk in staff or user.is_staff or user.is_superuser,
                )
            )
    return people


# --- the attendance week (R8) -----------------------------------------------------------------------------


@dataclass
class AttendanceRow:
    student: Student
    cells: list[list[Absence]]  # per day: the day's absences in lesson order


@dataclass
class AttendanceWeek:
    monday: dt.date
    days: list[dt.date]
    lessons_per_day: list[int]
    rows: list[AttendanceRow]
    absences: list[Absence]  # every absence of the week, student by student, for setting reasons
    students: list[Student]

    @property
    def columns(self) -> list[tuple[dt.date, int]]:
        return list(zip(self.days, self.lessons_per_day, strict=True))


def attendance_week(school_class: SchoolClass, monday: dt.date) -> AttendanceWeek:
    """The class's students × the days of the week (Monday to Saturday) with the absences the teachers
    marked at the lessons of the class's groups (Н, Б, У, О). Four queries."""
    days = [monday + dt.timedelta(days=i) for i in range(6)]
    students = list(enrolled_between(school_class, days[0], days[-1]))
    lessons = (
        Lesson.objects.filter(group__classes=school_class, date__gte=days[0], date__lte=days[-1])
        .exclude(status=LessonStatus.CANCELLED)
        .values_list("date", "number")
    )
    numbers: dict[dt.date, set[int]] = defaultdict(set)
    for date, number in lessons:
        numbers[date].add(number)
    absences = list(
        Absence.objects.filter(
            student__in=[s.pk for s in students],
            lesson__group__classes=school_class,
            lesson__date__gte=days[0],
            lesson__date__lte=days[-1],
        )
        .select_related("lesson__group__subject", "student", "reason_set_by")
        .order_by("student__last_name", "student__first_name", "student_id", "lesson__date", "lesson__number")
    )
    by_cell: dict[tuple[int, dt.date], list[Absence]] = defaultdict(list)
    for absence in absences:
        by_cell[(absence.student_id, absence.lesson.date)].append(absence)
    return AttendanceWeek(
        monday=monday,
        days=days,
        lessons_per_day=[len(numbers[d]) for d in days],
        rows=[AttendanceRow(s, [by_cell[(s.pk, d)] for d in days]) for s in students],
        absences=absences,
        students=students,
    )


# --- the history of personal data ------------------------------------------------------------------------


def personal_changes(*, students: list[int] = (), users: list[int] = (), limit: int = 50) -> list[PersonalDataChange]:
    """The latest changes of these students' and users' data, newest first."""
    scope = Q(object_type=PersonalObject.STUDENT, object_id__in=list(students)) | Q(
        object_type=PersonalObject.USER, object_id__in=list(users)
    )
    return list(PersonalDataChange.objects.filter(scope).select_related("actor")[:limit])


def class_desk_consents(students: list[Student], records: list[Consent]) -> list[tuple[Student, Consent | None]]:
    """Each student with the latest record of the registry (``records`` newest first per student)."""
    latest: dict[int, Consent] = {}
    for record in records:
        current = latest.get(record.student_id)
        if current is None or record.recorded_at > current.recorded_at:
            latest[record.student_id] = record
    return [(s, latest.get(s.pk)) for s in students]
