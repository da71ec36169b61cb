"""The structure of a year (issue 7 point 2, R13): subjects, classes and class teachers, teaching groups
(whole class, subgroups by picking students, streams, individual plans), weekly hours and the teachers'
assignments. Deputy and administrator of the school only; every change in the change log."""

from __future__ import annotations

import datetime as dt

import pytest

from journal.models import GroupMembership, SchoolClass, Subject, TeachingAssignment, TeachingGroup
from journal.services import enrollment_admit
from journal.tests.factories import SchoolClassFactory, StudentFactory, SubjectFactory, TeachingGroupFactory
from office.models import ChangeRecord

pytestmark = pytest.mark.django_db


def _log(school, object_type: str) -> ChangeRecord:
    return ChangeRecord.objects.filter(school=school, object_type=object_type).latest("pk")


@pytest.fixture
def pupils(school, school_class, student):
    """5А: `student` and four more."""
    more = [StudentFactory(school=school) for _ in range(4)]
    for child in more:
        enrollment_admit(actor=None, student=child, school_class=school_class, start=school_class.year.start)
    return [student, *more]


@pytest.fixture
def english(school):
    return SubjectFactory(school=school, name="Английский язык", short_name="Англ.")


# --- access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stranger", ["teacher", "class_teacher", "secretary", "director", "parent", "student_user"])
def test_others_get_404_and_change_nothing(client, request, year, school_class, group, stranger):
    client.force_login(request.getfixturevalue(stranger))
    assert client.get("/office/year/structure/").status_code == 404
    assert client.get(f"/office/year/structure/group/{group.pk}/").status_code == 404
    assert (
        client.post(
            f"/office/year/structure/{year.pk}/class/", {"grade": 7, "letter": "В", "period_kind": "quarter"}
        ).status_code
        == 404
    )
    assert client.post(f"/office/year/structure/class/{school_class.pk}/teacher/", {"teacher": ""}).status_code == 404
    assert SchoolClass.objects.filter(year=year).count() == 1


def test_an_outsider_gets_404_on_this_schools_structure(
    client, school, year, school_class, group, outsider, teacher, other_year
):
    client.force_login(outsider)
    assert client.get(f"/office/year/structure/group/{group.pk}/").status_code == 404
    assert (
        client.post(
            f"/office/year/structure/{year.pk}/subject/",
            {"name": "Химия", "short_name": "Хим.", "assessment": "graded", "kind": "regular"},
        ).status_code
        == 404
    )
    assert (
        client.post(f"/office/year/structure/group/{group.pk}/edit/", {"name": "x", "hours_per_week": "1"}).status_code
        == 404
    )
    assignment = TeachingAssignment.objects.get(group=group)
    assert (
        client.post(f"/office/year/structure/assignment/{assignment.pk}/end/", {"end": "2026-10-01"}).status_code == 404
    )
    assert client.get(f"/office/year/structure/class/{school_class.pk}/split/").status_code == 404
    # their own structure page never shows this school's year
    html = client.get(f"/office/year/structure/?school={school.pk}&year={other_year.pk}").content.decode()
    assert group.name not in html
    assert client.get(f"/office/year/structure/?school={school.pk}&year={year.pk}").status_code == 404
    assignment.refresh_from_db()
    assert assignment.end is None and not Subject.objects.filter(name="Химия").exists()


def test_the_structure_page_costs_the_same_with_more_classes_and_groups(
    client, school, year, deputy, teacher, subject, pupils, django_assert_max_num_queries
):
    from accounts.services import teacher_assign

    made = []

    def grow(n: int) -> None:
        for _k in range(n):
            made.append(1)
            c = SchoolClassFactory(year=year, grade=6 + len(made), letter="Д")
            g = TeachingGroupFactory(year=year, subject=subject, kind="class", name=f"{c.name} матем.", classes=[c])
            teacher_assign(actor=None, group=g, teacher=teacher, start=year.start)

    client.force_login(deputy)
    grow(1)
    url = f"/office/year/structure/?school={school.pk}&year={year.pk}"
    with django_assert_max_num_queries(18) as small:
        assert client.get(url).status_code == 200
    grow(4)
    with django_assert_max_num_queries(len(small)):
        html = client.get(url).content.decode()
    assert "10Д матем." in html and teacher.short_name in html


# --- subjects and classes --------------------------------------------------------------------------------


