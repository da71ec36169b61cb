"""Movement of students by order (issue 7 point 5, R27): admit, transfer, leave, admit again.

The journal lists a student from the day of admission and not after the last day; every movement keeps
its order (number and date) and the history stays. Only the school's office (secretary, deputy,
director, administrator) gets in; everybody else gets 404.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from grading.models import Mark
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import Enrollment, EnrollmentReason, Student
from journal.selectors import members_on
from journal.tests.factories import LessonFactory, StudentFactory
from office.models import ChangeRecord

pytestmark = pytest.mark.django_db

ADMIT = {
    "last_name": "Новикова",
    "first_name": "Ольга",
    "patronymic": "Андреевна",
    "birth_date": "2015-03-14",
    "sex": "f",
    "personal_file_number": "Н-77",
    "start": "2026-11-16",
    "order_number": "45-у",
    "order_date": "2026-11-13",
}


def _admit(client, school, year, school_class, **changes):
    data = {**ADMIT, "school": school.pk, "year": year.pk, "school_class": school_class.pk, **changes}
    return client.post(reverse("office_student_admit"), data)


def test_the_secretary_admits_a_student_who_appears_in_the_journal_from_the_first_day(
    client, school, year, school_class, group, secretary
):
    """R27: admission by an order; the class's whole-class groups list the student from that day."""
    client.force_login(secretary)
    response = _admit(client, school, year, school_class)
    assert response.status_code == 302
    student = Student.objects.get(personal_file_number="Н-77")
    enrollment = student.enrollments.get()
    assert (enrollment.school_class, enrollment.start, enrollment.end) == (school_class, dt.date(2026, 11, 16), None)
    assert enrollment.reason == EnrollmentReason.ADMITTED
    assert enrollment.order_number.startswith("45-у") and "13.11.2026" in enrollment.order_number
    assert student not in members_on(group, dt.date(2026, 11, 13))
    assert student in members_on(group, dt.date(2026, 11, 16))
    line = ChangeRecord.objects.get(action="admit")
    assert line.actor == secretary and line.data["order_number"] == "45-у" and line.data["order_date"] == "2026-11-13"
    page = client.get(f"{reverse('office_students')}?school={school.pk}&year={year.pk}")
    assert "Новикова Ольга Андреевна" in page.content.decode()


def test_a_taken_personal_file_number_is_refused_and_nothing_is_created(
    client, school, year, school_class, student, secretary
):
    client.force_login(secretary)
    students = Student.objects.count()
    response = _admit(client, school, year, school_class, personal_file_number=student.personal_file_number)
    assert response.status_code == 200
    assert student.full_name in response.content.decode()  # whose number it is
    assert Student.objects.count() == students
    assert not ChangeRecord.objects.exists()


def test_an_admission_without_an_order_number_is_refused(client, school, year, school_class, secretary):
    client.force_login(secretary)
    response = _admit(client, school, year, school_class, order_number="  ")
    assert response.status_code == 200
    assert 'class="error small"' in response.content.decode()
    assert not Student.objects.filter(personal_file_number="Н-77").exists()


def test_a_first_day_outside_the_classes_year_is_refused(client, school, year, school_class, secretary):
    client.force_login(secretary)
    response = _admit(client, school, year, school_class, start="2027-07-01")
    assert response.status_code == 200
    assert not Enrollment.objects.filter(student__personal_file_number="Н-77").exists()


def test_a_transfer_moves_the_student_and_the_marks_of_the_old_class_stay(
    client, school, year, group, other_group, parallel_class, student, teacher, secretary
):
    """R27: the old enrollment ends the day before; the journal of the old class keeps the marks."""
    lesson = LessonFactory(group=group, date=dt.date(2026, 11, 10), number=2, teacher=teacher)
    with time_machine.travel(dt.datetime(2026, 11, 10, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow")), tick=False):
        column = mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school))
        mark_set(actor=teacher, column=column, student=student, text="5")
    client.force_login(secretary)
    data = {"to_class": parallel_class.pk, "on": "2026-11-23", "order_number": "50-у", "order_date": "2026-11-20"}
    response = client.post(reverse("office_student_transfer", args=[student.pk]), data)
    assert response.status_code == 302
    old, new = student.enrollments.order_by("start")
    assert (old.end, old.end_reason) == (dt.date(2026, 11, 22), EnrollmentReason.TRANSFERRED)
    assert (new.school_class, new.start) == (parallel_class, dt.date(2026, 11, 23))
    assert student in members_on(group, dt.date(2026, 11, 22))
    assert student not in members_on(group, dt.date(2026, 11, 23))
    assert student in members_on(other_group, dt.date(2026, 11, 23))
    assert Mark.objects.filter(student=student, column__lesson=lesson, value=5).exists()
    card = client.get(reverse("office_student", args=[student.pk])).content.decode()
    assert parallel_class.name in card and "50-у" in card


