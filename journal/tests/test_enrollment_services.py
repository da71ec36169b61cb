"""Enrollment and the group memberships that follow it (journal/services.py; DESIGN.md §3, R27).

Refusals are ValidationErrors whose gettext messages are Russian (LANGUAGE_CODE is ``ru``; `make test`
compiles locale/ru first) and name the case: who, which class, which date.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError

from journal.models import Enrollment, EnrollmentReason, GroupKind, GroupMembership
from journal.selectors import members_on
from journal.services import (
    enrollment_admit,
    enrollment_end,
    enrollment_transfer,
    membership_add,
)
from journal.tests.factories import (
    YEAR_END,
    YEAR_START,
    GroupMembershipFactory,
    StudentFactory,
    SubjectFactory,
    TeachingGroupFactory,
)

pytestmark = pytest.mark.django_db

OCT_31, NOV_1 = dt.date(2026, 10, 31), dt.date(2026, 11, 1)


def message(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    """The refusal's text, which must be Russian (DESIGN.md §6: errors speak Russian)."""
    text = " ".join(exc.value.messages)
    assert re.search("[А-Яа-яЁё]{3}", text), f"not Russian: {text!r} (is the catalogue compiled? make messages)"
    return text


@pytest.fixture
def newcomer(school):
    return StudentFactory(school=school, last_name="Новиков", first_name="Илья", sex="m")


@pytest.fixture
def russian(school_class):
    return TeachingGroupFactory(
        year=school_class.year,
        subject=SubjectFactory(school=school_class.year.school, name="Русский язык"),
        name="5А, русский язык",
        classes=[school_class],
    )


@pytest.fixture
def english_1(school_class):
    """Subgroup 1 of 5А English: formed explicitly, never by enrollment (R13)."""
    return TeachingGroupFactory(
        year=school_class.year,
        subject=SubjectFactory(school=school_class.year.school, name="Английский язык"),
        kind=GroupKind.SUBGROUP,
        subgroup_number=1,
        name="5А, английский, группа 1",
        classes=[school_class],
    )


# --- admission ------------------------------------------------------------------------------------------------


def test_admission_makes_the_student_a_member_of_every_whole_class_group(
    newcomer, school_class, group, russian, english_1
):
    enrollment = enrollment_admit(
        actor=None, student=newcomer, school_class=school_class, start=dt.date(2026, 9, 14), order_number="12-у"
    )
    assert (enrollment.start, enrollment.end, enrollment.reason) == (dt.date(2026, 9, 14), None, "admitted")
    memberships = GroupMembership.objects.filter(student=newcomer)
    assert {(m.group_id, m.start, m.end) for m in memberships} == {
        (group.pk, dt.date(2026, 9, 14), None),
        (russian.pk, dt.date(2026, 9, 14), None),
    }
    assert not english_1.memberships.exists()  # subgroups are formed by hand (R13)


def test_the_journal_lists_a_student_from_the_day_of_admission(newcomer, school_class, group, student):
    enrollment_admit(actor=None, student=newcomer, school_class=school_class, start=dt.date(2026, 9, 14))
    assert list(members_on(group, dt.date(2026, 9, 11))) == [student]
    assert set(members_on(group, dt.date(2026, 9, 14))) == {student, newcomer}


def test_an_overlapping_admission_is_refused_with_a_message(student, parallel_class):
    with pytest.raises(ValidationError) as exc:
        enrollment_admit(actor=None, student=student, school_class=parallel_class, start=dt.date(2026, 10, 1))
    text = message(exc)
    assert student.short_name in text  # says who is already enrolled…
    assert "01.09.2026" in text  # …and since when
    assert Enrollment.objects.filter(student=student).count() == 1


def test_an_admission_to_a_class_of_another_school_is_refused(newcomer, other_class):
    with pytest.raises(ValidationError) as exc:
        enrollment_admit(actor=None, student=newcomer, school_class=other_class, start=YEAR_START)
    message(exc)
    assert not Enrollment.objects.filter(student=newcomer).exists()


