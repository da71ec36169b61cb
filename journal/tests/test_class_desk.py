"""The class teacher's desk (issue 4, point 5): ``/class/`` and its pages.

The class teacher of 5А (``class_teacher``) and the school's administration reach the desk of 5А; a
teacher of the class who does not lead it, the class teacher of another class, a parent, a student and
the deputy of another school get 404 for every page and every write (R15).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import Consent, LoginEvent, PersonalDataChange, User
from accounts.services import class_teacher_set, parent_link, student_login_set, teacher_assign
from accounts.tests.factories import UserFactory
from attendance.models import Absence, AbsenceKind, AbsenceReason
from attendance.tests.factories import AbsenceFactory
from grading.models import EventObject, JournalEvent
from journal.services import enrollment_admit
from journal.tests.factories import StudentFactory, TeachingGroupFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]  # today: Monday 23.11.2026

WEEK = dt.date(2026, 11, 16)  # the Monday of the week before "today"


def _urls(school_class, student, parent, absence_id=1):
    pk = school_class.pk
    gets = [
        reverse("class_detail", args=[pk]),
        reverse("class_student", args=[pk, student.pk]),
        reverse("class_parent", args=[pk, parent.pk]),
        reverse("class_consent", args=[pk]),
        reverse("class_attendance", args=[pk]) + f"?week={WEEK}",
        reverse("class_slips", args=[pk]),
    ]
    posts = [
        reverse("class_student", args=[pk, student.pk]),
        reverse("class_parent", args=[pk, parent.pk]),
        reverse("class_consent", args=[pk]),
        reverse("class_absence_reason", args=[pk, absence_id]),
        reverse("class_absence_range", args=[pk]),
        reverse("class_slips", args=[pk]),
        reverse("class_password_reset", args=[pk, parent.pk]),
    ]
    return gets, posts


@pytest.fixture
def absence(make_lesson, student):
    return AbsenceFactory(lesson=make_lesson(date=WEEK, number=2), student=student)


@pytest.fixture
def other_class_teacher(school, parallel_class):
    from accounts.services import staff_role_grant

    user = UserFactory(username="other_ct")
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    class_teacher_set(actor=None, school_class=parallel_class, teacher=user)
    return user


# --- who reaches the desk ---------------------------------------------------------------------------------


def test_the_class_teacher_of_one_class_goes_straight_to_its_desk(client, class_teacher, school_class, student):
    client.force_login(class_teacher)
    response = client.get(reverse("class_desk"))
    assert response.status_code == 302
    assert response.url == reverse("class_detail", args=[school_class.pk])


def test_the_deputy_sees_every_class_of_the_school(client, deputy, school_class, parallel_class, other_class):
    client.force_login(deputy)
    response = client.get(reverse("class_desk"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["classes"]] == [school_class.pk, parallel_class.pk]


@pytest.mark.parametrize("persona", ["teacher", "parent", "student_user"])
def test_who_leads_nothing_gets_a_friendly_page(client, request, persona, school_class):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("class_desk"))
    assert response.status_code == 200
    assert response.context["classes"] == []
    assert 'data-testid="no-class"' in response.content.decode()


def test_the_desk_shows_students_parents_consent_journals_and_subgroups(
    client, class_teacher, school_class, student, parent, group, subject
):
    parent.phone = "+7 900 123-45-67"
    parent.save()
    Consent.objects.create(student=student, given_by="Иванова М. П.", given_on=dt.date(2026, 8, 28))
    subgroup = TeachingGroupFactory(
        year=school_class.year,
        subject=subject,
        kind="subgroup",
        name="5А, информатика, группа 1",
        classes=[school_class],
    )
    from journal.tests.factories import GroupMembershipFactory

    GroupMembershipFactory(group=subgroup, student=student, start=school_class.year.start)
    client.force_login(class_teacher)
    response = client.get(reverse("class_detail", args=[school_class.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Иванов Пётр Сергеевич" in html
    assert "+7 900 123-45-67" in html
    assert reverse("group_grid", args=[group.pk]) in html
    assert "5А, информатика, группа 1" in html
    assert [row.student for row in response.context["desk"].rows] == [student]


@pytest.mark.parametrize("persona", ["teacher", "parent", "student_user", "outsider", "other_class_teacher"])
def test_outsiders_get_404_for_every_page_and_every_write(
    client, request, persona, school_class, student, parent, absence
):
    gets, posts = _urls(school_class, student, parent, absence.pk)
    client.force_login(request.getfixturevalue(persona))
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"reason": "illness", "users": [parent.pk]}).status_code == 404, url
    absence.refresh_from_db()
    assert absence.reason == AbsenceReason.UNKNOWN
    assert not PersonalDataChange.objects.exists()


def test_the_secretary_keeps_data_but_neither_reasons_nor_passwords(
    client, secretary, school_class, student, parent, absence
):
    client.force_login(secretary)
    assert client.get(reverse("class_detail", args=[school_class.pk])).status_code == 200
    url = reverse("class_absence_reason", args=[school_class.pk, absence.pk])
    assert client.post(url, {"reason": "illness"}).status_code == 403
    assert client.get(reverse("class_slips", args=[school_class.pk])).status_code == 403
    assert client.post(reverse("class_password_reset", args=[school_class.pk, parent.pk])).status_code == 403


# --- personal data and contacts ----------------------------------------------------------------------------


def _student_form(student, **changes):
    data = {
        "last_name": student.last_name,
        "first_name": student.first_name,
        "patronymic": student.patronymic,
        "birth_date": "",
        "sex": student.sex,
        "personal_file_number": student.personal_file_number,
        "medical_group": student.medical_group,
        "address": student.address,
    }
    return {**data, **changes}


def test_a_student_edit_records_who_when_old_and_new(client, class_teacher, school_class, student):
    old_birth_date = f"{student.birth_date:%d.%m.%Y}" if student.birth_date else ""
    client.force_login(class_teacher)
    url = reverse("class_student", args=[school_class.pk, student.pk])
    response = client.post(url, _student_form(student, birth_date="2015-03-04", medical_group="preparatory"))
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.birth_date == dt.date(2015, 3, 4)
    changes = {c.field: c for c in PersonalDataChange.objects.filter(object_type="student", object_id=student.pk)}
    assert set(changes) == {"birth_date", "medical_group"}
    assert (changes["birth_date"].old, changes["birth_date"].new) == (old_birth_date, "04.03.2015")
    assert (changes["medical_group"].old, changes["medical_group"].new) == ("main", "preparatory")
    assert changes["birth_date"].actor == class_teacher and changes["birth_date"].at is not None
    page = client.get(url).content.decode()
    assert "04.03.2015" in page and "preparatory" in page


def test_a_personal_file_number_of_another_student_is_refused(
    client, class_teacher, school_class, student, other_student
):
    client.force_login(class_teacher)
    url = reverse("class_student", args=[school_class.pk, student.pk])
    response = client.post(url, _student_form(student, personal_file_number=other_student.personal_file_number))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not PersonalDataChange.objects.exists()


def test_the_class_teacher_cannot_edit_a_student_of_another_class(client, class_teacher, school_class, other_student):
    client.force_login(class_teacher)
    url = reverse("class_student", args=[school_class.pk, other_student.pk])
    assert client.post(url, _student_form(other_student, last_name="X")).status_code == 404


def test_a_parent_contact_edit_is_recorded(client, class_teacher, school_class, parent):
    client.force_login(class_teacher)
    url = reverse("class_parent", args=[school_class.pk, parent.pk])
    data = {"last_name": parent.last_name, "first_name": parent.first_name, "patronymic": parent.patronymic}
    response = client.post(url, {**data, "phone": "+7 911 000-00-01", "email": "mama@example.org"})
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.phone == "+7 911 000-00-01"
    fields = set(
        PersonalDataChange.objects.filter(object_type="user", object_id=parent.pk).values_list("field", flat=True)
    )
    assert fields == {"phone", "email"}


def test_a_parent_who_is_staff_is_not_edited_from_the_desk(client, class_teacher, school_class, student, teacher):
    parent_link(actor=None, parent=teacher, student=student, relation="father")
    client.force_login(class_teacher)
    url = reverse("class_parent", args=[school_class.pk, teacher.pk])
    response = client.post(url, {"last_name": "Другая", "phone": "1"})
    assert response.status_code == 200
    teacher.refresh_from_db()
    assert teacher.last_name == "Петрова"


# --- the consent registry (R16, R19) ------------------------------------------------------------------------


def test_consent_and_refusal_are_recorded_with_who(client, class_teacher, school_class, student):
    client.force_login(class_teacher)
    url = reverse("class_consent", args=[school_class.pk])
    ok = client.post(url, {"student": student.pk, "given_by": "Иванова М. П.", "kind": "consent", "on": "2026-08-28"})
    assert ok.status_code == 302
    refused = client.post(
        url,
        {
            "student": student.pk,
            "given_by": "Иванов С. П.",
            "kind": "refusal",
            "on": "2026-09-02",
            "electronic_access_refused": "on",
            "note": "Заявление № 5",
        },
    )
    assert refused.status_code == 302
    records = list(Consent.objects.filter(student=student).order_by("pk"))
    assert [(r.given_on, r.refused_on, r.electronic_access_refused, r.recorded_by) for r in records] == [
        (dt.date(2026, 8, 28), None, False, class_teacher),
        (None, dt.date(2026, 9, 2), True, class_teacher),
    ]
    assert "Заявление № 5" in client.get(url).content.decode()
    # The desk offers that family's paper extract of the diary (R19).
    desk = client.get(reverse("class_detail", args=[school_class.pk])).content.decode()
    extract = f"/diary/classes/{school_class.pk}/extract/?student={student.pk}"
    assert extract in desk and client.get(extract)["Content-Type"] == "application/pdf"


def test_consent_for_a_student_of_another_class_is_refused(client, class_teacher, school_class, other_student):
    client.force_login(class_teacher)
    url = reverse("class_consent", args=[school_class.pk])
    response = client.post(url, {"student": other_student.pk, "given_by": "X", "kind": "consent", "on": "2026-08-28"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Consent.objects.exists()


# --- attendance (R8) ----------------------------------------------------------------------------------------


def test_the_week_shows_the_marked_absences(client, class_teacher, school_class, student, make_lesson):
    AbsenceFactory(lesson=make_lesson(date=WEEK, number=1), student=student, reason=AbsenceReason.ILLNESS)
    AbsenceFactory(lesson=make_lesson(date=WEEK + dt.timedelta(days=1), number=3), student=student, kind="late")
    client.force_login(class_teacher)
    response = client.get(reverse("class_attendance", args=[school_class.pk]) + f"?week={WEEK + dt.timedelta(days=2)}")
    assert response.status_code == 200
    week = response.context["week"]
    assert week.monday == WEEK
    assert [[a.code for a in cell] for cell in week.rows[0].cells][:2] == [["Б"], ["О"]]
    assert "1Б" in response.content.decode() and "3О" in response.content.decode()


def test_one_reason_is_recorded_with_history(client, class_teacher, school_class, absence):
    client.force_login(class_teacher)
    url = reverse("class_absence_reason", args=[school_class.pk, absence.pk])
    response = client.post(url, {"reason": "excused", "note": "Заявление родителей"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="absence-' in response.content.decode()
    absence.refresh_from_db()
    assert (absence.reason, absence.note, absence.reason_set_by) == ("excused", "Заявление родителей", class_teacher)
    assert JournalEvent.objects.filter(object_type=EventObject.ABSENCE, object_id=absence.pk).count() == 1


def test_a_range_sets_illness_on_every_absence_inside_and_nothing_outside(
    client, class_teacher, school_class, student, make_lesson
):
    inside = [
        AbsenceFactory(lesson=make_lesson(date=WEEK + dt.timedelta(days=d), number=n), student=student)
        for d in (0, 1, 2)
        for n in (1, 2)
    ]
    late = AbsenceFactory(lesson=make_lesson(date=WEEK, number=4), student=student, kind="late")
    before = AbsenceFactory(lesson=make_lesson(date=WEEK - dt.timedelta(days=1), number=1), student=student)
    after = AbsenceFactory(lesson=make_lesson(date=WEEK + dt.timedelta(days=3), number=1), student=student)
    client.force_login(class_teacher)
    response = client.post(
        reverse("class_absence_range", args=[school_class.pk]),
        {
            "student": student.pk,
            "start": WEEK,
            "end": WEEK + dt.timedelta(days=2),
            "reason": "illness",
            "note": "Справка № 12",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "6" in " ".join(str(m) for m in response.context["messages"])
    for a in inside:
        a.refresh_from_db()
        assert (a.reason, a.note, a.code) == ("illness", "Справка № 12", "Б")
    for a in (before, after):
        a.refresh_from_db()
        assert a.reason == AbsenceReason.UNKNOWN
    late.refresh_from_db()
    assert (late.kind, late.reason) == (AbsenceKind.LATE, AbsenceReason.UNKNOWN)
    events = JournalEvent.objects.filter(object_type=EventObject.ABSENCE, actor=class_teacher)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(a.pk for a in inside)
    assert set(events.values_list("reason", flat=True)) == {"Справка № 12"}


def test_a_range_ending_before_it_starts_changes_nothing(client, class_teacher, school_class, student, absence):
    client.force_login(class_teacher)
    client.post(
        reverse("class_absence_range", args=[school_class.pk]),
        {"student": student.pk, "start": WEEK, "end": WEEK - dt.timedelta(days=1), "reason": "illness"},
    )
    absence.refresh_from_db()
    assert absence.reason == AbsenceReason.UNKNOWN


def test_the_director_reads_the_attendance_but_sets_no_reason(client, director, school_class, absence):
    client.force_login(director)
    assert client.get(reverse("class_attendance", args=[school_class.pk])).status_code == 200
    url = reverse("class_absence_reason", args=[school_class.pk, absence.pk])
    assert client.post(url, {"reason": "illness"}).status_code == 403


# --- credential slips (R17) ---------------------------------------------------------------------------------


def _password_of(response, user: User) -> str:
    for slip_user, password, _person in response.context["slips"]:
        if slip_user.pk == user.pk:
            return password
    raise AssertionError("no slip")


def test_slips_give_working_one_time_passwords(client, class_teacher, school_class, parent, student_user):
    client.force_login(class_teacher)
    response = client.post(reverse("class_slips", args=[school_class.pk]), {"users": [parent.pk, student_user.pk]})
    assert response.status_code == 200
    assert len(response.context["slips"]) == 2
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    passwords = {u.username: _password_of(response, u) for u in (parent, student_user)}
    for user in (parent, student_user):
        user.refresh_from_db()
        assert user.must_change_password
    assert passwords["parent"] in response.content.decode()
    client.logout()
    assert client.login(request=HttpRequest(), username="parent", password=passwords["parent"])
    assert client.login(request=HttpRequest(), username="student", password=passwords["student"])
    events = PersonalDataChange.objects.filter(field="password", actor=class_teacher)
    assert set(events.values_list("object_id", flat=True)) == {parent.pk, student_user.pk}
    assert not events.exclude(new="").exists()  # the password itself is never stored


def test_a_reset_renews_one_password(client, class_teacher, school_class, parent):
    client.force_login(class_teacher)
    response = client.post(reverse("class_password_reset", args=[school_class.pk, parent.pk]))
    assert response.status_code == 200
    assert client.login(request=HttpRequest(), username="parent", password=_password_of(response, parent))


def test_slips_only_for_the_families_of_the_class(client, class_teacher, school_class, student, other_student, teacher):
    stranger = UserFactory(username="stranger")
    parent_link(actor=None, parent=stranger, student=other_student)
    parent_link(actor=None, parent=teacher, student=student)  # a staff member who is also a parent
    client.force_login(class_teacher)
    for user in (stranger, teacher):
        response = client.post(reverse("class_slips", args=[school_class.pk]), {"users": [user.pk]})
        assert response.status_code == 200 and response.context["form"].errors
        assert client.post(reverse("class_password_reset", args=[school_class.pk, user.pk])).status_code == 404
        user.refresh_from_db()
        assert not user.has_usable_password()


def test_the_administrator_issues_slips_the_deputy_does_not(client, administrator, deputy, school_class, parent):
    client.force_login(deputy)
    assert client.get(reverse("class_slips", args=[school_class.pk])).status_code == 403
    client.force_login(administrator)
    response = client.post(reverse("class_slips", args=[school_class.pk]), {"users": [parent.pk]})
    assert response.status_code == 200 and len(response.context["slips"]) == 1


# --- who never logged in ------------------------------------------------------------------------------------


def test_never_logged_in_lists_students_and_parents_without_a_login(
    client, class_teacher, school_class, student, parent, student_user
):
    LoginEvent.objects.create(user=student_user)
    client.force_login(class_teacher)
    desk = client.get(reverse("class_detail", args=[school_class.pk])).context["desk"]
    assert [u for u, _role in desk.never_logged_in] == [parent]


# --- query counts -------------------------------------------------------------------------------------------


def _grow_class(school_class, n: int, lesson=None) -> None:
    for _i in range(n):
        child = StudentFactory(school=school_class.year.school)
        enrollment_admit(actor=None, student=child, school_class=school_class, start=school_class.year.start)
        mother = UserFactory()
        parent_link(actor=None, parent=mother, student=child)
        login = UserFactory()
        student_login_set(actor=None, student=child, user=login)
        Consent.objects.create(student=child, given_by="Мать", given_on=dt.date(2026, 8, 28))
        if lesson is not None:
            AbsenceFactory(lesson=lesson, student=child)


@pytest.mark.parametrize("size", [2, 12])
def test_the_desk_and_the_week_cost_the_same_whatever_the_class_size(
    client, class_teacher, school_class, group, make_lesson, django_assert_max_num_queries, size
):
    _grow_class(school_class, size, lesson=make_lesson(date=WEEK, number=1))
    client.force_login(class_teacher)
    with django_assert_max_num_queries(18):
        assert client.get(reverse("class_detail", args=[school_class.pk])).status_code == 200
    with django_assert_max_num_queries(16):
        response = client.get(reverse("class_attendance", args=[school_class.pk]) + f"?week={WEEK}")
    assert len(response.context["week"].absences) == size
    with django_assert_max_num_queries(16):
        assert client.get(reverse("class_slips", args=[school_class.pk])).status_code == 200


def test_a_teacher_of_the_class_who_leads_another_class_gets_404(client, school, school_class, student, group, parent):
    from accounts.services import staff_role_grant
    from journal.tests.factories import SchoolClassFactory

    user = UserFactory(username="math2")
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    teacher_assign(actor=None, group=group, teacher=user, start=school_class.year.start)
    class_teacher_set(
        actor=None, school_class=SchoolClassFactory(year=school_class.year, grade=7, letter="В"), teacher=user
    )
    client.force_login(user)
    gets, _posts = _urls(school_class, student, parent)
    for url in gets:
        assert client.get(url).status_code == 404, url
    assert Absence.objects.count() == 0
