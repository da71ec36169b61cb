"""Year set-up (issue 7 point 1, R27): years from scratch or copied from the previous one, period schemes
per grade band with dates and marks deadlines, holidays and quarantine that cancel the lessons in them.
Only the deputy and the administrator of the school get in; every change is in the change log."""

from __future__ import annotations

import datetime as dt

import pytest

from grading.tests.factories import MarkColumnFactory, MarkFactory
from journal.models import (
    AcademicYear,
    Holiday,
    Homework,
    Lesson,
    SchoolClass,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)
from journal.tests.factories import (
    AcademicYearFactory,
    LessonFactory,
    SchoolClassFactory,
    TeachingGroupFactory,
    TimetableSlotFactory,
)
from office.models import ChangeRecord

pytestmark = pytest.mark.django_db

QUARTERS = {
    "scheme": "quarter",
    "quarter-kind": "quarter",
    "quarter-start_1": "2026-09-01",
    "quarter-end_1": "2026-10-24",
    "quarter-deadline_1": "2026-10-26",
    "quarter-start_2": "2026-11-05",
    "quarter-end_2": "2026-12-28",
    "quarter-start_3": "2027-01-12",
    "quarter-end_3": "2027-03-21",
    "quarter-start_4": "2027-04-01",
    "quarter-end_4": "2027-05-31",
}


def _log(school, object_type: str) -> ChangeRecord:
    return ChangeRecord.objects.filter(school=school, object_type=object_type).latest("pk")


# --- access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["deputy", "administrator"])
def test_the_deputy_and_the_administrator_see_the_years_page(client, request, school, year, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(f"/office/year/?school={school.pk}")
    assert response.status_code == 200
    assert year.name in response.content.decode()
    assert client.get(f"/office/year/{year.pk}/").status_code == 200


@pytest.mark.parametrize("stranger", ["teacher", "class_teacher", "secretary", "director", "parent", "student_user"])
def test_others_get_404_and_write_nothing(client, request, school, year, stranger):
    client.force_login(request.getfixturevalue(stranger))
    assert client.get("/office/year/").status_code == 404
    assert client.get(f"/office/year/{year.pk}/").status_code == 404
    response = client.post(
        f"/office/year/{year.pk}/holidays/",
        {"name": "Каникулы", "kind": "vacation", "start": "2026-10-26", "end": "2026-11-03"},
    )
    assert response.status_code == 404
    response = client.post(
        "/office/year/create/", {"school": school.pk, "name": "2027/2028", "start": "2027-09-01", "end": "2028-05-31"}
    )
    assert response.status_code == 404
    assert not Holiday.objects.exists()
    assert AcademicYear.objects.count() == 1


def test_an_outsider_gets_404_on_this_schools_year(client, school, year, outsider, other_year):
    client.force_login(outsider)
    assert client.get(f"/office/year/{year.pk}/").status_code == 404
    assert client.post(f"/office/year/{year.pk}/periods/", QUARTERS).status_code == 404
    assert client.post(f"/office/year/{year.pk}/copy/", {"source": other_year.pk}).status_code == 404
    # ?school= of a school they do not set up falls back to their own
    html = client.get(f"/office/year/?school={school.pk}").content.decode()
    assert f"/office/year/{year.pk}/" not in html
    assert not StudyPeriod.objects.filter(year=year).exists()


def test_the_years_page_costs_the_same_with_more_years(client, school, deputy, django_assert_max_num_queries):
    for n in range(4):
        y = AcademicYearFactory(
            school=school, name=f"20{20 + n}/20{21 + n}", start=dt.date(2020 + n, 9, 1), end=dt.date(2021 + n, 5, 31)
        )
        StudyPeriod.objects.create(year=y, kind="half", number=1, start=y.start, end=dt.date(2020 + n, 12, 28))
        Holiday.objects.create(
            year=y,
            name="Зимние каникулы",
            start=dt.date(2020 + n, 12, 29),
            end=y.start.replace(year=2021 + n, month=1, day=8),
        )
        SchoolClassFactory(year=y, grade=5, letter="А")
    client.force_login(deputy)
    with django_assert_max_num_queries(12):
        html = client.get("/office/year/").content.decode()
    assert "2023/2024" in html and "Зимние каникулы" in html


def test_the_year_page_costs_the_same_with_more_holidays(client, year, deputy, django_assert_max_num_queries):
    for n in range(6):
        Holiday.objects.create(
            year=year, name=f"Праздник {n}", start=dt.date(2026, 11, 1 + n), end=dt.date(2026, 11, 1 + n)
        )
        SchoolClassFactory(year=year, grade=2 + n, letter="В")
    client.force_login(deputy)
    with django_assert_max_num_queries(14):
        assert client.get(f"/office/year/{year.pk}/").status_code == 200


# --- years ----------------------------------------------------------------------------------------------


def test_a_new_year_from_scratch_is_logged_with_its_author(client, school, year, administrator):
    client.force_login(administrator)
    response = client.post(
        "/office/year/create/", {"school": school.pk, "name": "2027/2028", "start": "2027-09-01", "end": "2028-05-31"}
    )
    new = AcademicYear.objects.get(school=school, name="2027/2028")
    assert response.status_code == 302 and response["Location"] == f"/office/year/{new.pk}/"
    assert not SchoolClass.objects.filter(year=new).exists()
    line = _log(school, "year")
    assert line.actor == administrator and "2027/2028" in line.summary


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        ("2028-05-31", "2027-09-01", "end before start"),
        ("2027-05-01", "2028-05-31", "overlaps 2026/2027"),
    ],
)
def test_a_bad_year_gives_a_form_error_and_writes_nothing(client, school, year, deputy, start, end, why):
    client.force_login(deputy)
    response = client.post(
        "/office/year/create/", {"school": school.pk, "name": "2027/2028", "start": start, "end": end}
    )
    assert response.status_code == 400, why
    assert 'data-testid="form-errors"' in response.content.decode()
    assert AcademicYear.objects.filter(school=school).count() == 1
    assert not ChangeRecord.objects.exists()