def test_leaving_ends_the_enrollment_after_the_last_day_and_the_history_keeps_the_reason(
    client, school, year, group, student, secretary
):
    client.force_login(secretary)
    data = {
        "last_day": "2026-11-20",
        "reason": "переезд в другой город",
        "order_number": "51-у",
        "order_date": "2026-11-20",
    }
    response = client.post(reverse("office_student_leave", args=[student.pk]), data)
    assert response.status_code == 302
    enrollment = student.enrollments.get()
    assert (enrollment.end, enrollment.end_reason) == (dt.date(2026, 11, 20), EnrollmentReason.LEFT)
    assert "51-у" in enrollment.end_order_number
    assert student in members_on(group, dt.date(2026, 11, 20))
    assert student not in members_on(group, dt.date(2026, 11, 23))
    card = client.get(reverse("office_student", args=[student.pk])).content.decode()
    assert "переезд в другой город" in card
    page = client.get(f"{reverse('office_students')}?school={school.pk}&year={year.pk}").content.decode()
    assert student.full_name in page  # still on the list of the class, as left


def test_leaving_without_a_reason_changes_nothing(client, student, secretary):
    client.force_login(secretary)
    data = {"last_day": "2026-11-20", "reason": "", "order_number": "51-у", "order_date": "2026-11-20"}
    response = client.post(reverse("office_student_leave", args=[student.pk]), data)
    assert response.status_code == 200
    assert student.enrollments.get().end is None


def test_a_student_who_left_is_admitted_again_and_both_stays_are_kept(
    client, school, year, school_class, group, student, secretary
):
    client.force_login(secretary)
    leave = {"last_day": "2026-10-01", "reason": "переезд", "order_number": "40-у", "order_date": "2026-10-01"}
    client.post(reverse("office_student_leave", args=[student.pk]), leave)
    back = {"school_class": school_class.pk, "start": "2026-11-16", "order_number": "52-у", "order_date": "2026-11-16"}
    response = client.post(reverse("office_student_readmit", args=[student.pk]), back)
    assert response.status_code == 302
    first, second = student.enrollments.order_by("start")
    assert first.end == dt.date(2026, 10, 1) and second.start == dt.date(2026, 11, 16) and second.end is None
    assert student not in members_on(group, dt.date(2026, 10, 20))
    assert student in members_on(group, dt.date(2026, 11, 16))


def test_a_student_still_enrolled_cannot_be_admitted_twice(client, school, year, parallel_class, student, secretary):
    client.force_login(secretary)
    data = {
        "school_class": parallel_class.pk,
        "start": "2026-11-16",
        "order_number": "53-у",
        "order_date": "2026-11-16",
    }
    response = client.post(reverse("office_student_readmit", args=[student.pk]), data)
    assert response.status_code == 200
    assert student.enrollments.count() == 1


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "parent", "outsider"])
def test_others_get_404_on_every_movement_page(client, request, school, year, school_class, student, who):
    if who == "outsider":
        from accounts.services import staff_role_grant
        from accounts.tests.factories import UserFactory

        user = UserFactory(username="outsider")
        staff_role_grant(actor=None, user=user, school=request.getfixturevalue("other_school"), role="secretary")
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    students = Student.objects.count()
    assert client.get(f"{reverse('office_students')}?school={school.pk}").status_code == 404
    assert client.get(reverse("office_student", args=[student.pk])).status_code == 404
    assert _admit(client, school, year, school_class).status_code == 404
    leave = {"last_day": "2026-11-20", "reason": "x", "order_number": "1", "order_date": "2026-11-20"}
    assert client.post(reverse("office_student_leave", args=[student.pk]), leave).status_code == 404
    assert client.get(f"{reverse('office_rollover')}?school={school.pk}").status_code == 404
    assert Student.objects.count() == students
    assert student.enrollments.get().end is None


def test_the_movement_page_takes_a_fixed_number_of_queries(
    client, school, year, school_class, parallel_class, secretary, django_assert_max_num_queries
):
    from journal.services import enrollment_admit

    for n in range(30):
        child = StudentFactory(school=school, last_name=f"Ученик{n:02d}")
        enrollment_admit(
            actor=None, student=child, school_class=school_class if n % 2 else parallel_class, start=year.start
        )
    client.force_login(secretary)
    with django_assert_max_num_queries(16):
        response = client.get(f"{reverse('office_students')}?school={school.pk}&year={year.pk}")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="student-') == 30
