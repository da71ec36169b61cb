"""THE permission matrix: who may read and write what, through accounts/permissions.py only (DESIGN.md §4,
R12, R15). The expected tables below are written from DESIGN.md §4 by hand — not derived from
``ROLE_PERMISSIONS`` — so a drift between the design and the code shows up here.

The world (conftest.py): school «Школа № 1» with 5А (`school_class`: `student`, `group` = 5А math) and
6Б (`parallel_class`: `other_student`, `other_group` = 6Б math); the other school with its 5А
(`other_class`: `outsider_student`, `outsider_group`). Every persona exists at once (`everyone`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404

from accounts.permissions import (
    Action,
    StudentAction,
    can_edit_class_people,
    can_issue_credentials,
    can_set_absence_reasons,
    classes_for,
    get_class_for,
    get_group_for,
    get_lesson_for,
    get_student_for,
    groups_for,
    has_school_perm,
    lessons_for,
    students_for,
)
from accounts.services import staff_role_grant, substitution_start, teacher_assign
from accounts.tests.factories import PERSONAS, UserFactory
from journal.models import School
from journal.services import enrollment_transfer
from journal.tests.factories import (
    SUBSTITUTION_END,
    SUBSTITUTION_START,
    AcademicYearFactory,
    LessonFactory,
    TeachingGroupFactory,
)

pytestmark = pytest.mark.django_db

SUBSTITUTED_DAY = dt.date(2026, 10, 7)  # inside the standing substitution 05.10–16.10.2026
ORDINARY_DAY = dt.date(2026, 9, 14)  # before it

GROUPS = ("group", "other_group", "outsider_group")
LESSONS = ("lesson", "substituted_lesson", "other_lesson", "outsider_lesson")
STUDENTS = ("student", "other_student", "outsider_student")
CLASSES = ("school_class", "parallel_class", "other_class")
OWN_GROUPS = {"group", "other_group"}
OWN_LESSONS = {"lesson", "substituted_lesson", "other_lesson"}
OWN_STUDENTS = {"student", "other_student"}
OWN_CLASSES = {"school_class", "parallel_class"}
NOTHING: frozenset[str] = frozenset()

# --- the expected matrix (DESIGN.md §4) -----------------------------------------------------------------------------

# Journal pages, per action: which groups (on SUBSTITUTED_DAY) and which lessons the persona reaches.
# "read every journal": director, deputy, administrator — not the secretary. "enter marks…": own groups and
# substituted lessons; the deputy only corrects with a reason. "absence reasons": deputy, own class.
JOURNAL: dict[str, dict[Action, tuple[set[str] | frozenset[str], set[str] | frozenset[str]]]] = {
    "director": {
        Action.VIEW: (OWN_GROUPS, OWN_LESSONS),
        Action.EDIT: (NOTHING, NOTHING),
        Action.CORRECT: (NOTHING, NOTHING),
        Action.ABSENCE_REASONS: (NOTHING, NOTHING),
        Action.PERIOD_MARKS: (NOTHING, NOTHING),
    },
    "deputy": {
        Action.VIEW: (OWN_GROUPS, OWN_LESSONS),
        Action.EDIT: (NOTHING, NOTHING),
        Action.CORRECT: (OWN_GROUPS, OWN_LESSONS),
        Action.ABSENCE_REASONS: (OWN_GROUPS, OWN_LESSONS),
        Action.PERIOD_MARKS: (NOTHING, NOTHING),
    },
    "administrator": {
        Action.VIEW: (OWN_GROUPS, OWN_LESSONS),
        Action.EDIT: (NOTHING, NOTHING),
        Action.CORRECT: (NOTHING, NOTHING),
        Action.ABSENCE_REASONS: (NOTHING, NOTHING),
        Action.PERIOD_MARKS: (NOTHING, NOTHING),
    },
    "secretary": {action: (NOTHING, NOTHING) for action in Action},
    "class_teacher": {  # R15: the whole class, all subjects, without editing
        Action.VIEW: ({"group"}, {"lesson", "substituted_lesson"}),
        Action.EDIT: (NOTHING, NOTHING),
        Action.CORRECT: (NOTHING, NOTHING),
        Action.ABSENCE_REASONS: ({"group"}, {"lesson", "substituted_lesson"}),
        Action.PERIOD_MARKS: (NOTHING, NOTHING),
    },
    "teacher": {  # own groups; the main teacher keeps the page during a substitution
        Action.VIEW: ({"group"}, {"lesson", "substituted_lesson"}),
        Action.EDIT: ({"group"}, {"lesson", "substituted_lesson"}),
        Action.CORRECT: (NOTHING, NOTHING),
        Action.ABSENCE_REASONS: (NOTHING, NOTHING),
        Action.PERIOD_MARKS: ({"group"}, {"lesson", "substituted_lesson"}),
    },
    "substitute": {  # R12: the lessons substituted, nothing else: no group-wide page, no period marks
        Action.VIEW: (NOTHING, {"substituted_lesson"}),
        Action.EDIT: ({"group"}, {"substituted_lesson"}),
        Action.CORRECT: (NOTHING, NOTHING),
        Action.ABSENCE_REASONS: (NOTHING, NOTHING),
        Action.PERIOD_MARKS: (NOTHING, NOTHING),
    },
    "parent": {action: (NOTHING, NOTHING) for action in Action},
    "student_user": {action: (NOTHING, NOTHING) for action in Action},
    "outsider": {  # a deputy, of the other school
        Action.VIEW: ({"outsider_group"}, {"outsider_lesson"}),
        Action.EDIT: (NOTHING, NOTHING),
        Action.CORRECT: ({"outsider_group"}, {"outsider_lesson"}),
        Action.ABSENCE_REASONS: ({"outsider_group"}, {"outsider_lesson"}),
        Action.PERIOD_MARKS: (NOTHING, NOTHING),
    },
}

# Students, per action. "personal data": school staff all; class teacher own class; teacher read, own
# groups; substitute nothing; parent own children; student self. "enrollment": school staff. "diary":
# own children, self.
# "credentials" (R17): the administrator the whole school, the class teacher own class.
SCHOOL_STAFF_STUDENTS = {
    StudentAction.DIARY: NOTHING,
    StudentAction.PERSONAL_VIEW: OWN_STUDENTS,
    StudentAction.PERSONAL_EDIT: OWN_STUDENTS,
    StudentAction.ENROLL: OWN_STUDENTS,
    StudentAction.CREDENTIALS: NOTHING,
}
STUDENT_ROWS: dict[str, dict[StudentAction, set[str] | frozenset[str]]] = {
    "director": SCHOOL_STAFF_STUDENTS,
    "deputy": SCHOOL_STAFF_STUDENTS,
    "administrator": {**SCHOOL_STAFF_STUDENTS, StudentAction.CREDENTIALS: OWN_STUDENTS},
    "secretary": SCHOOL_STAFF_STUDENTS,
    "class_teacher": {
        StudentAction.DIARY: NOTHING,
        StudentAction.PERSONAL_VIEW: {"student"},
        StudentAction.PERSONAL_EDIT: {"student"},
        StudentAction.ENROLL: NOTHING,
        StudentAction.CREDENTIALS: {"student"},
    },
    "teacher": {
        StudentAction.DIARY: NOTHING,
        StudentAction.PERSONAL_VIEW: {"student"},
        StudentAction.PERSONAL_EDIT: NOTHING,
        StudentAction.ENROLL: NOTHING,
        StudentAction.CREDENTIALS: NOTHING,
    },
    "substitute": {action: NOTHING for action in StudentAction},
    "parent": {
        StudentAction.DIARY: {"student"},
        StudentAction.PERSONAL_VIEW: {"student"},
        StudentAction.PERSONAL_EDIT: NOTHING,
        StudentAction.ENROLL: NOTHING,
        StudentAction.CREDENTIALS: NOTHING,
    },
    "student_user": {  # R15: only themselves, view only
        StudentAction.DIARY: {"student"},
        StudentAction.PERSONAL_VIEW: {"student"},
        StudentAction.PERSONAL_EDIT: NOTHING,
        StudentAction.ENROLL: NOTHING,
        StudentAction.CREDENTIALS: NOTHING,
    },
    "outsider": {
        StudentAction.DIARY: NOTHING,
        StudentAction.PERSONAL_VIEW: {"outsider_student"},
        StudentAction.PERSONAL_EDIT: {"outsider_student"},
        StudentAction.ENROLL: {"outsider_student"},
        StudentAction.CREDENTIALS: NOTHING,
    },
}

# Classes looked at as a whole (class lists): (every class in scope, led classes only).
CLASS_ROWS: dict[str, tuple[set[str] | frozenset[str], set[str] | frozenset[str]]] = {
    "director": (OWN_CLASSES, NOTHING),
    "deputy": (OWN_CLASSES, NOTHING),
    "administrator": (OWN_CLASSES, NOTHING),
    "secretary": (OWN_CLASSES, NOTHING),
    "class_teacher": ({"school_class"}, {"school_class"}),
    "teacher": (NOTHING, NOTHING),
    "substitute": (NOTHING, NOTHING),
    "parent": (NOTHING, NOTHING),
    "student_user": (NOTHING, NOTHING),
    "outsider": ({"other_class"}, NOTHING),
}

# The class teacher's desk: (keeps personal data and consent, issues credentials R17, absence reasons R8).
DESK_ROWS: dict[str, tuple[set[str] | frozenset[str], ...]] = {
    "director": (OWN_CLASSES, NOTHING, NOTHING),
    "deputy": (OWN_CLASSES, NOTHING, OWN_CLASSES),
    "administrator": (OWN_CLASSES, OWN_CLASSES, NOTHING),
    "secretary": (OWN_CLASSES, NOTHING, NOTHING),
    "class_teacher": ({"school_class"}, {"school_class"}, {"school_class"}),
    "teacher": (NOTHING, NOTHING, NOTHING),
    "substitute": (NOTHING, NOTHING, NOTHING),
    "parent": (NOTHING, NOTHING, NOTHING),
    "student_user": (NOTHING, NOTHING, NOTHING),
    "outsider": ({"other_class"}, NOTHING, {"other_class"}),
}

# School-wide permissions, row by row of the DESIGN.md §4 table.
DIRECTOR = {
    "view_all_journals",
    "view_personal_data",
    "edit_personal_data",
    "manage_enrollment",
    "view_reports",
    "sign_archive",  # archive: "sign"
}
DEPUTY = {
    "view_all_journals",
    "correct_journal",  # "corrections with reason"
    "set_absence_reasons",
    "view_personal_data",
    "edit_personal_data",
    "manage_enrollment",
    "manage_year",  # year set-up, timetable, substitutions
    "manage_subgroups",
    "view_reports",
    "produce_archive",  # archive: "produce"
}
ADMINISTRATOR = {
    "view_all_journals",
    "view_personal_data",
    "edit_personal_data",
    "manage_enrollment",
    "manage_year",
    "manage_accounts",
    "manage_staff_accounts",
    "view_reports",
    "produce_archive",
    "sign_archive",
    "register_archive",
    "manage_backups",
    "view_backup_registry",
}
SECRETARY = {
    "view_personal_data",
    "edit_personal_data",
    "manage_enrollment",
    "manage_staff_accounts",  # accounts: "staff"
    "register_archive",  # archive: "register"
    "view_backup_registry",  # backups: "registry"
}
SCHOOL_PERMS: dict[str, tuple[set[str], set[str]]] = {  # (on `school`, on `other_school`)
    "director": (DIRECTOR, set()),
    "deputy": (DEPUTY, set()),
    "administrator": (ADMINISTRATOR, set()),
    "secretary": (SECRETARY, set()),
    "class_teacher": (set(), set()),
    "teacher": (set(), set()),
    "substitute": (set(), set()),
    "parent": (set(), set()),
    "student_user": (set(), set()),
    "outsider": (set(), DEPUTY),
}
EVERY_SCHOOL_PERM = [codename for codename, _name in School._meta.permissions]


def test_the_matrix_covers_every_persona():
    for table in (JOURNAL, STUDENT_ROWS, CLASS_ROWS, SCHOOL_PERMS):
        assert set(table) == set(PERSONAS)
    assert DIRECTOR | DEPUTY | ADMINISTRATOR | SECRETARY == set(EVERY_SCHOOL_PERM)


# --- the world ------------------------------------------------------------------------------------------------


@pytest.fixture
def world(everyone, request, make_lesson, other_group, outsider_group) -> dict[str, Any]:
    objects: dict[str, Any] = {
        name: request.getfixturevalue(name)
        for name in (*GROUPS, *STUDENTS, *CLASSES, "school", "other_school")
        if name not in {"other_group", "outsider_group"}
    }
    objects.update(
        other_group=other_group,
        outsider_group=outsider_group,
        lesson=make_lesson(date=ORDINARY_DAY),
        substituted_lesson=make_lesson(date=SUBSTITUTED_DAY),
        other_lesson=make_lesson(group=other_group, date=SUBSTITUTED_DAY),
        outsider_lesson=make_lesson(group=outsider_group, date=SUBSTITUTED_DAY),
    )
    return {**objects, **everyone}


def names(world: dict[str, Any], queryset: Any, candidates: tuple[str, ...]) -> set[str]:
    found = set(queryset)
    return {name for name in candidates if world[name] in found}


def reachable(world: dict[str, Any], getter: Any, candidates: tuple[str, ...], *args: Any, **kwargs: Any) -> set[str]:
    """The candidates the getter returns; the others must raise Http404 (never a 403 or a leak)."""
    result = set()
    for name in candidates:
        try:
            got = getter(*args[:1], world[name].pk, *args[1:], **kwargs)
        except Http404:
            continue
        assert got == world[name]
        result.add(name)
    return result


# --- the matrix, row by row (a failing row shows the whole diff: expected vs actual) -------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_journal_pages_in_scope(world, persona):  # R12, R15
    user = world[persona]
    actual = {
        action: (
            names(world, groups_for(user, action, on=SUBSTITUTED_DAY), GROUPS),
            names(world, lessons_for(user, action), LESSONS),
        )
        for action in Action
    }
    assert actual == {action: (set(g), set(ls)) for action, (g, ls) in JOURNAL[persona].items()}
    # The getters agree with the querysets and answer 404 for everything else, the other school included.
    for action, (expected_groups, expected_lessons) in JOURNAL[persona].items():
        assert reachable(world, get_lesson_for, LESSONS, user, action) == set(expected_lessons), action
        if persona != "substitute":  # get_group_for has no date: the substitute's answer depends on today
            assert reachable(world, get_group_for, GROUPS, user, action) == set(expected_groups), action


@pytest.mark.parametrize("persona", PERSONAS)
def test_students_and_classes_in_scope(world, persona):  # R15, R16
    user = world[persona]
    actual = {action: names(world, students_for(user, action), STUDENTS) for action in StudentAction}
    assert actual == {action: set(expected) for action, expected in STUDENT_ROWS[persona].items()}
    for action, expected in STUDENT_ROWS[persona].items():
        assert reachable(world, get_student_for, STUDENTS, user, action) == set(expected), action

    every, led = CLASS_ROWS[persona]
    assert names(world, classes_for(user), CLASSES) == set(every)
    assert names(world, classes_for(user, lead_only=True), CLASSES) == set(led)
    assert reachable(world, get_class_for, CLASSES, user) == set(every)
    assert reachable(world, get_class_for, CLASSES, user, lead_only=True) == set(led)


@pytest.mark.parametrize("persona", PERSONAS)
def test_class_desk_rights(world, persona):  # R8, R15, R16, R17
    user = world[persona]
    actual = tuple(
        {name for name in CLASSES if check(user, world[name])}
        for check in (can_edit_class_people, can_issue_credentials, can_set_absence_reasons)
    )
    assert actual == tuple(set(expected) for expected in DESK_ROWS[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_wide_permissions(world, persona):  # DESIGN.md §4: per school, never global
    user = world[persona]
    here, there = SCHOOL_PERMS[persona]
    assert {c for c in EVERY_SCHOOL_PERM if has_school_perm(user, world["school"], c)} == here
    assert {c for c in EVERY_SCHOOL_PERM if has_school_perm(user, world["other_school"].pk, c)} == there
    assert not user.user_permissions.exists()


# --- the rules said out loud ---------------------------------------------------------------------------------------


def test_nothing_of_the_other_school_is_reachable(world):
    for persona in PERSONAS:
        if persona == "outsider":
            continue
        user = world[persona]
        for action in Action:
            assert world["outsider_group"] not in groups_for(user, action, on=SUBSTITUTED_DAY), persona
            with pytest.raises(Http404):
                get_group_for(user, world["outsider_group"].pk, action)
            with pytest.raises(Http404):
                get_lesson_for(user, world["outsider_lesson"].pk, action)
        for action in StudentAction:
            with pytest.raises(Http404):
                get_student_for(user, world["outsider_student"].pk, action)
        with pytest.raises(Http404):
            get_class_for(user, world["other_class"].pk)


def test_the_outsider_deputy_reaches_nothing_of_this_school(world):
    outsider = world["outsider"]
    for action in Action:
        assert not groups_for(outsider, action).filter(year__school=world["school"]).exists()
        assert not lessons_for(outsider, action).filter(group__year__school=world["school"]).exists()
    for action in StudentAction:
        assert not students_for(outsider, action).filter(school=world["school"]).exists()
    assert not classes_for(outsider).filter(year__school=world["school"]).exists()


def test_a_parent_gets_404_on_another_familys_child(world):  # R15: only their own child
    for action in StudentAction:
        with pytest.raises(Http404):
            get_student_for(world["parent"], world["other_student"].pk, action)
    assert get_student_for(world["parent"], world["student"].pk, StudentAction.DIARY) == world["student"]


def test_a_student_sees_only_themselves_and_edits_nothing(world):  # R15: "view only"
    user = world["student_user"]
    assert list(students_for(user, StudentAction.DIARY)) == [world["student"]]
    assert list(students_for(user, StudentAction.PERSONAL_VIEW)) == [world["student"]]
    for action in (StudentAction.PERSONAL_EDIT, StudentAction.ENROLL):
        assert not students_for(user, action).exists()
    for action in Action:
        assert not groups_for(user, action).exists()
        assert not lessons_for(user, action).exists()
    assert not classes_for(user).exists()


def test_the_substitute_edits_lessons_only_within_the_substitution_dates(world, make_lesson):  # R12
    user, group = world["substitute"], world["group"]
    on_first = make_lesson(date=SUBSTITUTION_START, number=2)
    on_last = make_lesson(date=SUBSTITUTION_END, number=2)
    day_before = make_lesson(date=SUBSTITUTION_START - dt.timedelta(days=1), number=2)
    day_after = make_lesson(date=SUBSTITUTION_END + dt.timedelta(days=1), number=2)
    for lesson in (on_first, on_last, world["substituted_lesson"]):
        assert get_lesson_for(user, lesson.pk, Action.EDIT) == lesson
    for lesson in (day_before, day_after, world["lesson"]):
        with pytest.raises(Http404):
            get_lesson_for(user, lesson.pk, Action.EDIT)
        with pytest.raises(Http404):
            get_lesson_for(user, lesson.pk, Action.VIEW)
    assert group in groups_for(user, Action.EDIT, on=SUBSTITUTION_END)
    assert group not in groups_for(user, Action.EDIT, on=SUBSTITUTION_END + dt.timedelta(days=1))


def test_the_class_teacher_reads_but_never_edits_the_class_journal(world):  # R15 "without editing"
    user = world["class_teacher"]
    assert get_group_for(user, world["group"].pk, Action.VIEW) == world["group"]
    for action in (Action.EDIT, Action.CORRECT):
        with pytest.raises(Http404):
            get_group_for(user, world["group"].pk, action)
        with pytest.raises(Http404):
            get_lesson_for(user, world["lesson"].pk, action)


def test_anonymous_users_reach_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    for action in Action:
        assert not groups_for(anonymous, action).exists()
        assert not lessons_for(anonymous, action).exists()
    for action in StudentAction:
        assert not students_for(anonymous, action).exists()
    assert not classes_for(anonymous).exists()
    assert not has_school_perm(anonymous, world["school"], "view_all_journals")


# --- bounded queries ---------------------------------------------------------------------------------------------


def test_scoped_counts_take_one_query(world, django_assert_max_num_queries):
    """However many grants a user holds, a scope is one SQL query (subqueries, no Python loops)."""
    for persona in PERSONAS:
        user = world[persona]
        for action in Action:
            with django_assert_max_num_queries(1):
                groups_for(user, action).count()
            with django_assert_max_num_queries(1):
                groups_for(user, action, on=SUBSTITUTED_DAY).count()
            with django_assert_max_num_queries(1):
                lessons_for(user, action).count()
        for action in StudentAction:
            with django_assert_max_num_queries(1):
                students_for(user, action).count()
        with django_assert_max_num_queries(1):
            classes_for(user).count()
        with django_assert_max_num_queries(1):
            has_school_perm(user, world["school"], "view_all_journals")


# --- date-bounded scopes: exposed bugs ------------------------------------------------------------------------------


def test_a_future_substitution_gives_no_access_before_it_starts(school, group):
    """BUG (accounts/permissions.py, ``_active_substitution`` lines 177–178, used by ``groups_for`` for EDIT
    and by ``get_group_for``, which has no ``on``): without a date, "any substitution that has not ended yet"
    counts, so a substitute arranged for next month may EDIT the group's journal today. The module's own
    docstring says the grant is "valid only on the dates of a substitute TeachingAssignment".
    (Depends on today because the code does.)"""
    user = UserFactory()
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    today = dt.date.today()
    year = AcademicYearFactory(
        school=school, name="текущий", start=today - dt.timedelta(days=100), end=today + dt.timedelta(days=200)
    )
    current = TeachingGroupFactory(year=year)
    substitution_start(
        actor=None,
        group=current,
        substitute=user,
        start=today + dt.timedelta(days=30),
        end=today + dt.timedelta(days=34),
    )
    assert current not in groups_for(user, Action.EDIT)
    with pytest.raises(Http404):
        get_group_for(user, current.pk, Action.EDIT)


def test_a_teacher_keeps_no_access_to_lessons_after_their_assignment_ends(school):
    """BUG (accounts/permissions.py ``groups_for``/``lessons_for``: ``teach_group`` is never checked against
    the assignment's dates; accounts/services.py ``_sync_group_perm`` (line 66) removes it only when called, and no
    scheduled task does so at the end date — ``substitutions_expire`` handles substitutes only). A teacher
    whose тарификация ends keeps editing the group's lessons after that day."""
    user = UserFactory()
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    today = dt.date.today()
    year = AcademicYearFactory(
        school=school, name="текущий", start=today - dt.timedelta(days=100), end=today + dt.timedelta(days=200)
    )
    current = TeachingGroupFactory(year=year)
    teacher_assign(actor=None, group=current, teacher=user, start=year.start, end=today + dt.timedelta(days=30))
    during = LessonFactory(group=current, date=today, number=1)
    after_the_end = LessonFactory(group=current, date=today + dt.timedelta(days=60), number=1)
    assert get_lesson_for(user, during.pk, Action.EDIT) == during
    assert current not in groups_for(user, Action.EDIT, on=after_the_end.date)
    with pytest.raises(Http404):
        get_lesson_for(user, after_the_end.pk, Action.EDIT)


def test_the_class_teacher_loses_a_transferred_students_personal_data(world):
    """BUG (accounts/permissions.py ``students_for`` line 277: ``led_students`` matches ANY enrollment in
    the led class, ended ones included): after a transfer to 6Б the former class teacher of 5А may still
    read and EDIT the child's personal data, for good (R15: "their class")."""
    student = world["student"]
    enrollment_transfer(actor=None, student=student, to_class=world["parallel_class"], on=dt.date(2026, 11, 9))
    with pytest.raises(Http404):
        get_student_for(world["class_teacher"], student.pk, StudentAction.PERSONAL_EDIT)
