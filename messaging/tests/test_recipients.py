"""Who may write to whom (accounts.permissions.message_recipients_for, DESIGN.md §4 "messages")."""

from __future__ import annotations

import pytest

from accounts.permissions import message_recipients_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


def _names(user):
    return set(message_recipients_for(user).values_list("username", flat=True))


def test_a_parent_writes_to_the_childs_teachers_class_teacher_and_the_administration(
    parent, teacher, class_teacher, director, deputy, administrator, secretary, other_teacher, outsider_teacher
):
    assert _names(parent) == {"teacher", "class_teacher", "director", "deputy", "admin"}


def test_a_student_writes_only_to_own_teachers_and_class_teacher(
    student_user, teacher, class_teacher, director, other_teacher, parent
):
    assert _names(student_user) == {"teacher", "class_teacher"}


def test_a_teacher_writes_to_the_staff_and_the_families_of_own_groups(
    teacher, class_teacher, director, parent, student_user, other_parent, other_teacher, outsider, outsider_teacher
):
    names = _names(teacher)
    assert {"class_teacher", "director", "other_teacher", "parent", "student"} <= names
    assert not names & {"other_parent", "outsider", "outsider_teacher", "teacher"}


def test_the_class_teacher_writes_to_the_families_of_the_class(class_teacher, parent, student_user, other_parent):
    names = _names(class_teacher)
    assert {"parent", "student"} <= names and "other_parent" not in names


def test_the_director_writes_to_the_whole_school_and_nobody_of_another(
    director, parent, other_parent, teacher, outsider, outsider_teacher, outsider_student
):
    names = _names(director)
    assert {"parent", "other_parent", "teacher"} <= names
    assert not names & {"outsider", "outsider_teacher"}


def test_an_outsider_reaches_nobody_of_this_school(outsider, outsider_teacher, parent, teacher, director):
    assert _names(outsider) == {"outsider_teacher"}


def test_an_ended_assignment_ends_the_conversation_rights(parent, teacher, group):
    import datetime as dt

    from journal.models import TeachingAssignment

    TeachingAssignment.objects.filter(group=group, teacher=teacher).update(end=dt.date(2026, 11, 1))
    assert "teacher" not in _names(parent)


def test_the_recipients_take_one_query(parent, teacher, class_teacher, director, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(message_recipients_for(parent))
