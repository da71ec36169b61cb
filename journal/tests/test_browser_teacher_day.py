"""A teacher logs in through the real login form in Chromium and sees today's lessons (issue 2, point 10).

The data is built around the real today (CI may run on any date), through the services.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import class_teacher_set, staff_role_grant, substitution_start, teacher_assign
from journal.models import (
    AcademicYear,
    Bell,
    GroupKind,
    Lesson,
    LessonStatus,
    School,
    SchoolClass,
    Subject,
    TeachingGroup,
    TimetableSlot,
)

PASSWORD = "Kl4ss-Zhurnal!"


def _group(year: AcademicYear, school_class: SchoolClass, subject: Subject) -> TeachingGroup:
    group = TeachingGroup.objects.create(
        year=year, subject=subject, kind=GroupKind.WHOLE_CLASS, name=f"{school_class.name} — {subject.name}"
    )
    group.classes.add(school_class)
    return group


@pytest.mark.django_db(transaction=True)
def test_teacher_logs_in_and_sees_todays_lessons(page, live_server):
    today = timezone.localdate()
    school = School.objects.create(name="Школа № 7", short_name="Школа № 7", time_zone="Europe/Moscow")
    year = AcademicYear.objects.create(
        school=school, name="Текущий", start=today - dt.timedelta(days=120), end=today + dt.timedelta(days=120)
    )
    Bell.objects.create(school=school, number=2, start_time=dt.time(9, 25), end_time=dt.time(10, 10))
    Bell.objects.create(school=school, number=4, start_time=dt.time(11, 35), end_time=dt.time(12, 20))
    teacher = User.objects.create_user("mariya", password=PASSWORD, last_name="Орлова", first_name="Мария")
    colleague = User.objects.create_user("kolleg", last_name="Белов", first_name="Игорь")
    for person in (teacher, colleague):
        staff_role_grant(actor=None, user=person, school=school, role=Role.TEACHER)
    five_a = SchoolClass.objects.create(year=year, grade=5, letter="А")
    six_b = SchoolClass.objects.create(year=year, grade=6, letter="Б")
    class_teacher_set(actor=None, school_class=five_a, teacher=teacher)
    math = _group(year, five_a, Subject.objects.create(school=school, name="Математика", short_name="Матем"))
    history = _group(year, six_b, Subject.objects.create(school=school, name="История", short_name="История"))
    teacher_assign(actor=None, group=math, teacher=teacher, start=year.start)
    teacher_assign(actor=None, group=history, teacher=colleague, start=year.start)
    substitution_start(actor=None, group=history, substitute=teacher, start=today, end=today, replaces=colleague)
    if today.isoweekday() <= 6:
        TimetableSlot.objects.create(
            group=math, weekday=today.isoweekday(), number=2, room="214", valid_from=year.start
        )
    Lesson.objects.create(group=math, date=today, number=2, teacher=teacher, status=LessonStatus.PLANNED)
    Lesson.objects.create(
        group=history, date=today, number=4, teacher=teacher, is_substitution=True, status=LessonStatus.PLANNED
    )

    page.goto("/")
    assert "/accounts/login/" in page.url  # the start page asks for a login first
    page.get_by_label("Логин").fill("mariya")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()

    page.wait_for_url(live_server.url + "/")
    lessons = page.get_by_role("table")
    assert page.get_by_role("heading", name="Мои уроки").is_visible()
    rows = lessons.locator("tbody tr")
    assert rows.count() == 2
    assert "Математика" in rows.nth(0).inner_text()
    assert "09:25–10:10" in rows.nth(0).inner_text()
    assert "5А" in rows.nth(0).inner_text()
    assert "История" in rows.nth(1).inner_text()
    assert "замещение" in rows.nth(1).inner_text()
    assert "6Б" in rows.nth(1).inner_text()  # the substituted lesson of another teacher's class