def test_a_duplicate_year_name_is_refused(client, school, year, deputy):
    client.force_login(deputy)
    response = client.post(
        "/office/year/create/", {"school": school.pk, "name": year.name, "start": "2027-09-01", "end": "2028-05-31"}
    )
    assert response.status_code == 400
    assert AcademicYear.objects.filter(school=school).count() == 1


@pytest.fixture
def filled_year(year, school_class, parallel_class, group, other_group, teacher, class_teacher, subject, student):
    """2026/2027 with 5А (class teacher, math with its teacher and timetable), 6Б and an 11th grade."""
    eleventh = SchoolClassFactory(year=year, grade=11, letter="А")
    TeachingGroupFactory(year=year, subject=subject, kind="class", name="11А, математика", classes=[eleventh])
    stream = TeachingGroupFactory(
        year=year,
        subject=subject,
        kind="stream",
        name="5А, 6Б — математика (поток)",
        classes=[school_class, parallel_class],
    )
    TimetableSlotFactory(group=group, weekday=1, number=2, room="21")
    TimetableSlotFactory(group=group, weekday=3, number=1, room="21", valid_to=dt.date(2026, 12, 31))  # ended
    TimetableSlotFactory(group=stream, weekday=5, number=6, room="Акт")
    return year


def test_a_year_copied_from_the_previous_one_promotes_classes_and_carries_the_structure(
    client, school, filled_year, deputy, teacher, class_teacher
):
    client.force_login(deputy)
    response = client.post(
        "/office/year/create/",
        {
            "school": school.pk,
            "name": "2027/2028",
            "start": "2027-09-01",
            "end": "2028-05-31",
            "copy_from": filled_year.pk,
        },
    )
    new = AcademicYear.objects.get(name="2027/2028")
    assert response.status_code == 302
    classes = {c.name: c for c in SchoolClass.objects.filter(year=new)}
    assert set(classes) == {"6А", "7Б"}  # the 11th grade is not carried
    assert classes["6А"].class_teacher == class_teacher
    groups = {g.name: g for g in TeachingGroup.objects.filter(year=new).prefetch_related("classes")}
    assert set(groups) == {"6А, математика", "7Б, математика", "6А, 7Б — математика (поток)"}
    assert {c.name for c in groups["6А, 7Б — математика (поток)"].classes.all()} == {"6А", "7Б"}
    assert groups["6А, математика"].hours_per_week == 4
    main = TeachingAssignment.objects.get(group=groups["6А, математика"])
    assert (main.teacher, main.start, main.end) == (teacher, dt.date(2027, 9, 1), None)
    assert teacher.has_perm("journal.teach_group", groups["6А, математика"])
    slots = TimetableSlot.objects.filter(group__year=new).order_by("weekday")
    assert [(s.group.name, s.weekday, s.number, s.room, s.valid_from, s.valid_to) for s in slots] == [
        ("6А, математика", 1, 2, "21", dt.date(2027, 9, 1), None),
        ("6А, 7Б — математика (поток)", 5, 6, "Акт", dt.date(2027, 9, 1), None),
    ]
    line = ChangeRecord.objects.get(school=school, action="copy")
    assert line.actor == deputy and line.data["source"] == filled_year.pk
    # the students stay where they were: the rollover moves them
    assert not new.classes.filter(enrollments__isnull=False).exists()


