"""The diary week's cache (journal/diary_cache.py; issue 8, the morning peak): an unchanged week is served
without building it again, and every kind of change a teacher or the office makes is in the very next
read — a parent never sees an old mark, absence, homework, remark or timetable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client

from attendance.services import absence_set
from grading.models import MarkColumn
from grading.services import mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import LessonStatus
from journal.services import homework_set, lesson_cancel, lesson_note_add, lesson_topic_set
from journal.tests.factories import HolidayFactory, TimetableSlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def monday_lesson(group, teacher, student, make_lesson, quarters, school):
    lesson = make_lesson(date=MONDAY, number=2, topic="", teacher=teacher)  # held: its absences show
    lesson_topic_set(actor=teacher, lesson=lesson, topic="Сложение дробей")
    return lesson


def _page(client: Client, user, url: str = "/diary/") -> str:  # noqa: ANN001
    """The page as ``user`` reads it (the diary week by default)."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _week(client: Client, parent) -> str:  # noqa: ANN001
    return _page(client, parent)


def _mark(teacher, lesson, work_type, student, text: str) -> None:  # noqa: ANN001
    """The teacher puts a mark of ``work_type`` in a new column of the lesson."""
    from grading.services import mark_column_add

    mark_set(
        actor=teacher,
        column=mark_column_add(actor=teacher, lesson=lesson, work_type=work_type),
        student=student,
        text=text,
    )


def test_an_unchanged_week_is_not_built_again(client, parent, monday_lesson, django_assert_max_num_queries):
    client.force_login(parent)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get("/diary/")
    with CaptureQueriesContext(connection) as second:
        assert "Сложение дробей" in client.get("/diary/").content.decode()
    assert len(second) <= len(first) - 6  # the week's lessons, marks, absences, notes, homework, slots…


@pytest.mark.parametrize("change", ["mark", "absence", "homework", "remark", "topic", "column"])
def test_a_teachers_change_is_in_the_next_read(client, parent, teacher, student, school, monday_lesson, change):
    assert "Сложение дробей" in _week(client, parent)  # cached now
    expected = {
        "mark": 'data-testid="diary-mark">5<',
        "absence": 'class="abs"',
        "homework": "Решить № 300",
        "remark": "Не готов к уроку",
        "topic": "Вычитание дробей",
        "column": "Проверочная «Дроби»",
    }[change]
    assert expected not in _week(client, parent)
    work_type = WorkTypeFactory(school=school, name="Проверочная", short_name="Пр", weight=2)
    if change in ("mark", "column"):
        from grading.services import mark_column_add

        column = mark_column_add(actor=teacher, lesson=monday_lesson, work_type=work_type, title="Дроби")
        if change == "mark":
            mark_set(actor=teacher, column=column, student=student, text="5")
        else:
            mark_set(actor=teacher, column=column, student=student, text="4")
            assert "Проверочная" in _week(client, parent)
            MarkColumn.objects.filter(pk=column.pk).update(title="x")  # bulk: no signal — then a save
            column.title = "Дроби"
            column.save()
    elif change == "absence":
        absence_set(actor=teacher, lesson=monday_lesson, student=student, kind="absent")
    elif change == "homework":
        homework_set(actor=teacher, lesson=monday_lesson, text="Решить № 300", pages="", due_date=None)
    elif change == "remark":
        lesson_note_add(actor=teacher, lesson=monday_lesson, student=student, kind="remark", text="Не готов к уроку")
    else:
        lesson_topic_set(actor=teacher, lesson=monday_lesson, topic="Вычитание дробей", reason="Опечатка")
    assert expected in _week(client, parent)


def _thursday(html: str) -> str:
    return html[html.index("Четверг, 26 ноября") :].split("Пятница")[0]


def test_office_changes_are_in_the_next_read(client, parent, teacher, group, year, make_lesson, monday_lesson):
    tuesday = make_lesson(date=dt.date(2026, 11, 24), number=1, status=LessonStatus.PLANNED, topic="")
    html = _week(client, parent)
    assert "Урок отменён" not in html and "Математика" not in _thursday(html)
    lesson_cancel(actor=teacher, lesson=tuesday, reason="Учитель на курсах")
    assert "Урок отменён" in _week(client, parent)
    TimetableSlotFactory(group=group, weekday=4, number=3, room="314")  # a new slot on Thursday
    assert "Математика" in _thursday(_week(client, parent))
    HolidayFactory(year=year, name="Карантин по гриппу", start=dt.date(2026, 11, 27), end=dt.date(2026, 11, 28))
    assert "Карантин по гриппу" in _week(client, parent)


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_elsewhere_is_in_the_next_read(parent, teacher, student, monday_lesson, school):
    """As in production: the teacher's save commits in its own transaction, the parent reads after."""
    client = Client()
    assert "Сложение дробей" in _week(client, parent)
    work_type = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    from grading.services import mark_column_add

    with transaction.atomic():
        column = mark_column_add(actor=teacher, lesson=monday_lesson, work_type=work_type)
        mark_set(actor=teacher, column=column, student=student, text="3")
    assert 'data-testid="diary-mark">3<' in _week(client, parent)