def test_a_subject_is_added_and_changed_with_the_log(client, school, year, administrator):
    client.force_login(administrator)
    post = {"name": "Химия", "short_name": "Хим.", "assessment": "graded", "kind": "regular"}
    assert client.post(f"/office/year/structure/{year.pk}/subject/", post).status_code == 302
    chemistry = Subject.objects.get(school=school, name="Химия")
    assert _log(school, "subject").actor == administrator
    response = client.post(
        f"/office/year/structure/subject/{chemistry.pk}/", post | {"short_name": "Химия", "year": year.pk}
    )
    assert response.status_code == 302
    chemistry.refresh_from_db()
    assert chemistry.short_name == "Химия"


def test_a_duplicate_subject_gives_a_form_error(client, school, year, deputy, subject):
    client.force_login(deputy)
    post = {"name": subject.name, "short_name": "М", "assessment": "graded", "kind": "regular"}
    response = client.post(f"/office/year/structure/{year.pk}/subject/", post)
    assert response.status_code == 400 and 'data-testid="form-errors"' in response.content.decode()
    assert Subject.objects.filter(school=school).count() == 1


def test_a_class_is_created_with_its_class_teacher(client, school, year, deputy, teacher):
    client.force_login(deputy)
    post = {"grade": 1, "letter": "а", "period_kind": "quarter", "class_teacher": teacher.pk}
    assert client.post(f"/office/year/structure/{year.pk}/class/", post).status_code == 302
    first = SchoolClass.objects.get(year=year, grade=1)
    assert (first.letter, first.class_teacher) == ("А", teacher)
    assert teacher.has_perm("journal.lead_class", first)
    line = _log(school, "class")
    assert line.actor == deputy and "1А" in line.summary


@pytest.mark.parametrize(
    ("post", "why"),
    [
        ({"grade": 5, "letter": "А", "period_kind": "quarter"}, "5А exists"),
        ({"grade": 12, "letter": "А", "period_kind": "quarter"}, "no 12th grade"),
        ({"grade": 5, "letter": "", "period_kind": "quarter"}, "no letter"),
    ],
)
def test_a_bad_class_gives_a_form_error_and_writes_nothing(client, year, deputy, school_class, post, why):
    client.force_login(deputy)
    response = client.post(f"/office/year/structure/{year.pk}/class/", post)
    assert response.status_code == 400, why
    assert SchoolClass.objects.filter(year=year).count() == 1
    assert not ChangeRecord.objects.exists()


def test_the_class_teacher_is_changed_and_the_old_one_loses_the_class(
    client, school, school_class, deputy, class_teacher, teacher
):
    client.force_login(deputy)
    response = client.post(f"/office/year/structure/class/{school_class.pk}/teacher/", {"teacher": teacher.pk})
    assert response.status_code == 302
    school_class.refresh_from_db()
    assert school_class.class_teacher == teacher
    assert teacher.has_perm("journal.lead_class", school_class)
    assert not class_teacher.has_perm("journal.lead_class", school_class)
    assert _log(school, "class").actor == deputy


def test_a_class_teacher_from_outside_the_school_is_refused(client, school_class, deputy, outsider, class_teacher):
    client.force_login(deputy)
    response = client.post(f"/office/year/structure/class/{school_class.pk}/teacher/", {"teacher": outsider.pk})
    assert response.status_code == 400
    school_class.refresh_from_db()
    assert school_class.class_teacher == class_teacher


# --- groups ----------------------------------------------------------------------------------------------


def test_a_whole_class_group_takes_every_student_of_the_class(
    client, school, year, deputy, school_class, english, pupils
):
    client.force_login(deputy)
    post = {"subject": english.pk, "kind": "class", "classes": [school_class.pk], "hours_per_week": "3"}
    response = client.post(f"/office/year/structure/{year.pk}/group/", post)
    group = TeachingGroup.objects.get(subject=english)
    assert response.status_code == 302 and response["Location"] == f"/office/year/structure/group/{group.pk}/"
    assert set(group.memberships.values_list("student_id", flat=True)) == {p.pk for p in pupils}
    assert group.hours_per_week == 3 and group.name == "5А — Английский язык"
    assert _log(school, "group").actor == deputy
    # a second whole-class group of the same subject for the class is refused
    assert client.post(f"/office/year/structure/{year.pk}/group/", post).status_code == 400
    assert TeachingGroup.objects.filter(subject=english).count() == 1


