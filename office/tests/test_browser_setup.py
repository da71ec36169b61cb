"""A deputy sets up a small new year through the UI in Chromium, and the teacher sees the lesson on the
teacher's day (issue 7 point 8).

The school starts empty but for two staff accounts: the year, its periods, a subject, a class with its
class teacher, a whole-class group with its teacher, the bells and a timetable slot are all made by
clicking through /office/. The dates are built around the real today (CI may run on any date).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import staff_role_grant
from journal.models import AcademicYear, Lesson, School, TeachingGroup

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(form) -> None:  # noqa: ANN001
    form.locator("button[type=submit]").last.click()


def test_a_deputy_sets_up_a_year_and_the_teacher_sees_the_lesson(page, browser_login, live_server):
    today = timezone.localdate()
    # The lesson day: today, or Monday when today is a Sunday (the timetable has no Sundays).
    day = today + dt.timedelta(days=1) if today.isoweekday() == 7 else today
    start, end = today - dt.timedelta(days=30), today + dt.timedelta(days=200)
    middle = today + dt.timedelta(days=60)
    school = School.objects.create(name="МБОУ «Школа № 12»", short_name="Школа № 12", time_zone="Europe/Moscow")
    deputy = User.objects.create_user("zavuch", last_name="Белова", first_name="Ирина", patronymic="Петровна")
    teacher = User.objects.create_user("uchitel", last_name="Петрова", first_name="Марина", patronymic="Павловна")
    staff_role_grant(actor=None, user=deputy, school=school, role=Role.DEPUTY)
    staff_role_grant(actor=None, user=teacher, school=school, role=Role.TEACHER)

    browser_login(page, deputy)
    page.goto("/office/")
    page.locator(f'a[href="/office/year/?school={school.pk}"]').first.click()

    # 1. The year, from scratch.
    form = page.get_by_test_id("year-form")
    form.locator("input[name=name]").fill("2026/2027")
    form.locator("input[name=start]").fill(start.isoformat())
    form.locator("input[name=end]").fill(end.isoformat())
    _submit(form)
    page.wait_for_url("**/office/year/*/")
    assert page.get_by_role("heading", level=1).filter(has_text="2026/2027").is_visible()
    year = AcademicYear.objects.get(school=school)

    # 2. Two halves with their marks deadlines.
    form = page.get_by_test_id("scheme-half")
    for n, (first, last) in enumerate([(start, middle), (middle + dt.timedelta(days=1), end)], start=1):
        form.locator(f"input[name='half-start_{n}']").fill(first.isoformat())
        form.locator(f"input[name='half-end_{n}']").fill(last.isoformat())
        form.locator(f"input[name='half-deadline_{n}']").fill(last.isoformat())
    _submit(form)
    assert page.get_by_test_id("form-errors").count() == 0
    assert list(year.periods.filter(kind="half").values_list("start", "end")) == [
        (start, middle),
        (middle + dt.timedelta(days=1), end),
    ]

    # 3. A subject, a class with its class teacher (on the halves), a whole-class group and its teacher.
    page.locator(f'a[href="/office/year/structure/?school={school.pk}&year={year.pk}"]').first.click()
    form = page.get_by_test_id("subject-form")
    form.locator("input[name=name]").fill("Математика")
    form.locator("input[name=short_name]").fill("Матем.")
    _submit(form)
    assert page.get_by_test_id("subjects").get_by_text("Математика").is_visible()

    form = page.get_by_test_id("class-form")
    form.locator("input[name=grade]").fill("5")
    form.locator("input[name=letter]").fill("А")
    form.locator("select[name=period_kind]").select_option("half")
    form.locator("select[name=class_teacher]").select_option(label="Петрова М. П.")
    _submit(form)
    assert page.get_by_test_id("classes").get_by_text("5А").is_visible()

    form = page.get_by_test_id("group-start-form")
    form.locator("select[name=kind]").select_option("class")
    form.locator("select[name=classes]").select_option(label="5А")
    _submit(form)
    form = page.get_by_test_id("group-form")
    form.locator("input[name=hours_per_week]").fill("5")
    _submit(form)
    page.wait_for_url("**/office/year/structure/group/*/")
    form = page.get_by_test_id("assign-form")
    form.locator("select[name=teacher]").select_option(label="Петрова М. П.")
    form.locator("input[name=start]").fill(start.isoformat())
    _submit(form)
    assert page.get_by_test_id("assignments").get_by_text("Петрова М. П.").is_visible()
    group = TeachingGroup.objects.get(year=year)

    # 4. The bells, then the slot: 5А math on the lesson day's weekday, second lesson, room 214.
    page.goto(f"/office/timetable/bells/?school={school.pk}")
    form = page.get_by_test_id("bells-form")
    for n, (begins, ends) in enumerate([("08:30", "09:15"), ("09:25", "10:10")], start=1):
        form.locator(f"input[name=start_{n}]").fill(begins)
        form.locator(f"input[name=end_{n}]").fill(ends)
    _submit(form)
    assert page.get_by_test_id("form-errors").count() == 0

    page.goto(f"/office/timetable/?school={school.pk}&year={year.pk}")
    form = page.get_by_test_id("slot-form")
    form.locator("select[name=group]").select_option(str(group.pk))
    form.locator("select[name=weekday]").select_option(str(day.isoweekday()))
    form.locator("input[name=number]").fill("2")
    form.locator("input[name=room]").fill("214")
    form.locator("input[name=valid_from]").fill(start.isoformat())
    _submit(form)
    assert page.get_by_test_id("grid").get_by_text("214").is_visible()

    # 5. Lessons for the whole year from the timetable; a second run adds nothing (idempotent).
    _submit(page.get_by_test_id("generate-form"))
    lessons = Lesson.objects.filter(group=group)
    count = lessons.count()
    assert count >= 20  # a weekly lesson over a 230-day year
    assert lessons.filter(date=day, number=2).exists()
    _submit(page.get_by_test_id("generate-form"))
    assert lessons.count() == count

    # 6. The teacher opens the day and finds the lesson: subject, class, time and room.
    page.context.clear_cookies()
    browser_login(page, teacher)
    page.goto(f"/?day={day.isoformat()}")
    row = page.locator("tbody tr").filter(has_text="Математика")
    assert row.count() == 1
    text = row.inner_text()
    assert "5А" in text
    assert "09:25" in text
    assert "214" in text
    row.get_by_role("link").first.click()
    page.wait_for_url(f"**/journal/lessons/{lessons.get(date=day, number=2).pk}/**")
