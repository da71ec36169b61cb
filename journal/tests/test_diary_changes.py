"""The diary shows the changes of the timetable (issue 7 point 3): cancelled lessons with the reason,
transferred lessons at both places (where from, where to), substitutions with the substitute, holidays
and quarantine — and its query count does not grow with them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accounts.services import staff_role_grant
from accounts.tests.factories import UserFactory
from journal.models import Lesson
from journal.tests.factories import HolidayFactory, TimetableSlotFactory
from office import timetable as tt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def week(deputy, year, group, teacher, student):
    """5А math on Monday, Wednesday and Friday, lesson 2, generated for this week and the next."""
    for weekday in (1, 3, 5):
        TimetableSlotFactory(group=group, weekday=weekday, number=2, room="21")
    tt.lessons_generate(actor=deputy, year=year, start=MONDAY, end=MONDAY + dt.timedelta(days=12))
    return {lesson.date: lesson for lesson in Lesson.objects.filter(group=group)}


def _items(client, user, child, day=MONDAY) -> list[str]:
    """The diary's lesson items of the week, in order."""
    client.force_login(user)
    html = client.get("/diary/", {"child": child.pk, "week": day.isoformat()}).content.decode()
    return re.findall(r'<li class="dl[^"]*" data-testid="diary-lesson">.*?</li>', html, re.S)


def test_the_parent_sees_a_cancelled_lesson_with_its_reason(client, deputy, parent, student, week):
    tt.lesson_cancel(actor=deputy, lesson=week[dt.date(2026, 11, 25)], reason="Актированный день")
    items = _items(client, parent, student)
    assert len(items) == 3
    assert 'data-testid="diary-cancelled"' in items[1] and "Актированный день" in items[1]
    assert "diary-cancelled" not in items[0] + items[2]


def test_a_transferred_lesson_shows_where_it_came_from_and_where_it_went(client, deputy, parent, student, week):
    lesson = week[dt.date(2026, 11, 25)]
    tt.lesson_transfer(actor=deputy, lesson=lesson, date=dt.date(2026, 11, 28), number=4, reason="Учитель на курсах")
    items = _items(client, parent, student)
    # Monday 2, Wednesday 2 (moved away), Friday 2, Saturday 4 (moved here).
    assert len(items) == 4
    old, new = items[1], items[3]
    assert 'data-testid="diary-moved-to"' in old and "Учитель на курсах" in old and "4" in old
    assert 'data-testid="diary-moved-from"' in new and "Учитель на курсах" in new
    assert '<span class="num">4</span>' in new
    assert "25" in new  # the old date, «среда, 25 ноября»


def test_a_lesson_moved_to_next_week_is_announced_in_both_weeks(client, deputy, student_user, student, week):
    lesson = week[dt.date(2026, 11, 27)]
    tt.lesson_transfer(actor=deputy, lesson=lesson, date=dt.date(2026, 12, 1), number=6, reason="Олимпиада")
    this_week = _items(client, student_user, student)
    assert 'data-testid="diary-moved-to"' in this_week[2]
    next_week = _items(client, student_user, student, dt.date(2026, 11, 30))
    moved = [item for item in next_week if "diary-moved-from" in item]
    assert len(moved) == 1 and "Олимпиада" in moved[0] and '<span class="num">6</span>' in moved[0]


def test_a_substituted_lesson_names_the_substitute(client, deputy, parent, school, group, student, week):
    colleague = UserFactory(username="colleague", last_name="Соколова", first_name="Вера", patronymic="Ильинична")
    staff_role_grant(actor=None, user=colleague, school=school, role="teacher")
    tt.substitution_add(
        actor=deputy, school=school, group=group, substitute=colleague, start=MONDAY, end=dt.date(2026, 11, 25)
    )
    items = _items(client, parent, student)
    assert 'data-testid="diary-substitution"' in items[0] and colleague.short_name in items[0]
    assert 'data-testid="diary-substitution"' in items[1]
    assert "diary-substitution" not in items[2]


def test_a_quarantine_declared_after_generation_empties_the_days(client, parent, year, student, week):
    HolidayFactory(
        year=year, name="Карантин по гриппу", kind="quarantine", start=dt.date(2026, 11, 25), end=dt.date(2026, 11, 28),
        grade_from=5, grade_to=5,
    )  # fmt: skip
    client.force_login(parent)
    html = client.get("/diary/", {"child": student.pk, "week": MONDAY.isoformat()}).content.decode()
    assert html.count('data-testid="diary-holiday"') == 4 and "Карантин по гриппу" in html
    assert len(_items(client, parent, student)) == 1  # Monday only


def test_another_grade_quarantine_changes_nothing(client, parent, year, student, week):
    HolidayFactory(
        year=year, name="Карантин", kind="quarantine", start=MONDAY, end=dt.date(2026, 11, 28), grade_from=9,
    )  # fmt: skip
    assert len(_items(client, parent, student)) == 3


def test_the_changes_cost_no_extra_queries(
    client, deputy, parent, student, week, quarters, django_assert_max_num_queries
):
    tt.lesson_cancel(actor=deputy, lesson=week[dt.date(2026, 11, 23)], reason="Причина")
    tt.lesson_transfer(actor=deputy, lesson=week[dt.date(2026, 11, 25)], date=MONDAY, number=5, reason="Причина")
    client.force_login(parent)
    client.get("/diary/", {"child": student.pk})  # warm the per-user caches
    with django_assert_max_num_queries(14):  # the same guard as the diary's own test
        assert client.get("/diary/", {"child": student.pk}).status_code == 200
