"""The services that grant and take away access write exactly the guardian rows the authorization module
reads (accounts/services.py; DESIGN.md §4; R12, R15, R17)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import (
    Role,
    SchoolClassUserObjectPermission,
    SchoolUserObjectPermission,
    StaffRole,
    StudentUserObjectPermission,
    TeachingGroupUserObjectPermission,
)
from accounts.permissions import ROLE_PERMISSIONS, Action, classes_for, get_lesson_for, groups_for, lessons_for
from accounts.tests.factories import UserFactory
from journal.tests.factories import SUBSTITUTION_END, SUBSTITUTION_START, YEAR_START

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
TABLES = {
    "school": SchoolUserObjectPermission,
    "class": SchoolClassUserObjectPermission,
    "group": TeachingGroupUserObjectPermission,
    "student": StudentUserObjectPermission,
}


def grants(user) -> set[tuple[str, int, str]]:
    """Every object permission the user holds, as (kind of object, object id, codename)."""
    return {
        (kind, object_id, codename)
        for kind, table in TABLES.items()
        for object_id, codename in table.objects.filter(user=user).values_list(
            "content_object_id", "permission__codename"
        )
    }


def school_grants(school, *codenames: str) -> set[tuple[str, int, str]]:
    return {("school", school.pk, c) for c in codenames}


# --- staff roles ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_a_staff_role_grants_exactly_its_permissions_on_its_school(school, other_school, role):
    user = UserFactory()
    staff_role = services.staff_role_grant(actor=None, user=user, school=school, role=role, position="учитель")
    assert (staff_role.user, staff_role.school, staff_role.role) == (user, school, role)
    assert grants(user) == school_grants(school, *ROLE_PERMISSIONS[role])
    assert not SchoolUserObjectPermission.objects.filter(content_object=other_school).exists()


def test_granting_a_role_twice_changes_nothing(school):
    user = UserFactory()
    services.staff_role_grant(actor=None, user=user, school=school, role=Role.DEPUTY)
    before = grants(user)
    services.staff_role_grant(actor=None, user=user, school=school, role=Role.DEPUTY)
    assert grants(user) == before
    assert StaffRole.objects.filter(user=user).count() == 1


def test_an_unknown_role_is_refused(school):
    with pytest.raises(ValidationError):
        services.staff_role_grant(actor=None, user=UserFactory(), school=school, role="janitor")


def test_revoking_the_only_role_removes_every_school_permission(deputy, school):
    services.staff_role_revoke(actor=None, user=deputy, school=school, role=Role.DEPUTY)
    assert grants(deputy) == set()
    assert not StaffRole.objects.filter(user=deputy).exists()


def test_revoking_one_role_keeps_the_permissions_of_another(school):
    user = UserFactory()
    services.staff_role_grant(actor=None, user=user, school=school, role=Role.DEPUTY)
    services.staff_role_grant(actor=None, user=user, school=school, role=Role.SECRETARY)
    assert grants(user) == school_grants(school, *(ROLE_PERMISSIONS[Role.DEPUTY] | ROLE_PERMISSIONS[Role.SECRETARY]))

    services.staff_role_revoke(actor=None, user=user, school=school, role=Role.SECRETARY)
    # manage_enrollment and the personal data are the deputy's too: they stay; the registry ones go.
    assert grants(user) == school_grants(school, *ROLE_PERMISSIONS[Role.DEPUTY])
    assert ("school", school.pk, "register_archive") not in grants(user)


def test_a_role_in_one_school_is_untouched_by_revoking_it_in_another(school, other_school):
    user = UserFactory()  # a teacher working in two schools, deputy in both
    services.staff_role_grant(actor=None, user=user, school=school, role=Role.DEPUTY)
    services.staff_role_grant(actor=None, user=user, school=other_school, role=Role.DEPUTY)
    services.staff_role_revoke(actor=None, user=user, school=other_school, role=Role.DEPUTY)
    assert grants(user) == school_grants(school, *ROLE_PERMISSIONS[Role.DEPUTY])


def test_staff_roles_never_write_global_permissions(school):
    user = UserFactory()
    for role in Role.values:
        services.staff_role_grant(actor=None, user=user, school=school, role=role)
    user.refresh_from_db()
    assert not user.user_permissions.exists()
    assert not user.has_perm("journal.view_all_journals")  # no global grant through ModelBackend


# --- subject teachers ------------------------------------------------------------------------------------------


def test_assigning_a_teacher_grants_teach_group_on_that_group_only(teacher, group):
    assert grants(teacher) == {("group", group.pk, "teach_group")}


def test_a_person_without_a_role_in_the_school_cannot_be_assigned(group, outsider):
    with pytest.raises(ValidationError):
        services.teacher_assign(actor=None, group=group, teacher=outsider, start=YEAR_START)
    with pytest.raises(ValidationError):
        services.teacher_assign(actor=None, group=group, teacher=UserFactory(), start=YEAR_START)
    assert grants(outsider) == school_grants(outsider.staff_roles.get().school, *ROLE_PERMISSIONS[Role.DEPUTY])


def test_an_end_before_the_start_is_refused(school, group):
    user = UserFactory()
    services.staff_role_grant(actor=None, user=user, school=school, role=Role.TEACHER)
    with pytest.raises(ValidationError):
        services.teacher_assign(actor=None, group=group, teacher=user, start=YEAR_START, end=YEAR_START - DAY)


def test_ending_the_assignment_removes_the_grant(teacher, group):
    assignment = group.assignments.get(teacher=teacher)
    services.teacher_unassign(actor=None, assignment=assignment, end=dt.date(2026, 10, 30))
    assert grants(teacher) == set()
    assert not groups_for(teacher, Action.EDIT).exists()


def test_ending_one_assignment_keeps_the_grant_of_another_open_one(teacher, group):
    first = group.assignments.get(teacher=teacher)
    services.teacher_assign(actor=None, group=group, teacher=teacher, start=dt.date(2027, 1, 11))
    services.teacher_unassign(actor=None, assignment=first, end=dt.date(2026, 12, 30))
    assert grants(teacher) == {("group", group.pk, "teach_group")}


# --- class teachers ---------------------------------------------------------------------------------------------


def test_the_class_teacher_holds_lead_class_on_the_class(class_teacher, school_class):
    assert grants(class_teacher) == {("class", school_class.pk, "lead_class")}
    school_class.refresh_from_db()
    assert school_class.class_teacher == class_teacher


def test_a_new_class_teacher_takes_lead_class_from_the_previous_one(class_teacher, school, school_class, teacher):
    services.class_teacher_set(actor=None, school_class=school_class, teacher=teacher)
    school_class.refresh_from_db()
    assert school_class.class_teacher == teacher
    assert grants(class_teacher) == set()
    assert ("class", school_class.pk, "lead_class") in grants(teacher)
    assert list(classes_for(teacher, lead_only=True)) == [school_class]
    assert not classes_for(class_teacher).exists()


def test_setting_the_same_class_teacher_again_keeps_the_grant(class_teacher, school_class):
    services.class_teacher_set(actor=None, school_class=school_class, teacher=class_teacher)
    assert grants(class_teacher) == {("class", school_class.pk, "lead_class")}


def test_a_class_may_be_left_without_a_class_teacher(class_teacher, school_class):
    services.class_teacher_set(actor=None, school_class=school_class, teacher=None)
    school_class.refresh_from_db()
    assert school_class.class_teacher is None
    assert grants(class_teacher) == set()


def test_a_class_teacher_from_another_school_is_refused(school_class, outsider, class_teacher):
    with pytest.raises(ValidationError):
        services.class_teacher_set(actor=None, school_class=school_class, teacher=outsider)
    school_class.refresh_from_db()
    assert school_class.class_teacher == class_teacher
    assert ("class", school_class.pk, "lead_class") not in grants(outsider)


# --- substitutions (R12) -----------------------------------------------------------------------------------------


@pytest.fixture
def lessons(make_lesson):
    """5А math lessons just before, on the first and last day of, and just after the substitution."""
    return {
        "before": make_lesson(date=SUBSTITUTION_START - DAY),
        "first": make_lesson(date=SUBSTITUTION_START),
        "last": make_lesson(date=SUBSTITUTION_END),
        "after": make_lesson(date=SUBSTITUTION_END + dt.timedelta(days=3)),
    }


def test_a_substitution_grants_substitute_group_on_the_group(substitute, group, substitution):
    assert grants(substitute) == {("group", group.pk, "substitute_group")}
    assert (substitution.role, substitution.start, substitution.end) == (
        "substitute",
        SUBSTITUTION_START,
        SUBSTITUTION_END,
    )


def test_the_substitution_works_only_on_its_dates(substitute, group, lessons):  # R12
    for name in ("first", "last"):
        assert get_lesson_for(substitute, lessons[name].pk, Action.EDIT) == lessons[name]
    assert set(lessons_for(substitute, Action.EDIT)) == {lessons["first"], lessons["last"]}
    assert group in groups_for(substitute, Action.EDIT, on=SUBSTITUTION_START)
    assert group in groups_for(substitute, Action.EDIT, on=SUBSTITUTION_END)
    assert group not in groups_for(substitute, Action.EDIT, on=SUBSTITUTION_START - DAY)
    assert group not in groups_for(substitute, Action.EDIT, on=SUBSTITUTION_END + DAY)


def test_a_substitution_of_another_school_is_refused(group, outsider):
    with pytest.raises(ValidationError):
        services.substitution_start(
            actor=None, group=group, substitute=outsider, start=SUBSTITUTION_START, end=SUBSTITUTION_END
        )
    assert ("group", group.pk, "substitute_group") not in grants(outsider)


def test_expiry_keeps_grants_while_the_substitution_lasts(substitute, group):
    assert services.assignments_expire(today=SUBSTITUTION_START) == 0
    assert services.assignments_expire(today=SUBSTITUTION_END) == 0
    assert grants(substitute) == {("group", group.pk, "substitute_group")}


def test_expiry_removes_ended_substitutions_and_is_idempotent(substitute, teacher, group, lessons):
    assert services.assignments_expire(today=SUBSTITUTION_END + DAY) == 1
    assert grants(substitute) == set()
    assert not lessons_for(substitute, Action.EDIT).exists()
    assert services.assignments_expire(today=SUBSTITUTION_END + DAY) == 0
    # The main teacher's grant is not a substitution and stays.
    assert grants(teacher) == {("group", group.pk, "teach_group")}


def test_expiry_keeps_a_grant_while_another_substitution_in_the_group_lasts(substitute, group, school):
    services.substitution_start(
        actor=None, group=group, substitute=substitute, start=dt.date(2026, 12, 7), end=dt.date(2026, 12, 11)
    )
    assert services.assignments_expire(today=SUBSTITUTION_END + DAY) == 0
    assert grants(substitute) == {("group", group.pk, "substitute_group")}
    assert services.assignments_expire(today=dt.date(2026, 12, 12)) == 1


def test_ending_a_substitution_before_it_started_removes_it(school, group):
    user = UserFactory()
    services.staff_role_grant(actor=None, user=user, school=school, role=Role.TEACHER)
    start = dt.date.today() + dt.timedelta(days=30)  # the service compares with today: a future substitution
    assignment = services.substitution_start(
        actor=None, group=group, substitute=user, start=start, end=start + dt.timedelta(days=4)
    )
    services.substitution_end(actor=None, assignment=assignment)
    assert not group.assignments.filter(teacher=user).exists()
    assert grants(user) == set()


# --- parents and students' own logins (R15, R17) ----------------------------------------------------------------


def test_a_parent_link_grants_the_diary_of_that_child_only(parent, student):
    assert grants(parent) == {("student", student.pk, "view_diary")}
    assert parent.children_links.get().relation == "mother"


def test_linking_twice_keeps_one_link(parent, student):
    services.parent_link(actor=None, parent=parent, student=student, relation="father")
    assert parent.children_links.count() == 1
    assert grants(parent) == {("student", student.pk, "view_diary")}


def test_unlinking_removes_the_diary(parent, student):
    services.parent_unlink(actor=None, parent=parent, student=student)
    assert grants(parent) == set()
    assert not parent.children_links.exists()


def test_unlinking_one_child_keeps_the_other(parent, student, other_student):
    services.parent_link(actor=None, parent=parent, student=other_student)
    services.parent_unlink(actor=None, parent=parent, student=student)
    assert grants(parent) == {("student", other_student.pk, "view_diary")}


def test_a_students_own_login_reads_their_own_diary(student_user, student):
    assert grants(student_user) == {("student", student.pk, "view_diary")}
    student.refresh_from_db()
    assert student.user == student_user


def test_replacing_a_students_login_moves_the_diary(student_user, student):
    new_login = UserFactory()
    services.student_login_set(actor=None, student=student, user=new_login)
    assert grants(student_user) == set()
    assert grants(new_login) == {("student", student.pk, "view_diary")}


def test_taking_a_students_login_away_removes_the_diary(student_user, student):
    services.student_login_set(actor=None, student=student, user=None)
    student.refresh_from_db()
    assert student.user is None
    assert grants(student_user) == set()


def test_expiry_removes_the_grant_of_an_ended_main_assignment(teacher, group):
    assignment = group.assignments.get(teacher=teacher, role="main")
    assignment.end = dt.date(2026, 12, 31)
    assignment.save(update_fields=["end"])
    assert services.assignments_expire(today=dt.date(2026, 12, 31)) == 0
    assert grants(teacher) == {("group", group.pk, "teach_group")}
    assert services.assignments_expire(today=dt.date(2027, 1, 1)) == 1
    assert grants(teacher) == set()
    assert services.assignments_expire(today=dt.date(2027, 1, 1)) == 0


def test_a_role_grant_takes_a_bounded_number_of_queries(school, django_assert_max_num_queries):
    user = UserFactory()
    with django_assert_max_num_queries(12):
        services.staff_role_grant(actor=None, user=user, school=school, role=Role.DEPUTY)
    assert grants(user) == {("school", school.pk, codename) for codename in ROLE_PERMISSIONS[Role.DEPUTY]}