def test_copying_into_a_year_that_has_classes_is_refused(client, school, filled_year, deputy):
    new = AcademicYearFactory(school=school, name="2027/2028", start=dt.date(2027, 9, 1), end=dt.date(2028, 5, 31))
    SchoolClassFactory(year=new, grade=1, letter="А")
    client.force_login(deputy)
    response = client.post(f"/office/year/{new.pk}/copy/", {"source": filled_year.pk})
    assert response.status_code == 400
    assert SchoolClass.objects.filter(year=new).count() == 1
    assert not TeachingGroup.objects.filter(year=new).exists()


def test_copying_from_a_later_year_is_refused(client, school, year, deputy):
    earlier = AcademicYearFactory(school=school, name="2025/2026", start=dt.date(2025, 9, 1), end=dt.date(2026, 5, 31))
    SchoolClassFactory(year=year, grade=5, letter="А")
    client.force_login(deputy)
    assert client.post(f"/office/year/{earlier.pk}/copy/", {"source": year.pk}).status_code == 400
    assert not SchoolClass.objects.filter(year=earlier).exists()


# --- periods ---------------------------------------------------------------------------------------------


def test_quarters_are_set_with_their_marks_deadlines_and_the_year_period(client, school, year, deputy):
    client.force_login(deputy)
    response = client.post(f"/office/year/{year.pk}/periods/", QUARTERS)
    assert response.status_code == 302
    quarters = list(StudyPeriod.objects.filter(year=year, kind="quarter").order_by("number"))
    assert [(q.number, q.start, q.end) for q in quarters][0] == (1, dt.date(2026, 9, 1), dt.date(2026, 10, 24))
    assert quarters[0].marks_deadline == dt.date(2026, 10, 26) and len(quarters) == 4
    assert StudyPeriod.objects.filter(year=year, kind="year", start=year.start, end=year.end).exists()
    assert _log(school, "periods").actor == deputy
    # re-dating keeps the rows
    client.post(f"/office/year/{year.pk}/periods/", QUARTERS | {"quarter-end_4": "2027-05-28"})
    assert StudyPeriod.objects.get(year=year, kind="quarter", number=4).end == dt.date(2027, 5, 28)
    assert StudyPeriod.objects.filter(year=year, kind="quarter").count() == 4


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"quarter-start_2": "2026-10-20"}, "overlaps the first quarter"),
        ({"quarter-end_4": "2027-06-30"}, "outside the year"),
        ({"quarter-start_3": "2027-03-22"}, "ends before it starts"),
        ({"quarter-deadline_1": "2026-10-01"}, "deadline before the end"),
        ({"quarter-end_4": ""}, "half a row"),
        ({"quarter-start_4": "", "quarter-end_4": ""}, "three quarters"),
    ],
)
def test_bad_periods_give_a_form_error_and_write_nothing(client, school, year, deputy, change, why):
    client.force_login(deputy)
    response = client.post(f"/office/year/{year.pk}/periods/", QUARTERS | change)
    assert response.status_code == 400, why
    assert 'data-testid="form-errors"' in response.content.decode(), why
    assert not StudyPeriod.objects.exists()
    assert not ChangeRecord.objects.exists()


def test_halves_for_the_senior_grades(client, school, year, deputy, school_class):
    senior = SchoolClassFactory(year=year, grade=10, letter="А")
    client.force_login(deputy)
    # refused before the halves have dates
    assert (
        client.post(f"/office/year/{year.pk}/bands/", {"kind": "half", "grade_from": 10, "grade_to": 11}).status_code
        == 400
    )
    halves = {
        "scheme": "half", "half-kind": "half",
        "half-start_1": "2026-09-01", "half-end_1": "2026-12-28",
        "half-start_2": "2027-01-12", "half-end_2": "2027-05-31",
    }  # fmt: skip
    assert client.post(f"/office/year/{year.pk}/periods/", halves).status_code == 302
    assert (
        client.post(f"/office/year/{year.pk}/bands/", {"kind": "half", "grade_from": 10, "grade_to": 11}).status_code
        == 302
    )
    senior.refresh_from_db()
    school_class.refresh_from_db()
    assert (senior.period_kind, school_class.period_kind) == ("half", "quarter")
    assert _log(school, "class").actor == deputy