@pytest.mark.parametrize("start", [dt.date(2026, 8, 31), dt.date(2027, 6, 1)])
def test_an_admission_outside_the_classs_year_is_refused(newcomer, school_class, start):
    with pytest.raises(ValidationError) as exc:
        enrollment_admit(actor=None, student=newcomer, school_class=school_class, start=start)
    assert f"{start:%d.%m.%Y}" in message(exc)


def test_a_student_who_left_may_be_admitted_again(student, school_class, group):
    enrollment_end(actor=None, enrollment=student.enrollments.get(), end=OCT_31, reason=EnrollmentReason.LEFT)
    enrollment_admit(actor=None, student=student, school_class=school_class, start=dt.date(2027, 1, 11))
    assert [(m.start, m.end) for m in group.memberships.filter(student=student).order_by("start")] == [
        (YEAR_START, OCT_31),
        (dt.date(2027, 1, 11), None),
    ]


# --- leaving ----------------------------------------------------------------------------------------------------


def test_leaving_closes_the_enrollment_and_every_membership_in_the_class(student, group, english_1):
    membership_add(actor=None, group=english_1, student=student, start=YEAR_START)
    enrollment = enrollment_end(
        actor=None, enrollment=student.enrollments.get(), end=OCT_31, reason=EnrollmentReason.LEFT, order_number="45"
    )
    assert (enrollment.end, enrollment.end_reason, enrollment.end_order_number) == (OCT_31, "left", "45")
    assert set(GroupMembership.objects.filter(student=student).values_list("end", flat=True)) == {OCT_31}
    # Nothing is erased: the journal keeps the student up to the last day.
    assert student in members_on(group, OCT_31)
    assert student not in members_on(group, NOV_1)
    assert student not in members_on(english_1, NOV_1)


def test_leaving_removes_memberships_that_had_not_started_yet(student, english_1):
    membership_add(actor=None, group=english_1, student=student, start=dt.date(2026, 11, 9))
    enrollment_end(actor=None, enrollment=student.enrollments.get(), end=OCT_31, reason=EnrollmentReason.LEFT)
    assert not english_1.memberships.filter(student=student).exists()


def test_leaving_cuts_a_membership_that_would_run_past_the_last_day(student, english_1):
    """BUG (journal/services.py line 94, enrollment_end: the ``end__isnull=True`` filter of the update): only open
    memberships are closed, so a subgroup membership with its own later end (as the admin or an import
    can write) keeps the student on that group's list after they left the school."""
    GroupMembershipFactory(group=english_1, student=student, start=YEAR_START, end=dt.date(2026, 12, 25))
    enrollment_end(actor=None, enrollment=student.enrollments.get(), end=OCT_31, reason=EnrollmentReason.LEFT)
    assert student not in members_on(english_1, dt.date(2026, 11, 16))


def test_leaving_leaves_the_other_classes_groups_alone(student, other_student, other_group):
    enrollment_end(actor=None, enrollment=student.enrollments.get(), end=OCT_31, reason=EnrollmentReason.LEFT)
    assert other_group.memberships.get(student=other_student).end is None


def test_a_last_day_before_admission_is_refused(student):
    enrollment = student.enrollments.get()
    with pytest.raises(ValidationError) as exc:
        enrollment_end(actor=None, enrollment=enrollment, end=dt.date(2026, 8, 31), reason=EnrollmentReason.LEFT)
    message(exc)
    enrollment.refresh_from_db()
    assert enrollment.end is None


@pytest.mark.parametrize("reason", ["", EnrollmentReason.ADMITTED, "expelled"])
def test_leaving_needs_a_reason_of_leaving(student, reason):
    with pytest.raises(ValidationError) as exc:
        enrollment_end(actor=None, enrollment=student.enrollments.get(), end=OCT_31, reason=reason)
    message(exc)


# --- transfer ----------------------------------------------------------------------------------------------------


