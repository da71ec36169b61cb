"""The diary in a real Chromium on a phone-sized screen (issue 4, point 9): the teacher saves a mark,
an absence and homework on the lesson page; the parent sees them in this week's diary and confirms the
week; the class teacher sees the confirmation and records the reason of the absence.

The data is built around the real today (CI may run on any date), through the services.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services import parent_link
from attendance.models import Absence
from journal.models import (
    DiaryAcknowledgement,
)
from journal.tests.worlds import school_today

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def school_day():
    world = school_today(9, [("Андреев", "Илья"), ("Борисова", "Анна")])
    mother = User.objects.create_user("mother9", last_name="Андреева", first_name="Ольга", patronymic="Петровна")
    parent_link(actor=None, parent=mother, student=world["students"][0], relation="mother")
    return {**world, "mother": mother, "children": world["students"]}


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