def test_choosing_the_classes_shows_their_students_to_pick(
    client, year, deputy, school_class, english, pupils, other_student
):
    client.force_login(deputy)
    html = client.get(
        f"/office/year/structure/{year.pk}/group/?subject={english.pk}&kind=subgroup&classes={school_class.pk}"
    ).content.decode()
    assert all(f'name="students" value="{p.pk}"' in html for p in pupils)
    assert f'name="students" value="{other_student.pk}"' not in html  # 6Б is not chosen


def test_a_class_is_split_into_two_subgroups_each_student_in_one(
    client, school, year, deputy, school_class, english, pupils
):  # R13
    client.force_login(deputy)
    url = f"/office/year/structure/class/{school_class.pk}/split/"
    assert client.get(url).status_code == 200
    first = pupils[:2]
    response = client.post(url, {"subject": english.pk, "hours_per_week": "3", "first": [p.pk for p in first]})
    assert response.status_code == 302
    groups = list(TeachingGroup.objects.filter(subject=english).order_by("subgroup_number"))
    assert [(g.kind, g.subgroup_number) for g in groups] == [("subgroup", 1), ("subgroup", 2)]
    members = [set(g.memberships.values_list("student_id", flat=True)) for g in groups]
    assert members[0] == {p.pk for p in first}
    assert members[1] == {p.pk for p in pupils[2:]}
    assert members[0].isdisjoint(members[1]) and members[0] | members[1] == {p.pk for p in pupils}
    assert ChangeRecord.objects.filter(school=school, object_type="group", actor=deputy).count() == 2
    # a second split of the same subject would put students into two subgroups: refused, nothing written
    response = client.post(url, {"subject": english.pk, "hours_per_week": "3", "first": [pupils[4].pk]})
    assert response.status_code == 400 and 'data-testid="form-errors"' in response.content.decode()
    assert TeachingGroup.objects.filter(subject=english).count() == 2


def test_a_split_with_everybody_in_one_subgroup_is_refused(client, year, deputy, school_class, english, pupils):
    client.force_login(deputy)
    url = f"/office/year/structure/class/{school_class.pk}/split/"
    response = client.post(url, {"subject": english.pk, "hours_per_week": "3", "first": [p.pk for p in pupils]})
    assert response.status_code == 400
    assert not TeachingGroup.objects.filter(subject=english).exists()


