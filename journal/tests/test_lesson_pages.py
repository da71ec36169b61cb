"""The teacher's week at /journal/ and the read-only lesson page (issue 3, points 1–2, reading part):
who may open them, what they show, and that their query counts do not grow with the class."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance.services import absence_set
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import LessonStatus
from journal.services import enrollment_admit, homework_set, lesson_topic_set
from journal.tests.factories import StudentFactory

TODAY = dt.date(2026, 11, 23)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def lesson(make_lesson, teacher, student, school):
    lesson = make_lesson(date=TODAY, number=2, status=LessonStatus.PLANNED, topic="", teacher=teacher)
    column = mark_column_add(
        actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school), title="Устный счёт"
    )
    mark_set(actor=teacher, column=column, student=student, text="5")
    lesson_topic_set(actor=teacher, lesson=lesson, topic="Сложение дробей")
    homework_set(actor=teacher, lesson=lesson, text="Решить задачи", pages="с. 45", due_date=dt.date(2026, 11, 25))
    return lesson


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_the_teacher_sees_the_lesson_with_marks_topic_and_homework(client, teacher, lesson, student):
    html = _get(client, teacher, f"/journal/lessons/{lesson.pk}/").content.decode()
    assert "Сложение дробей" in html and "Решить задачи" in html and "Устный счёт" in html
    assert student.short_name in html
    assert "можете просматривать" not in html  # the teacher is not a read-only reader


@pytest.mark.parametrize("reader", ["class_teacher", "director"])
def test_class_teacher_and_administration_read_it_without_editing(client, request, lesson, reader):  # R15
    response = _get(client, request.getfixturevalue(reader), f"/journal/lessons/{lesson.pk}/")
    assert response.status_code == 200
    assert "можете просматривать эту страницу журнала, но не изменять" in response.content.decode()


def test_the_deputy_opens_it_in_correction_mode(client, deputy, lesson):  # R4, R15
    html = _get(client, deputy, f"/journal/lessons/{lesson.pk}/").content.decode()
    assert 'data-testid="correcting"' in html and "нужна причина" in html
    assert "можете просматривать" not in html


@pytest.mark.parametrize("stranger", ["outsider", "parent", "student_user", "secretary"])
def test_strangers_get_404(client, request, lesson, stranger):  # R15
    assert _get(client, request.getfixturevalue(stranger), f"/journal/lessons/{lesson.pk}/").status_code == 404


def test_a_substitute_opens_only_the_lessons_substituted(client, substitute, make_lesson):  # R12
    inside = make_lesson(date=dt.date(2026, 10, 7), number=1)
    outside = make_lesson(date=dt.date(2026, 10, 20), number=1)
    assert _get(client, substitute, f"/journal/lessons/{inside.pk}/").status_code == 200
    assert client.get(f"/journal/lessons/{outside.pk}/").status_code == 404


def test_the_week_lists_lessons_and_flags_missing_topics_and_marks(client, teacher, lesson, make_lesson):  # R10
    make_lesson(date=dt.date(2026, 11, 24), number=1, status=LessonStatus.HELD, topic="")
    html = _get(client, teacher, "/journal/?week=2026-11-25").content.decode()
    assert f'href="/journal/lessons/{lesson.pk}/"' in html
    assert "Сложение дробей" in html
    assert "тема не указана" in html and "нет отметок" in html
    assert "сегодня" in html


def test_the_week_links_the_journals_and_plans_of_the_teachers_groups(client, teacher, group, lesson):
    html = _get(client, teacher, "/journal/?week=2026-11-25").content.decode()
    assert "Журналы моих групп" in html
    assert f'href="/journal/groups/{group.pk}/"' in html
    assert f'href="/journal/groups/{group.pk}/plan/"' in html


def test_the_class_teacher_home_links_the_class_journals_read_only(client, class_teacher, group, lesson):  # R15
    html = _get(client, class_teacher, "/?day=2026-11-23").content.decode()
    assert "Журналы класса" in html
    assert f'href="/journal/groups/{group.pk}/"' in html
    grid = client.get(f"/journal/groups/{group.pk}/").content.decode()
    assert 'class="mk"' not in grid  # read, never edited by the class teacher


def test_the_week_of_someone_without_lessons_says_so(client, parent):
    assert "На этой неделе у вас нет уроков" in _get(client, parent, "/journal/").content.decode()


def test_the_home_page_links_the_teachers_lessons(client, teacher, lesson):
    html = _get(client, teacher, "/?day=2026-11-23").content.decode()
    assert f'href="/journal/lessons/{lesson.pk}/"' in html


@pytest.mark.parametrize("size", [3, 25])
def test_the_lesson_page_query_count_does_not_grow_with_the_class(
    client, teacher, lesson, school, school_class, size, django_assert_max_num_queries
):
    for _ in range(size):
        classmate = StudentFactory(school=school)
        enrollment_admit(actor=None, student=classmate, school_class=school_class, start=dt.date(2026, 9, 1))
        absence_set(actor=teacher, lesson=lesson, student=classmate, kind="late", minutes_late=5)
    client.force_login(teacher)
    client.get(f"/journal/lessons/{lesson.pk}/")
    with django_assert_max_num_queries(12):  # user + 11 for the page (the session is read from Redis)
        assert client.get(f"/journal/lessons/{lesson.pk}/").status_code == 200
