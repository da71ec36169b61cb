"""The lesson's record — topic from the КТП, cancellation, homework — through the services, with their
rules and history (R4, R5, R10, R11). "Today" is Monday 23.11.2026 in Moscow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from attendance.services import absence_set
from grading.history import chain_verify
from grading.models import JournalEvent
from journal.models import Homework, LessonStatus, PlanItem
from journal.services import (
    homework_delete,
    homework_set,
    lesson_cancel,
    lesson_note_add,
    lesson_note_delete,
    lesson_topic_set,
)

TODAY = dt.date(2026, 11, 23)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def lesson(make_lesson):
    return make_lesson(date=TODAY, number=2, status=LessonStatus.PLANNED, topic="")


@pytest.fixture
def plan(group):
    return [
        PlanItem.objects.create(group=group, ordinal=n, topic=topic)
        for n, topic in enumerate(["Обыкновенные дроби", "Сравнение дробей", "Сложение дробей"], start=1)
    ]


def history(group, object_type):
    return list(JournalEvent.objects.filter(group=group, object_type=object_type).order_by("seq"))


def test_the_topic_comes_from_the_plan_and_the_lesson_is_held(teacher, group, lesson, plan):  # R10
    lesson_topic_set(actor=teacher, lesson=lesson, plan_item=plan[1])
    lesson.refresh_from_db()
    assert (lesson.topic, lesson.plan_item, lesson.status) == ("Сравнение дробей", plan[1], LessonStatus.HELD)
    assert [(e.action, e.new["topic"]) for e in history(group, "topic")] == [("create", "Сравнение дробей")]


def test_a_free_text_topic_and_a_change_on_the_same_day(teacher, group, lesson):
    lesson_topic_set(actor=teacher, lesson=lesson, topic="Повторение")
    lesson_topic_set(actor=teacher, lesson=lesson, topic="Повторение: дроби")
    change = history(group, "topic")[-1]
    assert (change.action, change.old["topic"], change.new["topic"]) == ("update", "Повторение", "Повторение: дроби")


def test_a_topic_recorded_after_the_day_needs_a_reason(teacher, make_lesson):  # R5
    friday = make_lesson(date=dt.date(2026, 11, 20), number=1, topic="")
    with pytest.raises(ValidationError, match="нужна причина"):
        lesson_topic_set(actor=teacher, lesson=friday, topic="Сложение дробей")
    lesson_topic_set(actor=teacher, lesson=friday, topic="Сложение дробей", reason="Не было связи")
    assert JournalEvent.objects.get(object_type="topic", lesson=friday).is_late is True


def test_no_topic_ahead_or_from_another_groups_plan(teacher, make_lesson, other_group, lesson):
    with pytest.raises(ValidationError, match="в день урока"):
        lesson_topic_set(actor=teacher, lesson=make_lesson(date=TODAY + dt.timedelta(days=2)), topic="Дроби")
    foreign = PlanItem.objects.create(group=other_group, ordinal=1, topic="Чужая тема")
    with pytest.raises(ValidationError, match="другой группы"):
        lesson_topic_set(actor=teacher, lesson=lesson, plan_item=foreign)


def test_homework_with_pages_and_exercises_due_at_the_next_lesson(teacher, group, lesson, make_lesson):  # R11
    next_lesson = make_lesson(date=dt.date(2026, 11, 25), number=3)
    homework = homework_set(actor=teacher, lesson=lesson, text="Решить задачи", pages="с. 45", exercises="№ 245, 247")
    assert (homework.due_date, homework.pages, homework.exercises) == (next_lesson.date, "с. 45", "№ 245, 247")
    assert history(group, "homework")[0].new["text"] == "Решить задачи"


def test_homework_may_be_set_ahead_for_a_future_lesson(teacher, make_lesson):  # R5
    future = make_lesson(date=dt.date(2026, 11, 26), number=1, status=LessonStatus.PLANNED)
    homework = homework_set(actor=teacher, lesson=future, text="Прочитать § 14", due_date=dt.date(2026, 11, 30))
    assert homework.due_date == dt.date(2026, 11, 30)


def test_changing_or_removing_homework_after_the_day_needs_a_reason(teacher, group, make_lesson):  # R4
    friday = make_lesson(date=dt.date(2026, 11, 20), number=2)
    homework = homework_set(actor=teacher, lesson=friday, text="§ 12", reason="Внесено позже: не было связи")
    with pytest.raises(ValidationError, match="нужна причина"):
        homework_set(actor=teacher, lesson=friday, homework=homework, text="§ 12–13")
    homework_set(actor=teacher, lesson=friday, homework=homework, text="§ 12–13", reason="Уточнение")
    with pytest.raises(ValidationError, match="нужна причина"):
        homework_delete(actor=teacher, homework=homework)
    homework_delete(actor=teacher, homework=homework, reason="Задано по ошибке")
    assert not Homework.objects.exists()
    assert [e.action for e in history(group, "homework")] == ["create", "update", "delete"]
    assert history(group, "homework")[-1].old["text"] == "§ 12–13"
    assert chain_verify(group.pk).ok


def test_empty_homework_and_a_due_date_before_the_lesson_are_refused(teacher, lesson):
    with pytest.raises(ValidationError, match="Напишите"):
        homework_set(actor=teacher, lesson=lesson, text="  ")
    with pytest.raises(ValidationError, match="после урока"):
        homework_set(actor=teacher, lesson=lesson, text="§ 3", due_date=TODAY)


def test_a_lesson_with_attendance_cannot_be_cancelled(teacher, lesson, student):
    absence_set(actor=teacher, lesson=lesson, student=student, kind="absent")
    with pytest.raises(ValidationError, match="удалите их"):
        lesson_cancel(actor=teacher, lesson=lesson, reason="Карантин")


def test_cancelling_a_lesson_is_recorded_with_its_reason(teacher, group, make_lesson):
    lesson = make_lesson(date=TODAY, number=6, status=LessonStatus.PLANNED)
    with pytest.raises(ValidationError, match="почему"):
        lesson_cancel(actor=teacher, lesson=lesson, reason="")
    lesson_cancel(actor=teacher, lesson=lesson, reason="Экскурсия")
    event = history(group, "lesson_status")[-1]
    assert (event.new["status"], event.reason) == ("cancelled", "Экскурсия")


def test_readers_cannot_write_the_lessons_record(
    lesson, class_teacher, parent, student_user, outsider, director
):  # R15
    for reader in (class_teacher, parent, student_user, outsider, director):
        with pytest.raises(PermissionDenied):
            lesson_topic_set(actor=reader, lesson=lesson, topic="Тема")
        with pytest.raises(PermissionDenied):
            homework_set(actor=reader, lesson=lesson, text="§ 1")
    assert not JournalEvent.objects.exists()


def test_a_remark_and_a_praise_are_recorded_with_history(teacher, group, lesson, student):  # R14
    note = lesson_note_add(actor=teacher, lesson=lesson, student=student, kind="praise", text="Отлично решил задачу")
    assert (note.kind, note.created_by) == ("praise", teacher)
    assert history(group, "note")[0].new == {"kind": "praise", "text": "Отлично решил задачу"}
    lesson_note_delete(actor=teacher, note=note)
    assert [e.action for e in history(group, "note")] == ["create", "delete"]


def test_a_remark_needs_text_and_a_student_of_the_group(teacher, lesson, student, other_student):
    with pytest.raises(ValidationError, match="Напишите текст"):
        lesson_note_add(actor=teacher, lesson=lesson, student=student, kind="remark", text=" ")
    with pytest.raises(ValidationError, match="не было в этой группе"):
        lesson_note_add(actor=teacher, lesson=lesson, student=other_student, kind="remark", text="Опоздал")


def test_parents_and_outsiders_cannot_write_remarks(lesson, student, parent, outsider):  # R15
    for user in (parent, outsider):
        with pytest.raises(PermissionDenied):
            lesson_note_add(actor=user, lesson=lesson, student=student, kind="remark", text="…")