def test_a_student_is_not_added_to_a_second_subgroup(client, year, deputy, school_class, english, pupils):  # R13
    client.force_login(deputy)
    client.post(
        f"/office/year/structure/class/{school_class.pk}/split/",
        {"subject": english.pk, "hours_per_week": "2", "first": [pupils[0].pk]},
    )
    one, two = TeachingGroup.objects.filter(subject=english).order_by("subgroup_number")
    response = client.post(
        f"/office/year/structure/group/{one.pk}/members/", {"students": [pupils[1].pk], "start": "2026-10-01"}
    )
    assert response.status_code == 400
    assert not one.memberships.filter(student=pupils[1]).exists()
    # taken out of subgroup 2 first, then added to subgroup 1 from the next day
    membership = two.memberships.get(student=pupils[1])
    assert (
        client.post(f"/office/year/structure/membership/{membership.pk}/end/", {"end": "2026-09-30"}).status_code == 302
    )
    response = client.post(
        f"/office/year/structure/group/{one.pk}/members/", {"students": [pupils[1].pk], "start": "2026-10-01"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end == dt.date(2026, 9, 30)
    assert one.memberships.get(student=pupils[1]).start == dt.date(2026, 10, 1)


def test_a_stream_across_classes_takes_the_picked_students(
    client, year, deputy, school_class, parallel_class, pupils, other_student, english
):
    client.force_login(deputy)
    post = {
        "subject": english.pk, "kind": "stream", "classes": [school_class.pk, parallel_class.pk], "hours_per_week": "1",
        "name": "Профильная математика", "students": [pupils[0].pk, other_student.pk],
    }  # fmt: skip
    assert client.post(f"/office/year/structure/{year.pk}/group/", post).status_code == 302
    stream = TeachingGroup.objects.get(name="Профильная математика")
    assert stream.kind == "stream" and stream.classes.count() == 2
    assert set(stream.memberships.values_list("student_id", flat=True)) == {pupils[0].pk, other_student.pk}


def test_a_stream_of_one_class_or_without_students_is_refused(client, year, deputy, school_class, pupils, english):
    client.force_login(deputy)
    base = {"subject": english.pk, "kind": "stream", "hours_per_week": "1"}
    assert (
        client.post(
            f"/office/year/structure/{year.pk}/group/",
            base | {"classes": [school_class.pk], "students": [pupils[0].pk]},
        ).status_code
        == 400
    )
    assert not TeachingGroup.objects.filter(subject=english).exists()


def test_an_individual_plan_is_for_one_student_of_the_class(
    client, year, deputy, school_class, pupils, other_student, english
):
    client.force_login(deputy)
    base = {"subject": english.pk, "kind": "individual", "classes": [school_class.pk], "hours_per_week": "0.5"}
    assert (
        client.post(
            f"/office/year/structure/{year.pk}/group/", base | {"students": [pupils[0].pk, pupils[1].pk]}
        ).status_code
        == 400
    )
    assert (
        client.post(f"/office/year/structure/{year.pk}/group/", base | {"students": [other_student.pk]}).status_code
        == 400
    )
    assert (
        client.post(f"/office/year/structure/{year.pk}/group/", base | {"students": [pupils[0].pk]}).status_code == 302
    )
    plan = TeachingGroup.objects.get(subject=english)
    assert plan.kind == "individual" and list(plan.memberships.values_list("student_id", flat=True)) == [pupils[0].pk]


def test_the_hours_and_name_of_a_group_change_with_the_log(client, school, group, deputy):
    client.force_login(deputy)
    assert (
        client.post(
            f"/office/year/structure/group/{group.pk}/edit/", {"name": "5А, алгебра", "hours_per_week": "5"}
        ).status_code
        == 302
    )
    group.refresh_from_db()
    assert (group.name, group.hours_per_week) == ("5А, алгебра", 5)
    assert _log(school, "group").data["old"]["hours"] == "4.0"
    assert (
        client.post(f"/office/year/structure/group/{group.pk}/edit/", {"name": "x", "hours_per_week": "0"}).status_code
        == 400
    )
    group.refresh_from_db()
    assert group.hours_per_week == 5


def test_the_group_page_lists_members_and_teachers(
    client, group, deputy, teacher, student, django_assert_max_num_queries
):
    client.force_login(deputy)
    with django_assert_max_num_queries(16):
        html = client.get(f"/office/year/structure/group/{group.pk}/").content.decode()
    assert student.short_name in html and teacher.short_name in html


# --- assignments (тарификация) ---------------------------------------------------------------------------


def test_a_teacher_is_assigned_and_the_assignment_ended(client, school, year, group, deputy, teacher):
    from accounts.services import staff_role_grant
    from accounts.tests.factories import UserFactory

    newcomer = UserFactory(username="newcomer", last_name="Новикова", first_name="Ольга")
    staff_role_grant(actor=None, user=newcomer, school=school, role="teacher")
    client.force_login(deputy)
    response = client.post(
        f"/office/year/structure/group/{group.pk}/assign/", {"teacher": newcomer.pk, "start": "2026-09-01"}
    )
    assert response.status_code == 302
    assignment = TeachingAssignment.objects.get(group=group, teacher=newcomer)
    assert newcomer.has_perm("journal.teach_group", group)
    assert _log(school, "assignment").actor == deputy
    # twice is refused
    assert (
        client.post(
            f"/office/year/structure/group/{group.pk}/assign/", {"teacher": newcomer.pk, "start": "2026-10-01"}
        ).status_code
        == 400
    )
    assert TeachingAssignment.objects.filter(group=group, teacher=newcomer).count() == 1
    # ended before it started: refused; ended in the past: the grant goes
    assert (
        client.post(f"/office/year/structure/assignment/{assignment.pk}/end/", {"end": "2026-08-01"}).status_code == 400
    )
    assert (
        client.post(f"/office/year/structure/assignment/{assignment.pk}/end/", {"end": "2026-09-30"}).status_code == 302
    )
    assignment.refresh_from_db()
    assert assignment.end == dt.date(2026, 9, 30)
    assert _log(school, "assignment").action == "change"


def test_a_teacher_of_another_school_is_not_assigned(client, group, deputy, outsider):
    client.force_login(deputy)
    response = client.post(
        f"/office/year/structure/group/{group.pk}/assign/", {"teacher": outsider.pk, "start": "2026-09-01"}
    )
    assert response.status_code == 400
    assert not TeachingAssignment.objects.filter(teacher=outsider).exists()


def test_a_whole_class_group_does_not_take_picked_members(client, group, deputy, student):
    client.force_login(deputy)
    membership = GroupMembership.objects.get(group=group, student=student)
    assert (
        client.post(f"/office/year/structure/membership/{membership.pk}/end/", {"end": "2026-10-01"}).status_code == 400
    )
    membership.refresh_from_db()
    assert membership.end is None
