"""``manage.py seed_demo`` builds a demo school a person can log into and find consistent (R1, R3, R4).

The school is seeded once for the module (small scale, fixed date) inside a transaction that is rolled
back at the end, so no other test sees it.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest
from django.test.utils import override_settings
from pytest_django import DjangoDbBlocker

from accounts.models import (
    ParentLink,
    Role,
    SchoolClassUserObjectPermission,
    SchoolUserObjectPermission,
    StaffRole,
    StudentUserObjectPermission,
    TeachingGroupUserObjectPermission,
    User,
)
from accounts.permissions import ROLE_PERMISSIONS
from attendance.models import Absence, AbsenceKind
from grading.history import chain_verify
from grading.models import EventAction, EventObject, JournalEvent, Mark, PeriodMark
from journal.models import (
    AssignmentRole,
    Lesson,
    PeriodKind,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)

TODAY = dt.date(2026, 11, 9)  # a Monday early in quarter II of 2026/2027
DEMO_LOGINS = ("director", "deputy", "admin", "secretary", "classteacher", "teacher", "parent", "student", "outsider")


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """Two small demo schools; yields the command's output."""
    fast_hash = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    seed_day = dt.datetime.combine(TODAY, dt.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))
    with django_db_blocker.unblock(), fast_hash, transaction.atomic():
        out = io.StringIO()
        with time_machine.travel(seed_day, tick=True):  # the seed's messages are checked against "today"
            call_command("seed_demo", schools=2, scale=0.1, today=TODAY, stdout=out)
        # Fire the deferred foreign-key checks of the seed once here; otherwise every test's teardown
        # (which checks constraints inside its savepoint) would re-check all of them.
        connection.check_constraints()
        yield out.getvalue()
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def test_every_demo_login_signs_in_with_the_demo_password() -> None:
    for username in DEMO_LOGINS:
        assert authenticate(HttpRequest(), username=username, password="demo12345") is not None, username


def test_generated_people_have_no_usable_password() -> None:
    others = User.objects.exclude(username__in=DEMO_LOGINS)
    assert others.exists()
    assert not any(user.has_usable_password() for user in others[:200])


def test_the_parents_child_is_in_the_class_teachers_class_and_taught_by_teacher() -> None:
    child = Student.objects.get(parent_links__parent__username="parent")
    assert child.user.username == "student"
    school_class = SchoolClass.objects.get(enrollments__student=child, enrollments__end__isnull=True)
    assert school_class.class_teacher.username == "classteacher"
    assert TeachingGroup.objects.filter(
        classes=school_class, memberships__student=child, assignments__teacher__username="teacher"
    ).exists()
    # The class teacher also teaches a subject in that class.
    assert TeachingGroup.objects.filter(classes=school_class, assignments__teacher__username="classteacher").exists()


def test_the_demo_parent_has_mail_and_an_announcement() -> None:  # R14
    from messaging.models import Announcement, Message

    parent = User.objects.get(username="parent")
    mail = Message.objects.filter(thread__participants__user=parent)
    assert mail.filter(sender__username="classteacher").exists() and mail.filter(sender=parent).exists()
    child = Student.objects.get(parent_links__parent=parent)
    assert Announcement.objects.filter(
        audience="class_parents", school_class__enrollments__student=child, author__username="classteacher"
    ).exists()


def test_outsider_is_a_deputy_of_another_school() -> None:
    outsider = StaffRole.objects.get(user__username="outsider")
    deputy = StaffRole.objects.get(user__username="deputy")
    assert outsider.role == deputy.role == Role.DEPUTY
    assert outsider.school_id != deputy.school_id
    assert School.objects.count() == 2


def test_object_grants_match_assignments_links_and_roles() -> None:
    """The bulk services leave exactly the grants the per-object services would (DESIGN.md §4)."""
    main = TeachingAssignment.objects.filter(role=AssignmentRole.MAIN, end__isnull=True)
    teach = TeachingGroupUserObjectPermission.objects.filter(permission__codename="teach_group")
    assert set(main.values_list("teacher_id", "group_id")) == set(teach.values_list("user_id", "content_object_id"))
    lead = SchoolClassUserObjectPermission.objects.filter(permission__codename="lead_class")
    led = SchoolClass.objects.values_list("class_teacher_id", "pk")
    assert set(led) == set(lead.values_list("user_id", "content_object_id"))
    diary = StudentUserObjectPermission.objects.filter(permission__codename="view_diary")
    readers = set(ParentLink.objects.values_list("parent_id", "student_id"))
    readers |= set(Student.objects.filter(user__isnull=False).values_list("user_id", "pk"))
    assert readers == set(diary.values_list("user_id", "content_object_id"))
    for staff_role in StaffRole.objects.all():
        held = SchoolUserObjectPermission.objects.filter(user=staff_role.user, content_object=staff_role.school)
        assert set(held.values_list("permission__codename", flat=True)) == ROLE_PERMISSIONS[staff_role.role]