def test_the_year_marks_deadline_is_set_on_the_year_period(client, year, deputy, quarters):
    _q1, _q2, whole = quarters
    client.force_login(deputy)
    response = client.post(
        f"/office/year/period/{whole.pk}/", {"start": "2026-09-01", "end": "2027-05-31", "marks_deadline": "2027-06-02"}
    )
    assert response.status_code == 302
    whole.refresh_from_db()
    assert whole.marks_deadline == dt.date(2027, 6, 2)


def test_a_period_edit_overlapping_another_is_refused(client, year, deputy, quarters):
    q1, _q2, _whole = quarters
    client.force_login(deputy)
    response = client.post(f"/office/year/period/{q1.pk}/", {"start": "2026-09-01", "end": "2026-11-10"})
    assert response.status_code == 400
    q1.refresh_from_db()
    assert q1.end == dt.date(2026, 10, 24)


# --- the year's name and dates --------------------------------------------------------------------------------


def test_the_year_is_renamed_and_lengthened_and_its_year_period_follows(client, school, year, deputy, quarters):
    _q1, _q2, whole = quarters
    client.force_login(deputy)
    data = {"name": "2026-2027", "start": "2026-09-01", "end": "2027-06-30"}
    assert client.post(f"/office/year/{year.pk}/edit/", data).status_code == 302
    year.refresh_from_db()
    whole.refresh_from_db()
    assert (year.name, year.end) == ("2026-2027", dt.date(2027, 6, 30))
    assert (whole.start, whole.end) == (year.start, dt.date(2027, 6, 30))
    record = _log(school, "year")
    assert record.actor == deputy
    assert "31.05.2027" in record.summary and "30.06.2027" in record.summary


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"end": "2026-12-20"}, "четверть"),  # the 2nd quarter ends on 28.12
        ({"start": "2026-09-02"}, "зачислены"),  # students are enrolled from 01.09
        ({"end": "2026-08-01"}, "раньше"),  # the end before the start
    ],
)
def test_shrinking_the_year_past_what_is_in_it_is_refused(client, year, deputy, quarters, student, data, why):
    client.force_login(deputy)
    response = client.post(
        f"/office/year/{year.pk}/edit/", {"name": year.name, "start": "2026-09-01", "end": "2027-05-31", **data}
    )
    assert response.status_code == 400
    assert why in response.content.decode()
    year.refresh_from_db()
    assert (year.start, year.end) == (dt.date(2026, 9, 1), dt.date(2027, 5, 31))


def test_lessons_outside_the_new_dates_are_named(client, year, deputy, lessons):
    client.force_login(deputy)
    response = client.post(
        f"/office/year/{year.pk}/edit/", {"name": year.name, "start": "2026-09-01", "end": "2026-10-31"}
    )
    assert response.status_code == 400
    assert "уроков: 1" in response.content.decode()  # the lesson of 05.11
    year.refresh_from_db()
    assert year.end == dt.date(2027, 5, 31)


def test_outsiders_cannot_edit_the_year(client, year, outsider, secretary):
    for user in (outsider, secretary):
        client.force_login(user)
        data = {"name": "X", "start": "2026-09-01", "end": "2027-05-31"}
        assert client.post(f"/office/year/{year.pk}/edit/", data).status_code == 404
    year.refresh_from_db()
    assert year.name != "X"


def test_a_closed_year_takes_no_changes(client, year, deputy):
    year.is_closed = True
    year.save()
    client.force_login(deputy)
    assert client.post(f"/office/year/{year.pk}/periods/", QUARTERS).status_code == 400
    response = client.post(
        f"/office/year/{year.pk}/holidays/",
        {"name": "Каникулы", "kind": "vacation", "start": "2026-10-26", "end": "2026-11-03"},
    )
    assert response.status_code == 400
    assert not StudyPeriod.objects.exists() and not Holiday.objects.exists()


# --- holidays and quarantine (R27) -----------------------------------------------------------------------


@pytest.fixture
def lessons(group, other_group, student):
    """Lessons of 5А math and 6Б math around the autumn vacation (26.10–03.11.2026)."""
    planned = LessonFactory(group=group, date=dt.date(2026, 10, 27), number=1, status="planned", topic="")
    with_marks = LessonFactory(group=group, date=dt.date(2026, 10, 28), number=1, status="held", topic="Дроби")
    MarkFactory(column=MarkColumnFactory(lesson=with_marks), student=student)
    with_homework = LessonFactory(group=group, date=dt.date(2026, 10, 29), number=1, status="planned", topic="")
    Homework.objects.create(lesson=with_homework, text="№ 125")
    outside = LessonFactory(group=group, date=dt.date(2026, 11, 5), number=1, status="planned", topic="")
    sixth = LessonFactory(group=other_group, date=dt.date(2026, 10, 27), number=2, status="planned", topic="")
    return {
        "planned": planned,
        "with_marks": with_marks,
        "with_homework": with_homework,
        "outside": outside,
        "sixth": sixth,
    }


