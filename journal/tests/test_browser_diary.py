"""The diary in a real Chromium on a phone-sized screen (issue 4, point 9): the teacher saves a mark,
an absence and homework on the lesson page; the parent sees them in this week's diary and confirms the
week; the class teacher sees the confirmation and records the reason of the absence.

The data is built around the real today (CI may run on any date), through the services.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import class_teacher_set, parent_link, staff_role_grant, teacher_assign
from attendance.models import Absence
from grading.models import WorkType
from journal.models import (
    AcademicYear,
    DiaryAcknowledgement,
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

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def school_day():
    today = timezone.localdate()
    school = School.objects.create(name="Школа № 9", short_name="Школа № 9", time_zone="Europe/Moscow")
    year = AcademicYear.objects.create(
        school=school, name="Текущий", start=today - dt.timedelta(days=60), end=today + dt.timedelta(days=60)
    )
    StudyPeriod.objects.create(year=year, kind="quarter", number=1, start=year.start, end=year.end)
    teacher = User.objects.create_user("teacher9", last_name="Орлова", first_name="Мария", patronymic="Ивановна")
    leader = User.objects.create_user("leader9", last_name="Белова", first_name="Ирина", patronymic="Олеговна")
    for person in (teacher, leader):
        staff_role_grant(actor=None, user=person, school=school, role=Role.TEACHER)
    five_a = SchoolClass.objects.create(year=year, grade=5, letter="А")
    class_teacher_set(actor=None, school_class=five_a, teacher=leader)
    math = Subject.objects.create(school=school, name="Математика", short_name="Матем")
    group = TeachingGroup.objects.create(year=year, subject=math, kind=GroupKind.WHOLE_CLASS, name="5А — математика")
    group.classes.add(five_a)
    teacher_assign(actor=None, group=group, teacher=teacher, start=year.start)
    children = []
    for number, (last, first) in enumerate([("Андреев", "Илья"), ("Борисова", "Анна")], start=1):
        child = Student.objects.create(
            school=school, last_name=last, first_name=first, personal_file_number=f"А-{number}"
        )
        enrollment_admit(actor=None, student=child, school_class=five_a, start=year.start)
        children.append(child)
    mother = User.objects.create_user("mother9", last_name="Андреева", first_name="Ольга", patronymic="Петровна")
    parent_link(actor=None, parent=mother, student=children[0], relation="mother")
    WorkType.objects.create(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    lesson = Lesson.objects.create(group=group, date=today, number=2, teacher=teacher, status=LessonStatus.PLANNED)
    return {"teacher": teacher, "leader": leader, "mother": mother, "lesson": lesson, "children": children,
            "class": five_a}  # fmt: skip


def test_the_parent_sees_the_teachers_mark_and_homework_and_the_class_teacher_the_confirmation(
    page, browser_login, school_day
):
    lesson, (ilya, anna) = school_day["lesson"], school_day["children"]

    # The teacher: a mark for Илья, Анна absent, homework.
    browser_login(page, school_day["teacher"])
    page.goto(f"/journal/lessons/{lesson.pk}/")
    page.get_by_role("button", name="Добавить столбец").click()
    cell = page.locator("table.sheet tbody tr").nth(0).locator("td.cell input.mk")
    cell.fill("5")
    cell.press("Tab")
    page.wait_for_selector("table.sheet tbody tr:first-child td.cell.saved")
    page.get_by_label("Посещаемость: Борисова Анна").select_option("absent")
    page.wait_for_selector(f"#row-{anna.pk}.absent")
    page.get_by_label("Задание", exact=True).fill("Решить задачи № 12–15")
    page.get_by_role("button", name="Сохранить задание").click()
    page.wait_for_selector("text=Домашнее задание сохранено.")
    assert Absence.objects.filter(student=anna, lesson=lesson).exists()

    # The parent, on a phone: this week's diary shows both, and she confirms the week.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, school_day["mother"])
    page.goto("/")
    page.get_by_test_id("open-diary").first.click()
    today = page.locator("[data-testid=diary-lesson]", has_text="Математика")
    today.first.wait_for()
    assert today.first.get_by_test_id("diary-mark").inner_text() == "5"
    assert "Решить задачи № 12–15" in today.first.get_by_test_id("diary-homework").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.get_by_role("button", name="Ознакомлен(а) с дневником за неделю").click()
    page.get_by_text("Спасибо: неделя подтверждена.").wait_for()
    assert DiaryAcknowledgement.objects.filter(parent=school_day["mother"], student=ilya).exists()

    # The class teacher sees the confirmation.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, school_day["leader"])
    page.goto("/")
    page.get_by_role("link", name="Родители и дневник: ознакомление и входы").click()
    row = page.get_by_test_id("acknowledgements").locator("tr", has_text="Андреев Илья")
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().isoweekday() - 1)
    assert f"{monday:%d.%m.%Y}" in row.inner_text()

    # ... and records the reason of Анна's absence on the class desk (R8): illness, with the document.
    page.get_by_role("link", name="Кабинет классного руководителя").click()
    page.get_by_role("link", name="Посещаемость").click()
    absence = page.get_by_test_id("absence-row").filter(has_text="Борисова Анна")
    absence.get_by_label("Причина").select_option("illness")
    absence.get_by_label("Документ").fill("Справка № 17")
    absence.get_by_role("button", name="Сохранить").click()
    page.get_by_test_id("absence-row").filter(has_text="Сохранено.").wait_for()
    saved = Absence.objects.get(student=anna, lesson=lesson)
    assert (saved.reason, saved.note, saved.reason_set_by) == ("illness", "Справка № 17", school_day["leader"])
