"""Marks are written only through the services, which enforce the journal's rules (R1–R5) in Russian,
keep optimistic versions, and leave an event in the group's history for every change (R4).

"Today" is pinned to Monday 23.11.2026, 12:00 in Moscow (inside the fixtures' academic year).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.services import class_teacher_set, staff_role_grant, substitution_start, teacher_assign
from accounts.tests.factories import UserFactory
from attendance.models import Absence
from grading.history import chain_verify
from grading.models import JournalEvent, Mark
from grading.services import MarkConflict, control_work_fill, mark_column_add, mark_delete, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import GroupMembership, LessonStatus, MedicalGroup
from journal.services import enrollment_admit
from journal.tests.factories import (
    LessonFactory,
    SchoolClassFactory,
    StudentFactory,
    SubjectFactory,
    TeachingGroupFactory,
)

TODAY = dt.date(2026, 11, 23)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("_today"),
]


@pytest.fixture
def oral(school):
    return WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)


@pytest.fixture
def written(school):
    return WorkTypeFactory(
        school=school, name="Самостоятельная работа", short_name="С/р", weight=2, is_written=True, check_days_junior=5
    )


@pytest.fixture
def control(school):
    return WorkTypeFactory(
        school=school, name="Контрольная работа", short_name="К/р", weight=3, is_control_work=True, is_written=True
    )


@pytest.fixture
def lesson(make_lesson):
    return make_lesson(date=TODAY, number=2, status=LessonStatus.PLANNED)


@pytest.fixture
def column(teacher, lesson, oral):
    return mark_column_add(actor=teacher, lesson=lesson, work_type=oral)


def events(group, **filters):
    return list(JournalEvent.objects.filter(group=group, **filters).order_by("seq"))


def test_the_teacher_puts_a_mark_and_the_history_records_it(teacher, group, lesson, column, student):  # R3, R4
    mark = mark_set(actor=teacher, column=column, student=student, text="4")
    assert (mark.value, mark.version, mark.is_late) == (4, 1, False)
    lesson.refresh_from_db()
    assert lesson.status == LessonStatus.HELD  # a lesson with marks has taken place
    created = events(group, object_type="mark")
    assert [(e.action, e.new["value"], e.student_id, e.actor_id) for e in created] == [
        ("create", 4, student.pk, teacher.pk)
    ]
    kinds = [e.object_type for e in events(group)]
    assert kinds == ["lesson_status", "column", "mark"]
    assert chain_verify(group.pk).ok


def test_typing_the_same_mark_again_leaves_no_new_event(teacher, group, column, student):
    mark_set(actor=teacher, column=column, student=student, text="5")
    mark_set(actor=teacher, column=column, student=student, text="5", expected_version=1)
    assert len(events(group, object_type="mark")) == 1


def test_no_marks_in_the_first_grade(school, year, teacher, subject, oral):  # R1
    first = SchoolClassFactory(year=year, grade=1, letter="А")
    group = TeachingGroupFactory(year=year, subject=subject, classes=[first], name="1А, математика")
    teacher_assign(actor=None, group=group, teacher=teacher, start=year.start)
    lesson = LessonFactory(group=group, date=TODAY, number=1)
    with pytest.raises(ValidationError, match="В первом классе отметки не выставляются"):
        mark_column_add(actor=teacher, lesson=lesson, work_type=oral)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("6", "от 1 до 5"),
        ("0", "от 1 до 5"),
        ("хор", "от 1 до 5"),
        ("4/3", "только по русскому языку и литературе"),
        ("зач", "только по предметам с зачётной системой"),
        ("осв", "освобождённому от физической культуры"),
    ],
)
def test_values_off_the_scale_are_refused_in_russian(teacher, column, student, typed, message):  # R2
    with pytest.raises(ValidationError, match=message):
        mark_set(actor=teacher, column=column, student=student, text=typed)
    assert not Mark.objects.exists()


def test_two_marks_in_one_cell_where_the_subject_allows_them(school, year, school_class, teacher, student, oral):
    russian = SubjectFactory(school=school, name="Русский язык", allows_double_mark=True)
    group = TeachingGroupFactory(year=year, subject=russian, classes=[school_class], name="5А, русский язык")
    teacher_assign(actor=None, group=group, teacher=teacher, start=year.start)
    GroupMembership.objects.create(group=group, student=student, start=year.start)
    column = mark_column_add(actor=teacher, lesson=LessonFactory(group=group, date=TODAY, number=3), work_type=oral)
    mark = mark_set(actor=teacher, column=column, student=student, text="4/3")  # R2
    assert (mark.value, mark.value2, mark.display) == (4, 3, "4/3")


def test_an_exempt_student_gets_osv(teacher, column, student):  # R2
    student.medical_group = MedicalGroup.EXEMPT
    student.save()
    assert mark_set(actor=teacher, column=column, student=student, text="осв").display == "осв"


def test_no_marks_for_a_future_or_cancelled_lesson(teacher, make_lesson, oral):
    future = make_lesson(date=TODAY + dt.timedelta(days=1), number=1, status=LessonStatus.PLANNED)
    with pytest.raises(ValidationError, match="ещё не состоялся"):
        mark_column_add(actor=teacher, lesson=future, work_type=oral)
    cancelled = make_lesson(date=TODAY, number=5, status=LessonStatus.CANCELLED)
    with pytest.raises(ValidationError, match="отменён"):
        mark_column_add(actor=teacher, lesson=cancelled, work_type=oral)


def test_no_mark_for_a_student_not_in_the_group_that_day(teacher, column, other_student, school, school_class):
    with pytest.raises(ValidationError, match="не было в этой группе"):
        mark_set(actor=teacher, column=column, student=other_student, text="5")
    newcomer = StudentFactory(school=school)
    enrollment_admit(actor=None, student=newcomer, school_class=school_class, start=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="не было в этой группе"):
        mark_set(actor=teacher, column=column, student=newcomer, text="5")


def test_an_absent_student_gets_the_mark_in_a_correction_column(teacher, lesson, column, control, student):  # R3
    Absence.objects.create(lesson=lesson, student=student, kind="absent")
    with pytest.raises(ValidationError, match="«коррекция»"):
        mark_set(actor=teacher, column=column, student=student, text="3")
    correction = mark_column_add(actor=teacher, lesson=lesson, work_type=control, is_correction=True)
    assert mark_set(actor=teacher, column=correction, student=student, text="3").value == 3


def test_only_the_groups_teacher_or_its_substitute_writes(
    column, student, class_teacher, parent, student_user, outsider, director
):  # R15
    for reader in (class_teacher, parent, student_user, outsider, director):
        with pytest.raises(PermissionDenied):
            mark_set(actor=reader, column=column, student=student, text="5")
    assert not Mark.objects.exists()


def test_a_substitute_writes_only_on_the_lessons_substituted(school, group, teacher, student, make_lesson, oral):  # R12
    sub = _colleague(school)
    substitution_start(actor=None, group=group, substitute=sub, start=TODAY, end=TODAY)
    today_column = mark_column_add(actor=sub, lesson=make_lesson(date=TODAY, number=4), work_type=oral)
    assert mark_set(actor=sub, column=today_column, student=student, text="5").created_by == sub
    yesterday = make_lesson(date=TODAY - dt.timedelta(days=3), number=4)
    with pytest.raises(PermissionDenied):
        mark_column_add(actor=sub, lesson=yesterday, work_type=oral)


def test_changing_a_mark_after_the_lesson_day_needs_a_reason(teacher, group, make_lesson, written, student):  # R4
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow")), tick=False):
        friday = make_lesson(date=dt.date(2026, 11, 20), number=1)
        column = mark_column_add(actor=teacher, lesson=friday, work_type=written)
        mark_set(actor=teacher, column=column, student=student, text="3")
    with pytest.raises(ValidationError, match="нужна причина"):
        mark_set(actor=teacher, column=column, student=student, text="4", expected_version=1)
    mark = mark_set(actor=teacher, column=column, student=student, text="4", expected_version=1, reason="Пересдача")
    assert (mark.value, mark.version) == (4, 2)
    change = events(group, object_type="mark")[-1]
    assert (change.action, change.old["value"], change.new["value"], change.reason, change.is_late) == (
        "update",
        3,
        4,
        "Пересдача",
        True,
    )


def test_a_written_work_may_be_marked_within_its_checking_days(teacher, make_lesson, written, student):  # R5
    monday_before = make_lesson(date=dt.date(2026, 11, 18), number=1)
    column = mark_column_add(actor=teacher, lesson=monday_before, work_type=written)
    mark = mark_set(actor=teacher, column=column, student=student, text="5")  # 5 days after: on time
    assert mark.is_late is False


def test_an_oral_mark_entered_days_later_is_recorded_as_late_with_its_reason(teacher, make_lesson, oral, student):
    past = make_lesson(date=dt.date(2026, 11, 18), number=1)
    column = mark_column_add(actor=teacher, lesson=past, work_type=oral)
    with pytest.raises(ValidationError, match="причину позднего внесения"):
        mark_set(actor=teacher, column=column, student=student, text="5")  # R5: oral marks on the day
    mark = mark_set(actor=teacher, column=column, student=student, text="5", reason="Журнал был недоступен")
    assert (mark.is_late, mark.late_reason) == (True, "Журнал был недоступен")


def test_two_people_editing_one_cell_get_a_conflict_not_a_silent_overwrite(teacher, column, student):
    mark_set(actor=teacher, column=column, student=student, text="3")
    mark_set(actor=teacher, column=column, student=student, text="4", expected_version=1)  # the other tab
    with pytest.raises(MarkConflict, match="теперь стоит 4") as conflict:
        mark_set(actor=teacher, column=column, student=student, text="5", expected_version=1)
    assert conflict.value.current.value == 4
    assert Mark.objects.get().value == 4
    with pytest.raises(MarkConflict):  # a second "new" mark in a filled cell is a conflict too
        mark_set(actor=teacher, column=column, student=student, text="2", expected_version=None)


def test_a_deputy_corrects_only_with_a_reason(deputy, column, student, group):  # R4
    with pytest.raises(ValidationError, match="Для исправления нужна причина"):
        mark_set(actor=deputy, column=column, student=student, text="4")
    mark = mark_set(actor=deputy, column=column, student=student, text="4", reason="Ошибка при вводе, акт № 3")
    assert events(group, object_type="mark")[-1].actor_id == deputy.pk
    assert mark.value == 4


def test_removing_a_mark_keeps_what_it_was_in_the_history(teacher, group, column, student):  # R4
    mark = mark_set(actor=teacher, column=column, student=student, text="2")
    mark_delete(actor=teacher, mark=mark, expected_version=1)
    assert not Mark.objects.exists()
    removal = events(group, object_type="mark")[-1]
    assert (removal.action, removal.old["value"], removal.new) == ("delete", 2, None)
    assert chain_verify(group.pk).ok


def test_a_control_work_marks_every_present_student_in_one_step(
    school, school_class, teacher, group, lesson, control, student
):  # R3
    classmates = [StudentFactory(school=school) for _ in range(3)]
    for classmate in classmates:
        enrollment_admit(actor=None, student=classmate, school_class=school_class, start=dt.date(2026, 9, 1))
    Absence.objects.create(lesson=lesson, student=classmates[0], kind="absent")
    column = mark_column_add(actor=teacher, lesson=lesson, work_type=control, title="Контрольная работа «Дроби»")
    mark_set(actor=teacher, column=column, student=student, text="5")
    created = control_work_fill(actor=teacher, column=column, text="4")
    assert {m.student_id for m in created} == {classmates[1].pk, classmates[2].pk}
    assert {m.student_id: m.value for m in column.marks.all()} == {
        student.pk: 5,
        classmates[1].pk: 4,
        classmates[2].pk: 4,
    }
    assert len(events(group, object_type="mark")) == 3
    assert chain_verify(group.pk).ok


def _colleague(school):
    user = UserFactory()
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    return user


def test_class_teacher_of_the_class_reads_but_cannot_write(school, school_class, column, student):  # R15
    ct = _colleague(school)
    class_teacher_set(actor=None, school_class=school_class, teacher=ct)
    with pytest.raises(PermissionDenied, match="не можете изменять"):
        mark_set(actor=ct, column=column, student=student, text="5")