def _status(lesson: Lesson) -> tuple[str, str]:
    lesson.refresh_from_db()
    return lesson.status, lesson.status_note


def test_a_vacation_cancels_the_planned_lessons_and_keeps_those_with_entries(client, school, year, deputy, lessons):
    client.force_login(deputy)
    response = client.post(
        f"/office/year/{year.pk}/holidays/",
        {"name": "Осенние каникулы", "kind": "vacation", "start": "2026-10-26", "end": "2026-11-03"},
    )
    assert response.status_code == 302
    assert _status(lessons["planned"]) == ("cancelled", "Осенние каникулы")
    assert _status(lessons["sixth"]) == ("cancelled", "Осенние каникулы")
    assert _status(lessons["with_marks"]) == ("held", "")  # marks are never lost
    assert _status(lessons["with_homework"]) == ("planned", "")
    assert _status(lessons["outside"]) == ("planned", "")
    holiday = Holiday.objects.get(year=year)
    line = _log(school, "holiday")
    assert line.actor == deputy
    assert sorted(line.data["cancelled"]) == sorted([lessons["planned"].pk, lessons["sixth"].pk])
    assert sorted(line.data["kept"]) == sorted([lessons["with_marks"].pk, lessons["with_homework"].pk])
    page = client.get(f"/office/year/{year.pk}/").content.decode()
    assert f'data-testid="cancelled-{holiday.pk}">2 ' in page


def test_a_quarantine_of_some_grades_cancels_only_their_lessons(client, year, deputy, lessons):
    client.force_login(deputy)
    response = client.post(
        f"/office/year/{year.pk}/holidays/",
        {
            "name": "Карантин",
            "kind": "quarantine",
            "start": "2026-10-26",
            "end": "2026-10-30",
            "grade_from": 6,
            "grade_to": 6,
        },
    )
    assert response.status_code == 302
    assert _status(lessons["sixth"]) == ("cancelled", "Карантин")
    assert _status(lessons["planned"]) == ("planned", "")


def test_removing_a_holiday_restores_exactly_the_lessons_it_cancelled(
    client, school, year, deputy, lessons, make_lesson
):
    client.force_login(deputy)
    client.post(
        f"/office/year/{year.pk}/holidays/",
        {"name": "Осенние каникулы", "kind": "vacation", "start": "2026-10-26", "end": "2026-11-03"},
    )
    cancelled_by_hand = make_lesson(
        date=dt.date(2026, 10, 30), number=3, status="cancelled", topic="", status_note="Болезнь учителя"
    )
    holiday = Holiday.objects.get()
    response = client.post(f"/office/year/holiday/{holiday.pk}/remove/")
    assert response.status_code == 302
    assert not Holiday.objects.exists()
    assert _status(lessons["planned"]) == ("planned", "")
    assert _status(lessons["sixth"]) == ("planned", "")
    assert _status(cancelled_by_hand) == ("cancelled", "Болезнь учителя")
    assert _log(school, "holiday").action == "delete"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"start": "2026-11-03", "end": "2026-10-26"}, "end before start"),
        ({"start": "2027-05-25", "end": "2027-06-10"}, "outside the year"),
        ({"name": "  "}, "no name"),
        ({"grade_from": 9, "grade_to": 5}, "grades upside down"),
    ],
)
def test_a_bad_holiday_gives_a_form_error_and_cancels_nothing(client, year, deputy, lessons, data, why):
    client.force_login(deputy)
    post = {"name": "Каникулы", "kind": "vacation", "start": "2026-10-26", "end": "2026-11-03"} | data
    response = client.post(f"/office/year/{year.pk}/holidays/", post)
    assert response.status_code == 400, why
    assert not Holiday.objects.exists()
    assert _status(lessons["planned"]) == ("planned", "")


def test_the_same_holiday_twice_is_refused(client, year, deputy):
    client.force_login(deputy)
    post = {"name": "Каникулы", "kind": "vacation", "start": "2026-10-26", "end": "2026-11-03"}
    assert client.post(f"/office/year/{year.pk}/holidays/", post).status_code == 302
    assert client.post(f"/office/year/{year.pk}/holidays/", post | {"start": "2026-11-01"}).status_code == 400
    assert Holiday.objects.count() == 1
