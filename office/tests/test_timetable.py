"""The timetable (issue 7 point 3): bells, slots with clash checks, lessons generated from the timetable,
transfers and cancellations; who may do it, bad input, and the page's query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.services import staff_role_grant, teacher_assign
from accounts.tests.factories import UserFactory
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import Bell, Holiday, Lesson, LessonStatus, TimetableSlot
from journal.tests.factories import (
    BellFactory,
    HolidayFactory,
    LessonFactory,
    SubjectFactory,
    TeachingGroupFactory,
    TimetableSlotFactory,
)
from office import timetable as tt
from office.models import ChangeRecord

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]
URL = "/office/timetable/"
Q2 = (dt.date(2026, 11, 5), dt.date(2026, 12, 28))
MONDAYS_Q2 = 8  # 09.11 … 28.12.2026


def _staff_teacher(school, username, last_name):
    user = UserFactory(username=username, last_name=last_name, first_name="Анна")
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    return user


def _slot_post(client, school, year, school_class, group, **fields):
    data = {
        "school": school.pk, "year": year.pk, "class": school_class.pk, "group": group.pk, "weekday": 1,
        "number": 1, "room": "21", "valid_from": "2026-09-01", "valid_to": "",
    }  # fmt: skip
    data.update(fields)
    return client.post(f"{URL}slots/add/", data)


# --- clash checks -----------------------------------------------------------------------------------------


def test_the_deputy_adds_a_slot_and_the_change_is_logged(client, deputy, school, year, school_class, group):
    client.force_login(deputy)
    response = _slot_post(client, school, year, school_class, group)
    assert response.status_code == 302
    slot = TimetableSlot.objects.get(group=group)
    assert (slot.weekday, slot.number, slot.room, slot.valid_to) == (1, 1, "21", None)
    assert ChangeRecord.objects.filter(school=school, object_type="timetable", actor=deputy).exists()


def test_a_teacher_in_two_places_at_once_is_refused_and_named(
    client, deputy, school, year, school_class, parallel_class, group, other_group, teacher
):
    teacher_assign(actor=None, group=other_group, teacher=teacher, start=year.start)
    TimetableSlotFactory(group=group, weekday=1, number=2, room="21")
    client.force_login(deputy)
    response = _slot_post(client, school, year, parallel_class, other_group, number=2, room="35")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html and teacher.short_name in html and group.name in html
    assert not TimetableSlot.objects.filter(group=other_group).exists()


def test_a_room_taken_by_another_class_is_a_clash(deputy, year, group, other_group):
    TimetableSlotFactory(group=group, weekday=2, number=3, room="Каб. 21")
    clashes = tt.slot_clashes(
        group=other_group, weekday=2, number=3, room="каб. 21 ", valid_from=year.start, valid_to=None
    )
    assert len(clashes) == 1 and "Каб. 21" in clashes[0] and group.name in clashes[0]
    with pytest.raises(ValidationError):
        tt.slot_add(actor=deputy, group=other_group, weekday=2, number=3, room="каб. 21", valid_from=year.start)
    assert not TimetableSlot.objects.filter(group=other_group).exists()


def test_a_class_cannot_have_two_whole_class_lessons_at_once(deputy, school, year, school_class, group):
    russian = TeachingGroupFactory(
        year=year, subject=SubjectFactory(school=school, name="Русский язык"), name="5А, русский",
        classes=[school_class],
    )  # fmt: skip
    TimetableSlotFactory(group=group, weekday=3, number=1, room="21")
    clashes = tt.slot_clashes(group=russian, weekday=3, number=1, room="22", valid_from=year.start, valid_to=None)
    assert clashes and "5А" in clashes[0] and group.name in clashes[0]


def test_subgroups_of_one_split_run_in_parallel_but_not_with_the_whole_class(deputy, school, year, school_class, group):
    english = SubjectFactory(school=school, name="Английский язык")
    halves = [
        TeachingGroupFactory(
            year=year,
            subject=english,
            kind="subgroup",
            subgroup_number=n,
            name=f"5А, англ., гр. {n}",
            classes=[school_class],
        )  # fmt: skip
        for n in (1, 2)
    ]
    for n, half in enumerate(halves, 1):
        teacher_assign(
            actor=None, group=half, teacher=_staff_teacher(school, f"en{n}", f"Англичанка{n}"), start=year.start
        )
    tt.slot_add(actor=deputy, group=halves[0], weekday=4, number=2, room="31", valid_from=year.start)
    tt.slot_add(actor=deputy, group=halves[1], weekday=4, number=2, room="32", valid_from=year.start)
    assert TimetableSlot.objects.filter(weekday=4, number=2).count() == 2
    with pytest.raises(ValidationError) as info:
        tt.slot_add(actor=deputy, group=group, weekday=4, number=2, room="21", valid_from=year.start)
    assert len(info.value.messages) == 2  # the class is at both halves


def test_slots_whose_dates_do_not_overlap_do_not_clash(deputy, year, group, other_group):
    TimetableSlotFactory(group=group, weekday=5, number=1, room="21", valid_to=dt.date(2026, 12, 31))
    assert (
        tt.slot_clashes(
            group=other_group, weekday=5, number=1, room="21", valid_from=dt.date(2027, 1, 9), valid_to=None
        )
        == []
    )
    assert tt.slot_clashes(
        group=other_group, weekday=5, number=1, room="21", valid_from=dt.date(2026, 12, 1), valid_to=None
    )


def test_bad_slot_input_gets_a_message_and_saves_nothing(client, deputy, school, year, school_class, group):
    client.force_login(deputy)
    for fields in (
        {"valid_from": "2026-12-01", "valid_to": "2026-11-01"},  # end before start
        {"valid_from": "2030-01-01"},  # outside the year
        {"number": "0"},
        {"weekday": "7"},
    ):
        response = _slot_post(client, school, year, school_class, group, **fields)
        assert response.status_code == 200
        assert "error" in response.content.decode()
    assert not TimetableSlot.objects.exists()
    assert not ChangeRecord.objects.exists()


# --- who may ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["deputy", "administrator"])
def test_the_timetable_page_opens_for_who_runs_it(client, request, who, school, school_class, group):
    TimetableSlotFactory(group=group, weekday=1, number=2, room="21")
    client.force_login(request.getfixturevalue(who))
    response = client.get(URL, {"school": school.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="grid"' in html and "5А" in html and 'data-testid="slot-' in html


@pytest.mark.parametrize("who", ["teacher", "parent", "class_teacher", "secretary", "director"])
def test_others_get_404_and_write_nothing(client, request, who, school, year, school_class, group):
    slot = TimetableSlotFactory(group=group, weekday=1, number=2)
    lesson = LessonFactory(group=group, date=dt.date(2026, 11, 23), number=2, status="planned", topic="")
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL, {"school": school.pk}).status_code == 404
    assert _slot_post(client, school, year, school_class, group, number=5).status_code == 404
    assert client.post(f"{URL}slots/{slot.pk}/remove/").status_code == 404
    assert client.post(f"{URL}bells/", {"school": school.pk, "start_1": "08:00", "end_1": "08:45"}).status_code == 404
    assert client.post(f"{URL}generate/", {"school": school.pk, "year": year.pk}).status_code == 404
    assert client.post(f"{URL}lessons/{lesson.pk}/cancel/", {"reason": "x"}).status_code == 404
    assert TimetableSlot.objects.count() == 1 and not Bell.objects.exists()
    assert Lesson.objects.get().status == LessonStatus.PLANNED


def test_the_deputy_of_another_school_gets_404(client, outsider, school, year, school_class, group):
    slot = TimetableSlotFactory(group=group, weekday=1, number=2)
    lesson = LessonFactory(group=group, date=dt.date(2026, 11, 23), number=2, status="planned", topic="")
    client.force_login(outsider)
    assert client.get(URL, {"school": school.pk}).status_code == 404
    assert client.get(f"{URL}lessons/", {"school": school.pk}).status_code == 404
    assert client.post(f"{URL}slots/{slot.pk}/end/", {"last_day": "2026-12-01"}).status_code == 404
    assert client.post(f"{URL}slots/{slot.pk}/remove/").status_code == 404
    transfer = {"date": "2026-11-24", "number": 3, "reason": "x"}
    assert client.post(f"{URL}lessons/{lesson.pk}/transfer/", transfer).status_code == 404
    assert TimetableSlot.objects.get().valid_to is None and Lesson.objects.get().date == dt.date(2026, 11, 23)


def test_services_refuse_a_teacher_even_without_the_views(teacher, year, group):
    with pytest.raises(PermissionDenied):
        tt.slot_add(actor=teacher, group=group, weekday=1, number=1, valid_from=year.start)
    with pytest.raises(PermissionDenied):
        tt.lessons_generate(actor=teacher, year=year)


@pytest.mark.parametrize("size", [2, 20])
def test_the_page_query_count_does_not_grow_with_slots(
    client, deputy, school, year, school_class, group, teacher, size, django_assert_max_num_queries
):
    for n in range(size):
        TimetableSlotFactory(group=group, weekday=1 + n % 6, number=1 + n // 6, valid_from=year.start)
    BellFactory(school=school, number=1)
    client.force_login(deputy)
    # user, session, scope, school, year, class, bells, slots, teachers, years, classes, groups, periods, unread
    with django_assert_max_num_queries(18):
        assert client.get(URL, {"school": school.pk, "class": school_class.pk}).status_code == 200


# --- bells --------------------------------------------------------------------------------------------------


def test_the_bell_schedule_is_set_and_bad_times_are_refused(client, deputy, school, group):
    client.force_login(deputy)
    good = {"school": school.pk, "start_1": "08:30", "end_1": "09:15", "start_2": "09:25", "end_2": "10:10"}
    assert client.post(f"{URL}bells/", good).status_code == 302
    assert list(Bell.objects.filter(school=school).values_list("number", flat=True)) == [1, 2]
    overlapping = {**good, "start_2": "09:00"}
    response = client.post(f"{URL}bells/", overlapping)
    assert response.status_code == 200 and 'data-testid="form-errors"' in response.content.decode()
    reversed_times = {**good, "start_1": "09:20"}
    assert 'data-testid="form-errors"' in client.post(f"{URL}bells/", reversed_times).content.decode()
    half = {**good, "end_2": ""}
    assert 'data-testid="field-error"' in client.post(f"{URL}bells/", half).content.decode()
    assert Bell.objects.get(school=school, number=2).start_time == dt.time(9, 25)
    # A lesson number the timetable uses cannot disappear from the bells.
    TimetableSlotFactory(group=group, weekday=1, number=2)
    response = client.post(f"{URL}bells/", {"school": school.pk, "start_1": "08:30", "end_1": "09:15"})
    assert 'data-testid="form-errors"' in response.content.decode()
    assert Bell.objects.filter(school=school).count() == 2


# --- lessons from the timetable -------------------------------------------------------------------------------


def test_generation_is_idempotent(deputy, year, quarters, group, teacher):
    TimetableSlotFactory(group=group, weekday=1, number=2, room="21")
    _q1, q2, _whole = quarters
    first = tt.lessons_generate(actor=deputy, year=year, period=q2)
    assert first.created == MONDAYS_Q2
    lessons = Lesson.objects.filter(group=group)
    assert lessons.count() == MONDAYS_Q2
    assert set(lessons.values_list("teacher_id", "status", "room", "number")) == {(teacher.pk, "planned", "21", 2)}
    second = tt.lessons_generate(actor=deputy, year=year, period=q2)
    assert (second.created, second.existing) == (0, MONDAYS_Q2)
    assert lessons.count() == MONDAYS_Q2


def test_generation_never_touches_a_lesson_with_a_mark(deputy, school, year, quarters, group, teacher, student):
    TimetableSlotFactory(group=group, weekday=1, number=2, room="21")
    lesson = LessonFactory(
        group=group, date=dt.date(2026, 11, 16), number=2, teacher=teacher, status="planned", topic="", room="7"
    )
    column = mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school))
    mark_set(actor=teacher, column=column, student=student, text="5", reason="Запись с бумаги")
    lesson.refresh_from_db()
    before = (lesson.updated_at, lesson.room, lesson.status)
    result = tt.lessons_generate(actor=deputy, year=year, period=quarters[1])
    assert result.existing == 1 and result.created == MONDAYS_Q2 - 1
    lesson.refresh_from_db()
    assert (lesson.updated_at, lesson.room, lesson.status) == before
    assert lesson.mark_columns.get().marks.get().value == 5


def test_generation_skips_holidays_of_the_class_grade_only(deputy, year, quarters, school_class, group, teacher):
    TimetableSlotFactory(group=group, weekday=1, number=2)
    HolidayFactory(year=year, name="Карантин", kind="quarantine", start=dt.date(2026, 11, 30),
                   end=dt.date(2026, 12, 5), grade_from=5, grade_to=6)  # fmt: skip
    HolidayFactory(year=year, name="Карантин старших", kind="quarantine", start=dt.date(2026, 12, 7),
                   end=dt.date(2026, 12, 12), grade_from=9, grade_to=11)  # fmt: skip
    result = tt.lessons_generate(actor=deputy, year=year, period=quarters[1])
    assert result.holidays == 1 and result.created == MONDAYS_Q2 - 1
    dates = set(Lesson.objects.filter(group=group).values_list("date", flat=True))
    assert dt.date(2026, 11, 30) not in dates and dt.date(2026, 12, 7) in dates
    assert Holiday.objects.count() == 2


def test_generation_puts_the_substitute_on_substituted_days(deputy, year, quarters, group, substitute, teacher):
    TimetableSlotFactory(group=group, weekday=1, number=1)
    tt.lessons_generate(actor=deputy, year=year, period=quarters[0])
    by_date = {lesson.date: lesson for lesson in Lesson.objects.filter(group=group)}
    assert by_date[dt.date(2026, 10, 5)].teacher == substitute and by_date[dt.date(2026, 10, 12)].is_substitution
    assert by_date[dt.date(2026, 9, 28)].teacher == teacher and not by_date[dt.date(2026, 9, 28)].is_substitution


def test_the_generate_button_reports_counts_for_the_class(client, deputy, school, year, quarters, school_class, group):
    TimetableSlotFactory(group=group, weekday=1, number=2)
    client.force_login(deputy)
    data = {"school": school.pk, "year": year.pk, "class": school_class.pk, "period": quarters[1].pk}
    response = client.post(f"{URL}generate/", data, follow=True)
    assert response.status_code == 200
    assert f": {MONDAYS_Q2};" in response.content.decode()
    assert Lesson.objects.count() == MONDAYS_Q2
    assert ChangeRecord.objects.filter(object_type="lessons").count() == 1


def test_ending_a_slot_removes_only_empty_future_lessons(deputy, year, quarters, group, teacher):
    slot = TimetableSlotFactory(group=group, weekday=1, number=2)
    tt.lessons_generate(actor=deputy, year=year, period=quarters[1])
    kept = Lesson.objects.get(group=group, date=dt.date(2026, 12, 21))
    kept.topic = "Повторение"
    kept.save()
    removed = tt.slot_end(actor=deputy, slot=slot, last_day=dt.date(2026, 12, 6))
    assert removed == 3  # 07.12, 14.12 and 28.12; 21.12 has a topic
    assert Lesson.objects.filter(group=group, date__gt=dt.date(2026, 12, 6)).get() == kept
    slot.refresh_from_db()
    assert slot.valid_to == dt.date(2026, 12, 6)
    with pytest.raises(ValidationError):
        tt.slot_end(actor=deputy, slot=slot, last_day=dt.date(2026, 8, 1))


# --- transfers and cancellations ------------------------------------------------------------------------------


def test_a_transfer_records_where_the_lesson_was(client, deputy, school, year, school_class, group, teacher):
    lesson = LessonFactory(
        group=group, date=dt.date(2026, 11, 25), number=2, teacher=teacher, status="planned", topic=""
    )
    client.force_login(deputy)
    data = {"date": "2026-11-27", "number": 5, "reason": "Учитель на курсах", "class": school_class.pk}
    response = client.post(f"{URL}lessons/{lesson.pk}/transfer/", data)
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert (lesson.date, lesson.number) == (dt.date(2026, 11, 27), 5)
    assert (lesson.moved_from_date, lesson.moved_from_number) == (dt.date(2026, 11, 25), 2)
    assert lesson.status_note == "Учитель на курсах"
    # Moved again: it still remembers the first place.
    tt.lesson_transfer(actor=deputy, lesson=lesson, date=dt.date(2026, 11, 28), number=1, reason="Ещё раз")
    lesson.refresh_from_db()
    assert (lesson.moved_from_date, lesson.moved_from_number, lesson.date) == (
        dt.date(2026, 11, 25), 2, dt.date(2026, 11, 28),
    )  # fmt: skip
    page = client.get(f"{URL}lessons/", {"school": school.pk, "class": school_class.pk, "week": "2026-11-28"})
    assert "25.11.2026" in page.content.decode()


def test_a_transfer_into_a_clash_or_a_holiday_is_refused(client, deputy, year, group, other_group, teacher):
    lesson = LessonFactory(
        group=group, date=dt.date(2026, 11, 25), number=2, teacher=teacher, status="planned", topic=""
    )
    LessonFactory(group=group, date=dt.date(2026, 11, 26), number=3, teacher=teacher, status="planned", topic="")
    LessonFactory(group=other_group, date=dt.date(2026, 11, 27), number=4, teacher=teacher, status="planned", topic="")
    HolidayFactory(year=year, start=dt.date(2026, 12, 28), end=dt.date(2027, 1, 8), name="Зимние каникулы")
    client.force_login(deputy)
    for date, number in (("2026-11-26", 3), ("2026-11-27", 4), ("2026-12-29", 1), ("2026-11-29", 1)):
        data = {"date": date, "number": number, "reason": "Перенос"}
        response = client.post(f"{URL}lessons/{lesson.pk}/transfer/", data, follow=True)
        assert response.status_code == 200 and 'class="messages"' in response.content.decode()
    client.post(f"{URL}lessons/{lesson.pk}/transfer/", {"date": "2026-11-30", "number": 1, "reason": ""})
    lesson.refresh_from_db()
    assert (lesson.date, lesson.number, lesson.moved_from_date) == (dt.date(2026, 11, 25), 2, None)


def test_a_held_lesson_with_marks_is_neither_moved_nor_cancelled(deputy, school, group, teacher, student):
    lesson = LessonFactory(
        group=group, date=dt.date(2026, 11, 23), number=2, teacher=teacher, status="planned", topic=""
    )
    column = mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school))
    mark_set(actor=teacher, column=column, student=student, text="4")
    with pytest.raises(ValidationError):
        tt.lesson_transfer(actor=deputy, lesson=lesson, date=dt.date(2026, 11, 24), number=1, reason="x")
    with pytest.raises(ValidationError):
        tt.lesson_cancel(actor=deputy, lesson=lesson, reason="x")


def test_the_administrator_cancels_a_lesson_with_a_reason(client, administrator, school, school_class, group, teacher):
    lesson = LessonFactory(
        group=group, date=dt.date(2026, 11, 25), number=2, teacher=teacher, status="planned", topic=""
    )
    client.force_login(administrator)
    client.post(f"{URL}lessons/{lesson.pk}/cancel/", {"reason": ""})
    lesson.refresh_from_db()
    assert lesson.status == LessonStatus.PLANNED
    client.post(f"{URL}lessons/{lesson.pk}/cancel/", {"reason": "Актированный день (мороз)"})
    lesson.refresh_from_db()
    assert (lesson.status, lesson.status_note) == (LessonStatus.CANCELLED, "Актированный день (мороз)")
    assert ChangeRecord.objects.filter(object_type="lesson", actor=administrator).count() == 1
