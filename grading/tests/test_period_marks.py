"""Period marks (R7) and the weighted average with its forecast (R6, R21)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from grading.models import JournalEvent
from grading.selectors import forecast, period_averages
from grading.services import mark_column_add, mark_set, period_mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import StudyPeriod

pytestmark = pytest.mark.django_db
MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=MSK), tick=False)


@pytest.fixture
def quarter1(year):
    return StudyPeriod.objects.create(
        year=year, kind="quarter", number=1, start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 24),
        marks_deadline=dt.date(2026, 10, 26),
    )  # fmt: skip


@pytest.fixture
def quarter2(year):
    return StudyPeriod.objects.create(
        year=year, kind="quarter", number=2, start=dt.date(2026, 11, 5), end=dt.date(2026, 12, 28)
    )


def test_the_weighted_average_counts_weights_and_both_marks_of_a_cell(
    school, teacher, group, student, make_lesson, quarter2
):
    oral = WorkTypeFactory(school=school, name="Ответ на уроке", weight=1)
    test = WorkTypeFactory(school=school, name="Контрольная работа", weight=3, is_control_work=True)
    with at(dt.date(2026, 11, 23)):
        lesson = make_lesson(date=dt.date(2026, 11, 23), number=1)
        mark_set(
            actor=teacher,
            column=mark_column_add(actor=teacher, lesson=lesson, work_type=oral),
            student=student,
            text="5",
        )
        mark_set(
            actor=teacher,
            column=mark_column_add(actor=teacher, lesson=lesson, work_type=test),
            student=student,
            text="3",
        )
    average = period_averages(group, quarter2)[student.pk]
    assert average == Decimal("3.50")  # (5×1 + 3×3) / 4
    assert forecast(average) == 4  # half up (R6, R21)
    assert forecast(Decimal("4.49")) == 4 and forecast(None) is None


def test_the_teacher_sets_the_quarter_mark_in_the_last_week(teacher, group, student, quarter2):  # R7
    with at(dt.date(2026, 11, 23)), pytest.raises(ValidationError, match="последняя неделя"):
        period_mark_set(actor=teacher, group=group, student=student, period=quarter2, text="4")
    with at(dt.date(2026, 12, 24)):
        mark = period_mark_set(actor=teacher, group=group, student=student, period=quarter2, text="4")
    assert (mark.value, mark.display, mark.version) == (4, "4", 1)
    event = JournalEvent.objects.get(object_type="period_mark")
    assert (event.action, event.new["value"], event.is_late) == ("create", 4, False)


def test_after_the_deadline_a_reason_is_needed_and_the_entry_is_late(teacher, group, student, quarter1):  # R5, R7
    with at(dt.date(2026, 11, 2)):
        with pytest.raises(ValidationError, match="причину"):
            period_mark_set(actor=teacher, group=group, student=student, period=quarter1, text="5")
        period_mark_set(
            actor=teacher, group=group, student=student, period=quarter1, text="5", reason="Больничный учителя"
        )
    assert JournalEvent.objects.get(object_type="period_mark").is_late is True


def test_changing_a_period_mark_needs_a_reason_and_the_current_version(teacher, group, student, quarter2):
    with at(dt.date(2026, 12, 24)):
        period_mark_set(actor=teacher, group=group, student=student, period=quarter2, text="3")
        with pytest.raises(ValidationError, match="причину"):
            period_mark_set(actor=teacher, group=group, student=student, period=quarter2, text="4", expected_version=1)
        with pytest.raises(ValidationError, match="теперь стоит 3"):
            period_mark_set(actor=teacher, group=group, student=student, period=quarter2, text="4", reason="x")
        mark = period_mark_set(
            actor=teacher,
            group=group,
            student=student,
            period=quarter2,
            text="4",
            expected_version=1,
            reason="Пересдача",
        )
    assert (mark.value, mark.version) == (4, 2)


def test_not_attested_and_deferred(teacher, group, student, quarter2):  # R7
    with at(dt.date(2026, 12, 24)):
        assert (
            period_mark_set(actor=teacher, group=group, student=student, period=quarter2, text="н/а").display == "н/а"
        )
        deferred = period_mark_set(
            actor=teacher, group=group, student=student, period=quarter2, text="", deferred=True,
            expected_version=1, reason="Пропустил более половины уроков",
        )  # fmt: skip
    assert (deferred.is_deferred, deferred.display) == (True, "н/а")


def test_a_substitute_never_sets_period_marks_and_readers_cannot(
    group, student, quarter2, substitute, class_teacher, parent, outsider
):  # R12, R15
    with at(dt.date(2026, 12, 24)):
        for user in (substitute, class_teacher, parent, outsider):
            with pytest.raises(PermissionDenied):
                period_mark_set(actor=user, group=group, student=student, period=quarter2, text="5")


def test_a_deputy_corrects_with_a_reason_even_out_of_the_window(deputy, group, student, quarter2):  # R4
    with at(dt.date(2026, 11, 23)):
        with pytest.raises(ValidationError, match="причину"):
            period_mark_set(actor=deputy, group=group, student=student, period=quarter2, text="4")
        assert (
            period_mark_set(
                actor=deputy, group=group, student=student, period=quarter2, text="4", reason="Решение педсовета"
            ).value
            == 4
        )


def test_a_period_of_another_scheme_is_refused(teacher, group, student, year):
    half = StudyPeriod.objects.create(year=year, kind="half", number=1, start=year.start, end=dt.date(2026, 12, 28))
    with at(dt.date(2026, 12, 24)), pytest.raises(ValidationError, match="не относится"):
        period_mark_set(actor=teacher, group=group, student=student, period=half, text="4")
