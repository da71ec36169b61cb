"""The year-end rollover (issue 7 point 5, R27): a dry run shows who moves where, who graduates (9th and
11th) and who is retained; applying it is one transaction by an order; it can be undone until the new
year starts, and only while nothing refers to the new enrollments."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from journal.models import Enrollment, EnrollmentReason, GroupMembership, SchoolClass
from journal.selectors import members_on
from journal.services import enrollment_admit, membership_add
from journal.tests.factories import AcademicYearFactory, SchoolClassFactory, StudentFactory, TeachingGroupFactory
from office.models import ChangeRecord, RolloverRun, RolloverStatus

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NEXT_START = dt.date(2027, 9, 1)


@pytest.fixture
def next_year(school):
    return AcademicYearFactory(school=school, name="2027/2028", start=NEXT_START, end=dt.date(2028, 5, 31))


@pytest.fixture
def school_of_four(school, year, subject):
    """5В (two students), 9В (two), 11В (one) in 2026/2027; a whole-class group per class."""
    students = {}
    for grade, names in ((5, ["Антонов", "Борисова"]), (9, ["Васильев", "Григорьева"]), (11, ["Дмитриев"])):
        school_class = SchoolClassFactory(year=year, grade=grade, letter="В")
        TeachingGroupFactory(
            year=year, subject=subject, kind="class", name=f"{school_class.name}", classes=[school_class]
        )
        for name in names:
            child = StudentFactory(school=school, last_name=name)
            enrollment_admit(actor=None, student=child, school_class=school_class, start=year.start)
            students[name] = child
    return students


def _page(client, school, year, data=None):
    url = f"{reverse('office_rollover')}?school={school.pk}&year={year.pk}"
    if data is None:
        return client.get(url)
    return client.post(reverse("office_rollover"), {"school": school.pk, "year": year.pk, **data})


def _fingerprint(response) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', response.content.decode()).group(1)


def _apply(client, school, year, fingerprint, **choices):
    data = {
        "action": "apply",
        "fingerprint": fingerprint,
        "order_number": "99-о",
        "order_date": "2027-05-28",
        **choices,
    }
    return _page(client, school, year, data)


def test_the_dry_run_shows_the_plan_and_changes_nothing(client, school, year, next_year, school_of_four, secretary):
    client.force_login(secretary)
    enrollments = list(Enrollment.objects.values_list("pk", "end"))
    response = _page(client, school, year)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-testid="count-promote">2<', html)
    assert re.search(r'data-testid="count-graduate">3<', html)  # 9th and 11th graduate by default
    assert 'data-testid="target-6В"' in html  # 6В does not exist yet: a problem, and apply is disabled
    assert re.search(r'data-testid="apply"[^>]*disabled', html)
    assert list(Enrollment.objects.values_list("pk", "end")) == enrollments
    assert not SchoolClass.objects.filter(year=next_year).exists()


def test_the_rollover_promotes_graduates_and_retains_by_the_choices(
    client, school, year, next_year, school_of_four, secretary
):
    client.force_login(secretary)
    _page(client, school, year, {"action": "classes"})  # 6В (and 9В for the retained one is not needed yet)
    assert set(SchoolClass.objects.filter(year=next_year).values_list("grade", flat=True)) == {6}
    tenth = SchoolClassFactory(year=next_year, grade=10, letter="В")
    s = school_of_four
    choices = {f"c{s['Васильев'].pk}": f"to{tenth.pk}", f"c{s['Борисова'].pk}": "retain"}
    response = _page(client, school, year, {"action": "preview", **choices})
    assert "5В" in response.content.decode()  # Борисова stays in 5В: missing, so the plan has a problem
    _page(client, school, year, {"action": "classes", **choices})
    response = _page(client, school, year, {"action": "preview", **choices})
    response = _apply(client, school, year, _fingerprint(response), **choices)
    assert response.status_code == 302

    def now_in(student):
        return (
            Enrollment.objects.filter(student=student, start=NEXT_START)
            .values_list("school_class__grade", flat=True)
            .first()
        )

    assert now_in(s["Антонов"]) == 6
    assert now_in(s["Борисова"]) == 5
    assert now_in(s["Васильев"]) == 10
    assert now_in(s["Григорьева"]) is None and now_in(s["Дмитриев"]) is None
    old = {e.student_id: e for e in Enrollment.objects.filter(school_class__year=year)}
    assert {e.end for e in old.values()} == {year.end}
    assert old[s["Антонов"].pk].end_reason == EnrollmentReason.PROMOTED
    assert old[s["Борисова"].pk].end_reason == EnrollmentReason.RETAINED
    assert old[s["Григорьева"].pk].end_reason == EnrollmentReason.GRADUATED
    assert old[s["Дмитриев"].pk].end_reason == EnrollmentReason.GRADUATED
    assert "99-о" in old[s["Антонов"].pk].end_order_number
    run = RolloverRun.objects.get()
    assert run.status == RolloverStatus.APPLIED and len(run.plan) == 5
    assert ChangeRecord.objects.filter(object_type="rollover", action="apply", actor=secretary).exists()


def test_a_plan_that_changed_since_it_was_shown_is_not_applied(
    client, school, year, next_year, school_of_four, secretary
):
    client.force_login(secretary)
    SchoolClassFactory(year=next_year, grade=6, letter="В")
    fingerprint = _fingerprint(_page(client, school, year))
    late = StudentFactory(school=school, last_name="Поздняков")
    enrollment_admit(
        actor=None,
        student=late,
        school_class=SchoolClass.objects.get(year=year, grade=5, letter="В"),
        start=dt.date(2026, 11, 2),
    )
    response = _apply(client, school, year, fingerprint)
    assert response.status_code == 200
    assert not RolloverRun.objects.exists()
    assert not Enrollment.objects.filter(start=NEXT_START).exists()
    assert not Enrollment.objects.filter(school_class__year=year, end__isnull=False).exists()


def test_the_rollover_is_applied_once(client, school, year, next_year, school_of_four, secretary):
    client.force_login(secretary)
    SchoolClassFactory(year=next_year, grade=6, letter="В")
    fingerprint = _fingerprint(_page(client, school, year))
    assert _apply(client, school, year, fingerprint).status_code == 302
    created = Enrollment.objects.filter(start=NEXT_START).count()
    _apply(client, school, year, fingerprint)
    assert Enrollment.objects.filter(start=NEXT_START).count() == created == 2
    assert RolloverRun.objects.count() == 1


def test_undo_restores_exactly_what_was_there(client, school, year, next_year, school_of_four, secretary):
    client.force_login(secretary)
    sixth = SchoolClassFactory(year=next_year, grade=6, letter="В")
    group6 = TeachingGroupFactory(year=next_year, kind="class", name="6В", classes=[sixth])
    before_enrollments = sorted(
        Enrollment.objects.values_list("pk", "student_id", "school_class_id", "start", "end", "end_reason")
    )
    before_members = sorted(GroupMembership.objects.values_list("pk", "group_id", "student_id", "start", "end"))
    _apply(client, school, year, _fingerprint(_page(client, school, year)))
    assert members_on(group6, NEXT_START).count() == 2
    run = RolloverRun.objects.get()
    response = client.post(reverse("office_rollover_undo", args=[run.pk]))
    assert response.status_code == 302
    assert (
        sorted(Enrollment.objects.values_list("pk", "student_id", "school_class_id", "start", "end", "end_reason"))
        == before_enrollments
    )
    assert sorted(GroupMembership.objects.values_list("pk", "group_id", "student_id", "start", "end")) == before_members
    run.refresh_from_db()
    assert run.status == RolloverStatus.UNDONE and run.undone_by == secretary
    # and it can be applied again afterwards
    assert _apply(client, school, year, _fingerprint(_page(client, school, year))).status_code == 302


def test_undo_is_refused_once_the_new_year_has_begun(client, school, year, next_year, school_of_four, secretary):
    client.force_login(secretary)
    SchoolClassFactory(year=next_year, grade=6, letter="В")
    _apply(client, school, year, _fingerprint(_page(client, school, year)))
    run = RolloverRun.objects.get()
    created = Enrollment.objects.filter(start=NEXT_START).count()
    with time_machine.travel(dt.datetime(2027, 9, 1, 8, 0, tzinfo=MSK), tick=False):
        client.force_login(secretary)
        response = client.post(reverse("office_rollover_undo", args=[run.pk]), follow=True)
    assert "01.09.2027" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RolloverStatus.APPLIED
    assert Enrollment.objects.filter(start=NEXT_START).count() == created


def test_undo_is_refused_when_the_new_year_already_refers_to_a_student(
    client, school, year, next_year, subject, school_of_four, secretary
):
    client.force_login(secretary)
    sixth = SchoolClassFactory(year=next_year, grade=6, letter="В")
    _apply(client, school, year, _fingerprint(_page(client, school, year)))
    english = TeachingGroupFactory(
        year=next_year, subject=subject, kind="subgroup", name="6В, группа 1", classes=[sixth]
    )
    membership_add(actor=None, group=english, student=school_of_four["Антонов"], start=NEXT_START)
    run = RolloverRun.objects.get()
    response = client.post(reverse("office_rollover_undo", args=[run.pk]), follow=True)
    assert "Антонов" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RolloverStatus.APPLIED
    assert Enrollment.objects.filter(start=NEXT_START).count() == 2


def test_without_a_next_year_the_page_says_so(client, school, year, school_of_four, secretary):
    client.force_login(secretary)
    response = _page(client, school, year)
    assert 'data-testid="no-next-year"' in response.content.decode()


@pytest.mark.parametrize("who", ["teacher", "parent"])
def test_others_cannot_apply_or_undo(client, request, school, year, next_year, school_of_four, secretary, who):
    SchoolClassFactory(year=next_year, grade=6, letter="В")
    SchoolClassFactory(year=next_year, grade=6, letter="А")  # the parent's child is in 5А
    outsider = request.getfixturevalue(who)  # before the dry run: the parent's child is part of the plan
    client.force_login(secretary)
    fingerprint = _fingerprint(_page(client, school, year))
    client.force_login(outsider)
    assert _apply(client, school, year, fingerprint).status_code == 404
    assert not Enrollment.objects.filter(start=NEXT_START).exists()
    client.force_login(secretary)
    _apply(client, school, year, fingerprint)
    run = RolloverRun.objects.get()
    client.force_login(outsider)
    assert client.post(reverse("office_rollover_undo", args=[run.pk])).status_code == 404
    assert RolloverRun.objects.get().status == RolloverStatus.APPLIED


def test_another_schools_secretary_cannot_undo_this_schools_rollover(
    client, school, other_school, year, next_year, school_of_four, secretary
):
    from accounts.services import staff_role_grant
    from accounts.tests.factories import UserFactory

    SchoolClassFactory(year=next_year, grade=6, letter="В")
    client.force_login(secretary)
    _apply(client, school, year, _fingerprint(_page(client, school, year)))
    stranger = UserFactory(username="stranger")
    staff_role_grant(actor=None, user=stranger, school=other_school, role="secretary")
    client.force_login(stranger)
    run = RolloverRun.objects.get()
    assert client.post(reverse("office_rollover_undo", args=[run.pk])).status_code == 404
    assert _page(client, school, year).status_code == 404
    assert RolloverRun.objects.get().status == RolloverStatus.APPLIED


def test_the_dry_run_takes_a_fixed_number_of_queries(
    client, school, year, next_year, school_of_four, secretary, django_assert_max_num_queries
):
    fifth = SchoolClass.objects.get(year=year, grade=5, letter="В")
    for _n in range(40):
        enrollment_admit(actor=None, student=StudentFactory(school=school), school_class=fifth, start=year.start)
    client.force_login(secretary)
    with django_assert_max_num_queries(16):
        response = _page(client, school, year)
    assert response.content.decode().count('data-testid="row-') == 45