def test_one_familys_cached_week_is_never_anothers(client, parent, other_student, monday_lesson):
    """The cache key is the student's: the other family's child id is still a 404 (R15)."""
    assert "Сложение дробей" in _week(client, parent)
    assert client.get(f"/diary/?child={other_student.pk}").status_code == 404


def test_the_confirmation_is_each_parents_own_on_a_shared_cached_week(client, parent, student, monday_lesson):
    """R19: the week is cached once for the child, the confirmation is not part of it — the mother's
    confirmation shows on her next read, and the father, reading the same cached week, still confirms."""
    from accounts.services import parent_link
    from accounts.tests.factories import UserFactory

    father = UserFactory(username="father")
    parent_link(actor=None, parent=father, student=student, relation="father")
    assert "Сложение дробей" in _week(client, parent)  # cached now
    client.post("/diary/acknowledge/", {"child": student.pk, "week": "2026-11-23"})
    assert "Вы подтвердили эту неделю" in _week(client, parent)
    html = _week(Client(), father)
    assert "Сложение дробей" in html and "Вы подтвердили эту неделю" not in html
    assert 'action="/diary/acknowledge/"' in html


# --- the marks page (the second most read page of the peak) -------------------------------------------------


def test_unchanged_marks_are_not_built_again(client, parent, teacher, student, school, monday_lesson):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work_type = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    _mark(teacher, monday_lesson, work_type, student, "4")
    with CaptureQueriesContext(connection) as first:
        _page(client, parent, "/diary/marks/")
    with CaptureQueriesContext(connection) as second:
        assert "23.11, Ответ на уроке" in _page(client, parent, "/diary/marks/")
    assert len(second) <= len(first) - 4  # the class, periods, memberships, marks, period marks, absences…


def test_marks_changes_are_in_the_next_read(
    client, parent, teacher, class_teacher, student, school, monday_lesson, make_lesson
):
    """A new mark, an absence's reason (R8) and a work type's weight (R3, the weighted average) — each is
    on the marks page the parent opens next, though the page was cached a moment before (results visible
    to parents within a day, R7; a period mark: journal/tests/test_diary.py)."""
    from attendance.services import absence_reason_set
    from grading.models import WorkType

    oral = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    test = WorkTypeFactory(school=school, name="Самостоятельная", short_name="Сам", weight=1)
    _mark(teacher, monday_lesson, oral, student, "5")
    assert 'data-testid="average">5,00<' in _page(client, parent, "/diary/marks/")  # cached now
    _mark(teacher, monday_lesson, test, student, "2")
    assert 'data-testid="average">3,50<' in _page(client, parent, "/diary/marks/")  # (5 + 2) / 2
    test.weight = 3
    test.save()  # the office changes a weight: every average of the school moves
    assert 'data-testid="average">2,75<' in _page(client, parent, "/diary/marks/")  # (5 + 2×3) / 4
    WorkType.objects.filter(pk=test.pk).update(name="x")  # bulk, no signal: not a path the office has

    friday = make_lesson(date=dt.date(2026, 11, 20), number=1, teacher=teacher)
    absence = absence_set(actor=teacher, lesson=friday, student=student, kind="absent", reason="Забыл отметить")
    assert "1 (Б 0, У 0, Н 1)" in _page(client, parent, "/diary/marks/")
    absence_reason_set(actor=class_teacher, absence=absence, reason="excused")
    assert "1 (Б 0, У 1, Н 0)" in _page(client, parent, "/diary/marks/")


def test_one_familys_cached_marks_are_never_anothers(client, parent, other_student, monday_lesson):
    """R15: a parent reads only their own child, cached or not."""
    _page(client, parent, "/diary/marks/")
    assert client.get(f"/diary/marks/?child={other_student.pk}").status_code == 404


# --- the family's home (the third) ---------------------------------------------------------------------------


def test_the_family_home_shows_each_change_at_once(
    client, parent, teacher, class_teacher, student, school, school_class, monday_lesson
):
    """The child's card (lessons and absences of the day, latest marks, the class teacher) is cached, and
    a mark, an absence or a new class teacher is on the next home page all the same."""
    from accounts.services import class_teacher_set

    html = _page(client, parent, "/")
    assert "Сложение дробей" in html and "Морозова" in html and "Отметок пока нет" in html  # cached now
    work_type = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    _mark(teacher, monday_lesson, work_type, student, "4")
    assert '<span class="mark mark-4">4</span>' in _page(client, parent, "/")
    assert teacher.full_name not in _page(client, parent, "/")
    class_teacher_set(actor=None, school_class=school_class, teacher=teacher)  # the office changes it
    assert f"Классный руководитель: {teacher.full_name}" in _page(client, parent, "/")


def test_one_familys_cached_card_is_never_anothers(client, parent, other_student, monday_lesson):
    """R15: the other family's home shows their child only, though ours was cached just before."""
    from accounts.services import parent_link
    from accounts.tests.factories import UserFactory

    assert "Иванов" in _page(client, parent, "/")
    other_parent = UserFactory(username="other_parent")
    parent_link(actor=None, parent=other_parent, student=other_student, relation="father")
    html = _page(Client(), other_parent, "/")
    assert "Смирнова" in html and "Иванов Пётр" not in html and "Сложение дробей" not in html
