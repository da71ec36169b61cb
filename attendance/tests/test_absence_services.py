"""Attendance through the services (R8): the teacher marks absent / late on the day, the class teacher
records the reason; every change is in the history (R4). "Today" is Monday 23.11.2026 in Moscow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from attendance.models import Absence
from attendance.services import absence_clear, absence_reason_set, absence_set
from grading.models import JournalEvent
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import LessonStatus

TODAY = dt.date(2026, 11, 23)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def lesson(make_lesson):
    return make_lesson(date=TODAY, number=3, status=LessonStatus.PLANNED)


def absence_events(group):
    return list(JournalEvent.objects.filter(group=group, object_type="absence").order_by("seq"))


def test_the_teacher_marks_an_absence_and_a_lateness(teacher, group, lesson, student):  # R8
    absence = absence_set(actor=teacher, lesson=lesson, student=student, kind="absent")
    assert absence.code == "Н"  # reason not yet known
    absence = absence_set(actor=teacher, lesson=lesson, student=student, kind="late", minutes_late=7)
    assert (absence.code, absence.minutes_late) == ("О", 7)
    lesson.refresh_from_db()
    assert lesson.status == LessonStatus.HELD
    assert [(e.action, e.new["kind"]) for e in absence_events(group)] == [("create", "absent"), ("update", "late")]


def test_present_after_all_removes_the_entry_but_not_its_history(teacher, group, lesson, student):  # R4
    absence_set(actor=teacher, lesson=lesson, student=student, kind="absent")
    absence_clear(actor=teacher, lesson=lesson, student=student)
    assert not Absence.objects.exists()
    assert [e.action for e in absence_events(group)] == ["create", "delete"]


def test_a_student_with_a_mark_cannot_be_marked_absent(school, teacher, lesson, student):  # R3
    column = mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school))
    mark_set(actor=teacher, column=column, student=student, text="5")
    with pytest.raises(ValidationError, match="есть отметка за этот урок"):
        absence_set(actor=teacher, lesson=lesson, student=student, kind="absent")


def test_attendance_is_not_taken_ahead_or_for_a_cancelled_lesson(teacher, make_lesson, student):
    tomorrow = make_lesson(date=TODAY + dt.timedelta(days=1), number=1, status=LessonStatus.PLANNED)
    with pytest.raises(ValidationError, match="в день урока"):
        absence_set(actor=teacher, lesson=tomorrow, student=student, kind="absent")
    cancelled = make_lesson(date=TODAY, number=6, status=LessonStatus.CANCELLED)
    with pytest.raises(ValidationError, match="Урок отменён"):
        absence_set(actor=teacher, lesson=cancelled, student=student, kind="absent")


def test_changing_attendance_after_the_lesson_day_needs_a_reason(teacher, make_lesson, student):  # R4, R5
    friday = make_lesson(date=dt.date(2026, 11, 20), number=2)
    with pytest.raises(ValidationError, match="нужна причина"):
        absence_set(actor=teacher, lesson=friday, student=student, kind="absent")
    absence = absence_set(actor=teacher, lesson=friday, student=student, kind="absent", reason="Бумажный журнал")
    assert JournalEvent.objects.get(object_type="absence", object_id=absence.pk).is_late is True


def test_lateness_is_bounded(teacher, lesson, student):
    with pytest.raises(ValidationError, match="от 1 до 45 минут"):
        absence_set(actor=teacher, lesson=lesson, student=student, kind="late", minutes_late=90)


def test_readers_cannot_mark_attendance(lesson, student, class_teacher, parent, student_user, outsider):  # R15
    for reader in (class_teacher, parent, student_user, outsider):
        with pytest.raises(PermissionDenied):
            absence_set(actor=reader, lesson=lesson, student=student, kind="absent")


def test_the_class_teacher_records_the_reason_from_a_document(teacher, class_teacher, group, lesson, student):  # R8
    absence = absence_set(actor=teacher, lesson=lesson, student=student, kind="absent")
    absence = absence_reason_set(actor=class_teacher, absence=absence, reason="illness", note="Справка № 145")
    assert (absence.code, absence.reason_set_by, absence.note) == ("Б", class_teacher, "Справка № 145")
    assert absence_events(group)[-1].new["reason"] == "illness"
    with pytest.raises(PermissionDenied, match="классный руководитель"):
        absence_reason_set(actor=teacher, absence=absence, reason="excused")