def test_a_transfer_moves_the_student_to_the_new_class_on_the_day(
    student, school_class, parallel_class, group, other_group
):
    other_math = other_group  # 6Б math, whole class
    new = enrollment_transfer(actor=None, student=student, to_class=parallel_class, on=NOV_1, order_number="51")
    old = Enrollment.objects.get(student=student, school_class=school_class)
    assert (old.end, old.end_reason, old.end_order_number) == (OCT_31, "transferred", "51")
    assert (new.school_class, new.start, new.end, new.reason, new.order_number) == (
        parallel_class,
        NOV_1,
        None,
        "transferred",
        "51",
    )
    assert student in members_on(group, OCT_31) and student not in members_on(group, NOV_1)
    assert student not in members_on(other_math, OCT_31) and student in members_on(other_math, NOV_1)


def test_a_transfer_to_the_same_class_is_refused(student, school_class):
    with pytest.raises(ValidationError) as exc:
        enrollment_transfer(actor=None, student=student, to_class=school_class, on=NOV_1)
    message(exc)
    assert student.enrollments.get().end is None


def test_a_transfer_of_a_student_not_enrolled_on_that_day_is_refused(newcomer, parallel_class):
    with pytest.raises(ValidationError) as exc:
        enrollment_transfer(actor=None, student=newcomer, to_class=parallel_class, on=NOV_1)
    message(exc)
    assert not Enrollment.objects.filter(student=newcomer).exists()


def test_a_transfer_to_another_school_changes_nothing(student, other_class, group):
    with pytest.raises(ValidationError):
        enrollment_transfer(actor=None, student=student, to_class=other_class, on=NOV_1)
    # The service is atomic: the old enrollment was not closed either.
    assert student.enrollments.get().end is None
    assert group.memberships.get(student=student).end is None


# --- memberships and the class list of a lesson ------------------------------------------------------------------


def test_members_on_checks_start_and_end_on_the_same_membership(group, newcomer):
    """Left on 31.10, back on 16.11: between the two the student is not on the list."""
    GroupMembershipFactory(group=group, student=newcomer, start=YEAR_START, end=OCT_31)
    GroupMembershipFactory(group=group, student=newcomer, start=dt.date(2026, 11, 16))
    assert newcomer in members_on(group, OCT_31)
    assert newcomer not in members_on(group, dt.date(2026, 11, 5))
    assert newcomer in members_on(group, dt.date(2026, 11, 16))
    assert newcomer in members_on(group, YEAR_END)


def test_members_on_lists_the_class_in_journal_order(school, school_class, group, student):
    for last, first in [("Яковлева", "Анна"), ("Алексеев", "Борис"), ("Иванов", "Антон")]:
        enrollment_admit(
            actor=None,
            student=StudentFactory(school=school, last_name=last, first_name=first, patronymic=""),
            school_class=school_class,
            start=YEAR_START,
        )
    assert [s.short_name for s in members_on(group, dt.date(2026, 9, 14))] == [
        "Алексеев Борис",
        "Иванов Антон",
        "Иванов Пётр",
        "Яковлева Анна",
    ]


def test_membership_add_puts_a_student_into_a_subgroup(student, english_1):  # R13
    membership = membership_add(actor=None, group=english_1, student=student, start=dt.date(2026, 9, 7))
    assert (membership.start, membership.end) == (dt.date(2026, 9, 7), None)
    assert student not in members_on(english_1, dt.date(2026, 9, 4))
    assert student in members_on(english_1, dt.date(2026, 9, 7))


def test_membership_add_refuses_a_second_open_membership_and_another_school(student, group, outsider_student):
    with pytest.raises(ValidationError) as exc:
        membership_add(actor=None, group=group, student=student, start=dt.date(2026, 10, 1))
    assert student.short_name in message(exc)
    with pytest.raises(ValidationError):
        membership_add(actor=None, group=group, student=outsider_student, start=dt.date(2026, 10, 1))
