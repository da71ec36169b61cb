"""Substitutions (R12, issue 7 point 3): the office records them for a group or for every group of an
absent teacher; the substitute's access starts and ends with the dates, with no job to run; lessons not
yet held become the substitute's and go back when the substitution ends early."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.services import staff_role_grant, teacher_assign
from accounts.tests.factories import UserFactory
from journal.models import AssignmentRole, Lesson, TeachingAssignment
from journal.tests.factories import LessonFactory, TimetableSlotFactory
from office import timetable as tt
from office.models import ChangeRecord

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]
URL = "/office/timetable/substitutions/"
WEEK = (dt.date(2026, 11, 23), dt.date(2026, 11, 28))


@pytest.fixture
def colleague(school):
    user = UserFactory(username="colleague", last_name="Соколова", first_name="Вера", patronymic="Ильинична")
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    return user


@pytest.fixture
def lessons(deputy, year, group, teacher):
    """5А math on Monday and Wednesday, lesson 2, generated for November–December."""
    TimetableSlotFactory(group=group, weekday=1, number=2)
    TimetableSlotFactory(group=group, weekday=3, number=2)
    tt.lessons_generate(actor=deputy, year=year, start=dt.date(2026, 11, 16), end=dt.date(2026, 12, 9))
    return {lesson.date: lesson for lesson in Lesson.objects.filter(group=group)}


def _add(client, school, year, **fields):
    data = {"school": school.pk, "year": year.pk, "start": "2026-11-23", "end": "2026-11-28", "note": "Больничный"}
    data.update(fields)
    return client.post(f"{URL}add/", data)


def test_the_deputy_records_a_substitution_and_the_lessons_become_the_substitutes(
    client, deputy, school, year, group, teacher, colleague, lessons
):
    client.force_login(deputy)
    response = _add(client, school, year, group=group.pk, substitute=colleague.pk)
    assert response.status_code == 302
    assignment = TeachingAssignment.objects.get(teacher=colleague)
    assert (assignment.role, assignment.start, assignment.end, assignment.replaces) == (
        AssignmentRole.SUBSTITUTE, *WEEK, teacher,
    )  # fmt: skip
    for day in (dt.date(2026, 11, 23), dt.date(2026, 11, 25)):
        lesson = Lesson.objects.get(pk=lessons[day].pk)
        assert (lesson.teacher, lesson.is_substitution) == (colleague, True)
    outside = Lesson.objects.get(pk=lessons[dt.date(2026, 11, 30)].pk)
    assert (outside.teacher, outside.is_substitution) == (teacher, False)
    assert ChangeRecord.objects.filter(object_type="substitution", actor=deputy).count() == 1
    page = client.get(URL, {"school": school.pk}).content.decode()
    assert colleague.short_name in page and "23.11.2026" in page


def test_a_lesson_already_held_keeps_who_taught_it(deputy, school, group, teacher, colleague, lessons):
    held = Lesson.objects.get(pk=lessons[dt.date(2026, 11, 23)].pk)
    held.topic, held.status = "Дроби", "held"
    held.save()
    tt.substitution_add(actor=deputy, school=school, group=group, substitute=colleague, start=WEEK[0], end=WEEK[1])
    held.refresh_from_db()
    assert (held.teacher, held.is_substitution) == (teacher, False)


def test_the_substitutes_access_follows_the_dates_without_any_job(
    client, deputy, school, group, teacher, colleague, lessons
):  # R12
    tt.substitution_add(actor=deputy, school=school, group=group, substitute=colleague, start=WEEK[0], end=WEEK[1])
    client.force_login(colleague)
    inside = lessons[dt.date(2026, 11, 25)]
    before = lessons[dt.date(2026, 11, 18)]
    after = lessons[dt.date(2026, 11, 30)]
    assert client.get(f"/journal/lessons/{inside.pk}/").status_code == 200
    assert client.get(f"/journal/lessons/{before.pk}/").status_code == 404
    assert client.get(f"/journal/lessons/{after.pk}/").status_code == 404
    # Ended early on Monday: Wednesday's lesson is out of reach at once and goes back to the teacher.
    assignment = TeachingAssignment.objects.get(teacher=colleague)
    tt.substitution_end(actor=deputy, assignment=assignment, last_day=dt.date(2026, 11, 23))
    assert client.get(f"/journal/lessons/{inside.pk}/").status_code == 404
    assert client.get(f"/journal/lessons/{lessons[dt.date(2026, 11, 23)].pk}/").status_code == 200
    inside.refresh_from_db()
    assert (inside.teacher, inside.is_substitution) == (teacher, False)


def test_a_future_substitution_gives_access_to_its_lessons_only(client, deputy, school, group, colleague, lessons):
    tt.substitution_add(
        actor=deputy, school=school, group=group, substitute=colleague, start=dt.date(2026, 12, 7),
        end=dt.date(2026, 12, 9),
    )  # fmt: skip
    client.force_login(colleague)
    assert client.get(f"/journal/lessons/{lessons[dt.date(2026, 12, 7)].pk}/").status_code == 200
    assert client.get(f"/journal/lessons/{lessons[dt.date(2026, 11, 25)].pk}/").status_code == 404


def test_a_substitution_for_every_group_of_an_absent_teacher(
    deputy, school, year, group, other_group, teacher, colleague
):
    teacher_assign(actor=None, group=other_group, teacher=teacher, start=year.start)
    created = tt.substitution_add(
        actor=deputy, school=school, teacher=teacher, substitute=colleague, start=WEEK[0], end=WEEK[1]
    )
    assert {a.group for a in created} == {group, other_group}
    assert all(a.replaces == teacher for a in created)


def test_a_substitute_busy_at_the_same_time_is_refused(deputy, school, year, group, other_group, colleague, lessons):
    teacher_assign(actor=None, group=other_group, teacher=colleague, start=year.start)
    LessonFactory(group=other_group, date=dt.date(2026, 11, 25), number=2, teacher=colleague, status="planned")
    with pytest.raises(ValidationError) as info:
        tt.substitution_add(actor=deputy, school=school, group=group, substitute=colleague, start=WEEK[0], end=WEEK[1])
    assert "25.11.2026" in info.value.messages[0]
    assert not TeachingAssignment.objects.filter(teacher=colleague, role="substitute").exists()


def test_bad_input_is_explained_and_nothing_saved(client, deputy, school, year, group, teacher, colleague, lessons):
    client.force_login(deputy)
    for fields in (
        {"group": group.pk, "substitute": colleague.pk, "start": "2026-11-28", "end": "2026-11-23"},
        {"substitute": colleague.pk},  # neither a group nor a teacher
        {"group": group.pk, "teacher": teacher.pk, "substitute": colleague.pk},  # both
        {"group": group.pk, "substitute": teacher.pk},  # the group's own teacher
        {"group": group.pk, "substitute": colleague.pk, "end": "2027-07-01"},  # outside the year
    ):
        response = _add(client, school, year, **fields)
        assert response.status_code == 200
        assert 'data-testid="form-errors"' in response.content.decode() or "error" in response.content.decode()
    assert not TeachingAssignment.objects.filter(role="substitute").exists()
    assert not Lesson.objects.filter(is_substitution=True).exists()


def test_others_are_refused(client, teacher, parent, outsider, substitution, school, year, group, colleague):
    for user in (teacher, parent, outsider):
        client.force_login(user)
        assert client.get(URL, {"school": school.pk}).status_code == 404
        assert _add(client, school, year, group=group.pk, substitute=colleague.pk).status_code == 404
        assert client.post(f"{URL}{substitution.pk}/end/", {"last_day": ""}).status_code == 404
    assert TeachingAssignment.objects.filter(role="substitute").count() == 1
    substitution.refresh_from_db()
    assert substitution.end == dt.date(2026, 10, 16)


def test_ending_through_the_page_and_cancelling_entirely(client, deputy, school, group, colleague, lessons):
    (assignment,) = tt.substitution_add(
        actor=deputy, school=school, group=group, substitute=colleague, start=WEEK[0], end=WEEK[1]
    )
    client.force_login(deputy)
    assert client.post(f"{URL}{assignment.pk}/end/", {"last_day": "2026-12-31"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.end == WEEK[1]  # later than its end: refused with a message
    client.post(f"{URL}{assignment.pk}/end/", {"last_day": ""})
    assert not TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    assert not Lesson.objects.filter(is_substitution=True).exists()
    assert ChangeRecord.objects.filter(object_type="substitution").count() == 2


@pytest.mark.parametrize("size", [1, 10])
def test_the_list_query_count_does_not_grow(
    client, deputy, school, year, group, colleague, size, django_assert_max_num_queries
):
    for n in range(size):
        day = dt.date(2026, 9, 7) + dt.timedelta(days=7 * n)
        tt.substitution_add(actor=deputy, school=school, group=group, substitute=colleague, start=day, end=day)
    client.force_login(deputy)
    with django_assert_max_num_queries(14):
        assert client.get(URL, {"school": school.pk}).status_code == 200