def test_teacher_substitutes_in_another_group_this_week() -> None:
    substitution = TeachingAssignment.objects.get(teacher__username="teacher", role=AssignmentRole.SUBSTITUTE)
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    assert (substitution.start, substitution.end) == (monday, monday + dt.timedelta(days=4))
    lessons = Lesson.objects.filter(group=substitution.group, date__range=(substitution.start, substitution.end))
    assert lessons.exists()
    assert all(lesson.is_substitution and lesson.teacher.username == "teacher" for lesson in lessons)


def test_grade_one_has_lessons_but_no_marks() -> None:  # R1
    assert Lesson.objects.filter(group__classes__grade=1, status="held").exclude(topic="").exists()
    assert not Mark.objects.filter(column__lesson__group__classes__grade=1).exists()
    assert not PeriodMark.objects.filter(group__classes__grade=1).exists()
    assert Mark.objects.filter(column__lesson__group__classes__grade=2).exists()


def test_no_mark_for_a_student_absent_from_that_lesson() -> None:  # R3
    absent = Absence.objects.filter(
        lesson_id=OuterRef("column__lesson_id"), student_id=OuterRef("student_id"), kind=AbsenceKind.ABSENT
    )
    assert not Mark.objects.filter(Exists(absent)).exists()


def test_a_missed_control_work_is_written_in_a_correction_column() -> None:  # R3
    assert Mark.objects.filter(column__is_correction=True, column__work_type__is_control_work=True).exists()


def test_every_mark_period_mark_and_absence_has_its_create_event() -> None:  # R4
    for model, object_type in ((Mark, EventObject.MARK), (PeriodMark, EventObject.PERIOD_MARK)):
        created = set(
            JournalEvent.objects.filter(object_type=object_type, action=EventAction.CREATE).values_list(
                "object_id", flat=True
            )
        )
        assert set(model.objects.values_list("pk", flat=True)) == created
    absences = set(Absence.objects.values_list("pk", flat=True))
    logged = JournalEvent.objects.filter(object_type=EventObject.ABSENCE, action=EventAction.CREATE)
    assert absences == set(logged.values_list("object_id", flat=True))
    held = Lesson.objects.filter(status="held")
    topics = JournalEvent.objects.filter(object_type=EventObject.TOPIC).values_list("object_id", flat=True)
    assert set(held.values_list("pk", flat=True)) == set(topics)


def test_the_history_chains_verify_and_run_in_time_order() -> None:  # R4
    groups = list(
        TeachingGroup.objects.annotate(n=Count("events")).filter(n__gt=0).order_by("-n").values_list("pk", flat=True)
    )
    for group_id in groups[:3] + groups[-2:]:
        assert chain_verify(group_id).ok
        times = list(JournalEvent.objects.filter(group_id=group_id).order_by("seq").values_list("at", flat=True))
        assert times == sorted(times)
        assert times[-1] < dt.datetime.combine(TODAY, dt.time(0, 0), tzinfo=dt.UTC)


def test_no_teacher_is_in_two_places_at_once() -> None:
    slots = TimetableSlot.objects.filter(group__assignments__role=AssignmentRole.MAIN).values_list(
        "group__assignments__teacher_id", "weekday", "number"
    )
    slots = list(slots)
    assert slots and len(slots) == len(set(slots))
    lessons = list(Lesson.objects.values_list("teacher_id", "date", "number"))
    assert len(lessons) == len(set(lessons))


def test_every_group_gets_its_weekly_hours() -> None:
    for group in TeachingGroup.objects.annotate(n=Count("slots")):
        assert group.n == group.hours_per_week, group.name


def test_period_marks_exist_for_the_finished_quarter_only() -> None:  # R7
    assert PeriodMark.objects.filter(period__kind=PeriodKind.QUARTER, period__number=1).exists()
    assert not PeriodMark.objects.filter(period__kind=PeriodKind.QUARTER, period__number=2).exists()
    assert not PeriodMark.objects.filter(period__kind=PeriodKind.HALF).exists()


def test_a_second_run_refuses_and_if_empty_leaves_the_database_alone() -> None:
    with pytest.raises(CommandError, match="fresh database"):
        call_command("seed_demo", schools=1, scale=0.1, today=TODAY, stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", if_empty=True, stdout=out)
    assert "already has a school" in out.getvalue()
    assert School.objects.count() == 2


def test_the_summary_reports_timings_and_row_counts(demo: str) -> None:
    assert "Phases" in demo and "journal events" in demo and "outsider" in demo
