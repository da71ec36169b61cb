"""What the database itself refuses on PostgreSQL: unique keys, check constraints, the exclusion
constraints over date ranges and the constraint triggers of journal/migrations/0002_postgres_integrity.

Each refused write runs in its own ``transaction.atomic()`` so the test's transaction survives it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import UserFactory
from attendance.tests.factories import AbsenceFactory
from grading.tests.factories import MarkColumnFactory, MarkFactory, PeriodMarkFactory
from journal.models import AssignmentRole, SchoolClass
from journal.tests.factories import (
    YEAR_END,
    YEAR_START,
    AcademicYearFactory,
    EnrollmentFactory,
    GroupMembershipFactory,
    HolidayFactory,
    LessonFactory,
    SchoolClassFactory,
    StudentFactory,
    StudyPeriodFactory,
    TeachingAssignmentFactory,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def refused(match: str | None = None) -> pytest.RaisesExc:
    """The database says no: an IntegrityError naming the constraint (or the trigger's message)."""
    return pytest.raises(IntegrityError, match=match)


# --- marks (R2, R3) -----------------------------------------------------------------------------------------


def test_a_student_has_one_mark_per_column(group, student):  # R3: one cell per named piece of work
    column = MarkColumnFactory(lesson=LessonFactory(group=group))
    MarkFactory(column=column, student=student, value=4)
    with refused(match="mark_unique_per_column"), transaction.atomic():
        MarkFactory(column=column, student=student, value=5)


def test_the_same_student_may_have_marks_in_two_columns(group, student):
    lesson = LessonFactory(group=group)
    MarkFactory(column=MarkColumnFactory(lesson=lesson), student=student, value=4)
    MarkFactory(column=MarkColumnFactory(lesson=lesson), student=student, value=5)


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_marks_one_to_five_are_accepted(group, student, value):  # R2
    MarkFactory(column=MarkColumnFactory(lesson=LessonFactory(group=group)), student=student, value=value)


@pytest.mark.parametrize("value", [0, 6, 10])
def test_a_mark_outside_one_to_five_is_refused(group, student, value):  # R2
    column = MarkColumnFactory(lesson=LessonFactory(group=group))
    with refused(match="mark_value_or_code"), transaction.atomic():
        MarkFactory(column=column, student=student, value=value)


def test_a_mark_needs_a_value_or_a_code(group, student):  # R2
    """An empty cell is no mark: the row must carry a value 1–5 or a code.

    BUG (grading/models.py line 104, Mark.Meta, constraint ``mark_value_or_code``): with value NULL and code ''
    the first branch ``code = '' AND value >= 1 AND value <= 5`` is NULL, not false, and a CHECK
    constraint accepts NULL, so the empty mark is stored. Fix: add ``value__isnull=False`` to that branch.
    """
    column = MarkColumnFactory(lesson=LessonFactory(group=group))
    with refused(match="mark_value_or_code"), transaction.atomic():
        MarkFactory(column=column, student=student, value=None, code="")


def test_a_period_mark_needs_a_value_or_a_code(group, student):  # R7
    """BUG (grading/models.py line 155, PeriodMark.Meta, ``period_mark_value_or_code``): the same NULL hole as
    ``mark_value_or_code`` lets a period mark with neither a value nor a code in."""
    with refused(match="period_mark_value_or_code"), transaction.atomic():
        PeriodMarkFactory(group=group, student=student, value=None, code="")


def test_a_mark_cannot_have_both_a_value_and_a_code(group, student):  # R2: «зач» is not a number
    column = MarkColumnFactory(lesson=LessonFactory(group=group))
    with refused(match="mark_value_or_code"), transaction.atomic():
        MarkFactory(column=column, student=student, value=5, code="pass")


@pytest.mark.parametrize("code", ["pass", "fail", "exempt"])
def test_a_code_without_a_value_is_accepted(group, student, code):  # R2: зач / незач / осв
    MarkFactory(column=MarkColumnFactory(lesson=LessonFactory(group=group)), student=student, value=None, code=code)


def test_a_double_mark_is_two_marks_one_to_five(group, student):  # R2: «4/3»
    lesson = LessonFactory(group=group)
    MarkFactory(column=MarkColumnFactory(lesson=lesson), student=student, value=4, value2=3)
    with refused(match="mark_second_value_range"), transaction.atomic():
        MarkFactory(column=MarkColumnFactory(lesson=lesson), student=student, value=4, value2=6)
    with refused(match="mark_second_value_range|mark_value_or_code"), transaction.atomic():
        MarkFactory(column=MarkColumnFactory(lesson=lesson), student=student, value=None, value2=3, code="pass")


def test_a_period_mark_is_one_to_five_or_a_code(group, student):  # R7
    period = StudyPeriodFactory(year=group.year)
    PeriodMarkFactory(group=group, student=student, period=period, value=None, code="na")
    with refused(match="period_mark_unique"), transaction.atomic():
        PeriodMarkFactory(group=group, student=student, period=period, value=5)
    other = StudentFactory(school=group.year.school)
    with refused(match="period_mark_value_or_code"), transaction.atomic():
        PeriodMarkFactory(group=group, student=other, period=period, value=6)


# --- the year and what lies inside it -----------------------------------------------------------------------


def test_a_year_starts_before_it_ends(school):
    with refused(match="year_start_before_end"), transaction.atomic():
        AcademicYearFactory(school=school, name="2027/2028", start=dt.date(2028, 5, 31), end=dt.date(2027, 9, 1))


def test_a_period_inside_its_year_is_accepted(year):
    StudyPeriodFactory(year=year, number=4, start=dt.date(2027, 3, 30), end=YEAR_END)


@pytest.mark.parametrize(
    "start, end",
    [(YEAR_START - DAY, dt.date(2026, 10, 25)), (dt.date(2027, 3, 30), YEAR_END + DAY)],
    ids=["starts-before-the-year", "ends-after-the-year"],
)
def test_a_period_outside_its_year_is_refused_by_the_trigger(year, start, end):
    with refused(match="outside its academic year"), transaction.atomic():
        StudyPeriodFactory(year=year, start=start, end=end)


def test_a_period_cannot_be_moved_out_of_its_year(year):
    period = StudyPeriodFactory(year=year)
    period.end = YEAR_END + DAY
    with refused(match="outside its academic year"), transaction.atomic():
        period.save()


def test_a_year_cannot_shrink_past_its_periods(year):
    StudyPeriodFactory(year=year, number=4, start=dt.date(2027, 3, 30), end=YEAR_END)
    year.end = dt.date(2027, 5, 25)
    with refused(match="year_keeps_contents|periods, holidays or lessons"), transaction.atomic():
        year.save()


def test_a_year_may_grow_and_shrink_while_it_still_holds_its_periods(year):
    StudyPeriodFactory(year=year)
    year.end = dt.date(2027, 6, 30)
    year.save()
    year.end = dt.date(2027, 5, 31)
    year.save()


def test_a_holiday_outside_its_year_is_refused(year):
    HolidayFactory(year=year)  # the autumn vacation, inside
    with refused(match="outside its academic year"), transaction.atomic():
        HolidayFactory(year=year, name="Летние каникулы", start=dt.date(2027, 6, 1), end=dt.date(2027, 8, 31))


def test_a_year_cannot_shrink_past_its_holidays(year):
    HolidayFactory(year=year, start=dt.date(2027, 5, 25), end=YEAR_END)
    year.end = dt.date(2027, 5, 24)
    with refused(match="periods, holidays or lessons"), transaction.atomic():
        year.save()


def test_a_lesson_inside_its_year_is_accepted(group):
    LessonFactory(group=group, date=YEAR_START)
    LessonFactory(group=group, date=YEAR_END)


@pytest.mark.parametrize("date", [YEAR_START - DAY, YEAR_END + DAY], ids=["before", "after"])
def test_a_lesson_outside_its_year_is_refused(group, date):
    with refused(match="outside its academic year"), transaction.atomic():
        LessonFactory(group=group, date=date)


def test_a_lesson_cannot_be_moved_out_of_its_year(group):
    lesson = LessonFactory(group=group, date=dt.date(2026, 9, 14))
    lesson.date = dt.date(2027, 6, 2)
    with refused(match="outside its academic year"), transaction.atomic():
        lesson.save()


def test_a_year_cannot_shrink_past_its_lessons(group):
    LessonFactory(group=group, date=dt.date(2027, 5, 28))
    year = group.year
    year.end = dt.date(2027, 5, 27)
    with refused(match="periods, holidays or lessons"), transaction.atomic():
        year.save()


def test_a_group_cannot_move_to_a_year_that_leaves_its_lessons_outside(group):
    """The invariant "a lesson lies inside its group's year" also binds the group's year.

    BUG (journal/migrations/0002_postgres_integrity.py lines 50 and 65): the triggers watch journal_lesson
    and journal_academicyear, but not journal_teachinggroup.year_id, so moving a group to another year
    leaves its lessons outside that year and the database accepts it.
    """
    LessonFactory(group=group, date=dt.date(2026, 9, 14))
    next_year = AcademicYearFactory(
        school=group.year.school, name="2027/2028", start=dt.date(2027, 9, 1), end=dt.date(2028, 5, 31)
    )
    group.year = next_year
    with refused(), transaction.atomic():
        group.save()


# --- enrollments and memberships (exclusion constraints) -----------------------------------------------------


def test_overlapping_enrollments_of_one_student_are_refused(school_class, parallel_class):
    child = StudentFactory(school=school_class.year.school)
    EnrollmentFactory(student=child, school_class=school_class, start=YEAR_START, end=dt.date(2026, 12, 31))
    with refused(match="enrollment_no_overlap"), transaction.atomic():
        EnrollmentFactory(student=child, school_class=parallel_class, start=dt.date(2026, 12, 31))


def test_an_open_enrollment_overlaps_everything_after_its_start(school_class, parallel_class):
    child = StudentFactory(school=school_class.year.school)
    EnrollmentFactory(student=child, school_class=school_class, start=dt.date(2026, 11, 1), end=None)
    with refused(match="enrollment_no_overlap"), transaction.atomic():
        EnrollmentFactory(student=child, school_class=parallel_class, start=dt.date(2027, 3, 1), end=YEAR_END)


def test_consecutive_enrollments_are_accepted(school_class, parallel_class):
    child = StudentFactory(school=school_class.year.school)
    EnrollmentFactory(student=child, school_class=school_class, start=YEAR_START, end=dt.date(2026, 12, 31))
    EnrollmentFactory(student=child, school_class=parallel_class, start=dt.date(2027, 1, 1), end=None)


def test_two_students_may_be_enrolled_in_one_class_at_once(school_class):
    EnrollmentFactory(student=StudentFactory(school=school_class.year.school), school_class=school_class)
    EnrollmentFactory(student=StudentFactory(school=school_class.year.school), school_class=school_class)


def test_an_enrollment_ends_after_it_starts(school_class):
    with refused(match="enrollment_start_before_end"), transaction.atomic():
        EnrollmentFactory(
            student=StudentFactory(school=school_class.year.school),
            school_class=school_class,
            start=dt.date(2026, 10, 1),
            end=dt.date(2026, 9, 30),
        )


def test_overlapping_memberships_of_one_student_in_one_group_are_refused(group):
    child = StudentFactory(school=group.year.school)
    GroupMembershipFactory(group=group, student=child, start=YEAR_START, end=dt.date(2026, 10, 31))
    with refused(match="membership_no_overlap"), transaction.atomic():
        GroupMembershipFactory(group=group, student=child, start=dt.date(2026, 10, 31))


def test_consecutive_memberships_and_memberships_of_two_groups_are_accepted(group, other_group):
    child = StudentFactory(school=group.year.school)
    GroupMembershipFactory(group=group, student=child, start=YEAR_START, end=dt.date(2026, 10, 31))
    GroupMembershipFactory(group=group, student=child, start=dt.date(2026, 11, 1))
    GroupMembershipFactory(group=other_group, student=child, start=YEAR_START)


# --- lessons, classes, assignments, absences ----------------------------------------------------------------


def test_a_group_has_one_lesson_per_date_and_number(group):
    LessonFactory(group=group, date=dt.date(2026, 9, 14), number=2)
    LessonFactory(group=group, date=dt.date(2026, 9, 14), number=3)
    with refused(match="lesson_unique_slot"), transaction.atomic():
        LessonFactory(group=group, date=dt.date(2026, 9, 14), number=2)


def test_two_groups_may_have_a_lesson_in_the_same_slot(group, other_group):
    LessonFactory(group=group, date=dt.date(2026, 9, 14), number=2)
    LessonFactory(group=other_group, date=dt.date(2026, 9, 14), number=2)


@pytest.mark.parametrize("grade", [1, 11])
def test_grades_one_to_eleven_are_accepted(year, grade):
    SchoolClassFactory(year=year, grade=grade)


@pytest.mark.parametrize("grade", [0, 12])
def test_a_grade_outside_one_to_eleven_is_refused(year, grade):
    with refused(match="class_grade_range"), transaction.atomic():
        SchoolClassFactory(year=year, grade=grade)


def test_a_class_name_is_unique_in_its_year(school_class):
    with refused(match="class_unique_name"), transaction.atomic():
        SchoolClass.objects.create(year=school_class.year, grade=school_class.grade, letter=school_class.letter)


def test_a_substitution_must_have_an_end(group):  # R12: date-bounded
    with refused(match="substitution_has_end"), transaction.atomic():
        TeachingAssignmentFactory(group=group, teacher=UserFactory(), role=AssignmentRole.SUBSTITUTE, end=None)


def test_a_main_assignment_may_be_open_ended(group):
    TeachingAssignmentFactory(group=group, teacher=UserFactory(), role=AssignmentRole.MAIN, end=None)


def test_one_absence_per_student_and_lesson_and_minutes_only_when_late(group, student):  # R8
    lesson = LessonFactory(group=group)
    AbsenceFactory(lesson=lesson, student=student)
    with refused(match="absence_unique_student"), transaction.atomic():
        AbsenceFactory(lesson=lesson, student=student, kind="late", minutes_late=5)
    other_lesson = LessonFactory(group=group)
    with refused(match="absence_minutes_only_when_late"), transaction.atomic():
        AbsenceFactory(lesson=other_lesson, student=student, kind="absent", minutes_late=5)
    AbsenceFactory(lesson=other_lesson, student=student, kind="late", minutes_late=5)
