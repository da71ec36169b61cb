"""The services of the class teacher's desk (accounts/personal.py): personal data with its history,
the consent registry (R16), one-time passwords (R17) and the forced password change after them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import PersonalDataChange
from accounts.personal import (
    PASSWORD_ALPHABET,
    consent_record,
    credentials_issue,
    one_time_password,
    parent_contacts_update,
    student_data_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


def test_an_unchanged_form_records_nothing(class_teacher, student):
    assert student_data_update(actor=class_teacher, student=student, data={"last_name": student.last_name}) == []
    assert not PersonalDataChange.objects.exists()


@pytest.mark.parametrize("persona", ["teacher", "parent", "outsider", "student_user"])
def test_nobody_else_changes_a_students_data(request, persona, student):
    with pytest.raises(PermissionDenied):
        student_data_update(actor=request.getfixturevalue(persona), student=student, data={"address": "X"})


def test_the_deputy_changes_a_parents_phone_with_history(deputy, parent):
    changes = parent_contacts_update(actor=deputy, parent=parent, data={"phone": "+7 900 000-00-00"})
    assert [(c.field, c.old, c.new, c.actor) for c in changes] == [("phone", "", "+7 900 000-00-00", deputy)]


def test_a_parent_of_another_class_is_not_the_class_teachers(class_teacher, other_student):
    from accounts.services import parent_link
    from accounts.tests.factories import UserFactory

    mother = UserFactory()
    parent_link(actor=None, parent=mother, student=other_student)
    with pytest.raises(PermissionDenied):
        parent_contacts_update(actor=class_teacher, parent=mother, data={"phone": "1"})


def test_a_consent_record_has_exactly_one_date(class_teacher, student):
    with pytest.raises(ValidationError):
        consent_record(actor=class_teacher, student=student, given_by="Мать")
    with pytest.raises(ValidationError):
        consent_record(
            actor=class_teacher,
            student=student,
            given_by="Мать",
            given_on=dt.date(2026, 9, 1),
            refused_on=dt.date(2026, 9, 2),
        )
    record = consent_record(actor=class_teacher, student=student, given_by="Мать", given_on=dt.date(2026, 9, 1))
    assert record.recorded_by == class_teacher


def test_one_time_passwords_are_random_and_readable():
    passwords = {one_time_password() for _i in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 10 and set(p) <= set(PASSWORD_ALPHABET) for p in passwords)


def test_passwords_only_for_the_actors_class(class_teacher, other_class_parent):
    with pytest.raises(PermissionDenied):
        credentials_issue(actor=class_teacher, users=[other_class_parent])


def test_no_password_for_a_staff_account_even_when_a_parent(class_teacher, student, teacher):
    from accounts.services import parent_link

    parent_link(actor=None, parent=teacher, student=student)
    with pytest.raises(PermissionDenied):
        credentials_issue(actor=class_teacher, users=[teacher])


def test_after_a_slip_the_login_leads_to_the_password_change(client, class_teacher, parent):
    [(_user, password)] = credentials_issue(actor=class_teacher, users=[parent])
    response = client.post(reverse("login"), {"username": "parent", "password": password})
    assert response.status_code == 302 and response.url == reverse("password_change")
    # Until it is changed, every page leads back there (R17); htmx requests are redirected too.
    for url in ("/", "/diary/", "/messages/"):
        assert client.get(url).url == reverse("password_change")
    assert client.post("/diary/acknowledge/", headers={"HX-Request": "true"})["HX-Redirect"] == reverse(
        "password_change"
    )
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "Kv9-ueT3-zq", "new_password2": "Kv9-ueT3-zq"},
    )
    assert response.status_code == 302
    parent.refresh_from_db()
    assert not parent.must_change_password
    assert client.get("/diary/").status_code == 200
    client.logout()
    response = client.post(reverse("login"), {"username": "parent", "password": "Kv9-ueT3-zq"})
    assert response.url == reverse("home")


@pytest.fixture
def other_class_parent(other_student):
    from accounts.services import parent_link
    from accounts.tests.factories import UserFactory

    mother = UserFactory(username="other_mother")
    parent_link(actor=None, parent=mother, student=other_student)
    return mother
