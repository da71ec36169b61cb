"""A small school built around the real today, for the browser tests (CI may run on any date): one
quarter spanning today, a math teacher and a class teacher of 5А, the class's math group, its students
and an oral work type, and today's planned lesson 2. Built through the services, like the real thing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import Role, User
from accounts.services import class_teacher_set, staff_role_grant, teacher_assign
from grading.models import WorkType
from journal.models import (
    AcademicYear,
    GroupKind,
    Lesson,
    LessonStatus,
    School,
    SchoolClass,
    Student,
    StudyPeriod,
    Subject,
    TeachingGroup,
)
from journal.services import enrollment_admit


def school_today(number: int, students: list[tuple[str, str]]) -> dict[str, Any]:
    """«Школа № <number>» with logins ``teacher<number>`` (Орлова М. И.) and ``leader<number>`` (Белова И.)."""
    today = timezone.localdate()
    school = School.objects.create(name=f"Школа № {number}", short_name=f"Школа № {number}", time_zone="Europe/Moscow")
    year = AcademicYear.objects.create(
        school=school, name="Текущий", start=today - dt.timedelta(days=60), end=today + dt.timedelta(days=60)
    )
    StudyPeriod.objects.create(year=year, kind="quarter", number=1, start=year.start, end=year.end)
    teacher = User.objects.create_user(
        f"teacher{number}", last_name="Орлова", first_name="Мария", patronymic="Ивановна"
    )
    leader = User.objects.create_user(f"leader{number}", last_name="Белова", first_name="Ирина", patronymic="Олеговна")
    for person in (teacher, leader):
        staff_role_grant(actor=None, user=person, school=school, role=Role.TEACHER)
    five_a = SchoolClass.objects.create(year=year, grade=5, letter="А")
    class_teacher_set(actor=None, school_class=five_a, teacher=leader)
    math = Subject.objects.create(school=school, name="Математика", short_name="Матем")
    group = TeachingGroup.objects.create(year=year, subject=math, kind=GroupKind.WHOLE_CLASS, name="5А — математика")
    group.classes.add(five_a)
    teacher_assign(actor=None, group=group, teacher=teacher, start=year.start)
    children = []
    for n, (last, first) in enumerate(students, start=1):
        child = Student.objects.create(school=school, last_name=last, first_name=first, personal_file_number=f"Л-{n}")
        enrollment_admit(actor=None, student=child, school_class=five_a, start=year.start)
        children.append(child)
    WorkType.objects.create(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    lesson = Lesson.objects.create(group=group, date=today, number=2, teacher=teacher, status=LessonStatus.PLANNED)
    return {
        "school": school, "teacher": teacher, "leader": leader, "class": five_a, "group": group,
        "lesson": lesson, "students": children,
    }  # fmt: skip
