"""The Django admin of journal, accounts, attendance and grading: every page a platform superuser opens
renders, history-bearing rows are read-only, and grants made here still go through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import (
    ParentLink,
    PersonalDataChange,
    SchoolUserObjectPermission,
    StaffRole,
    StudentUserObjectPermission,
)
from accounts.tests.factories import ConsentFactory, LoginEventFactory, UserFactory
from attendance.tests.factories import AbsenceFactory
from grading.history import EventData, event_append
from grading.models import JournalEvent
from grading.tests.factories import MarkColumnFactory, MarkFactory, PeriodMarkFactory, WorkTypeFactory
from journal.models import DiaryAcknowledgement, HomeworkAttachment, PeriodLock
from journal.tests.factories import (
    BellFactory,
    HolidayFactory,
    HomeworkFactory,
    LessonFactory,
    LessonNoteFactory,
    PlanItemFactory,
    SchoolClassFactory,
    StudentFactory,
    StudyPeriodFactory,
    TimetableSlotFactory,
)

pytestmark = pytest.mark.django_db

APPS = {"journal", "accounts", "attendance", "grading"}
MODELS = sorted((m._meta.app_label, m._meta.model_name) for m in admin.site._registry if m._meta.app_label in APPS)
READ_ONLY = {
    ("grading", "journalevent"),
    ("grading", "mark"),
    ("grading", "periodmark"),
    ("grading", "markcolumn"),
    ("attendance", "absence"),
    ("journal", "lesson"),
    ("journal", "homework"),
    ("journal", "homeworkattachment"),
    ("journal", "lessonnote"),
    ("journal", "diaryacknowledgement"),
    ("journal", "periodlock"),
    ("journal", "enrollment"),
    ("journal", "teachingassignment"),
    ("accounts", "loginevent"),
    ("accounts", "schooluserobjectpermission"),
    ("accounts", "schoolclassuserobjectpermission"),
    ("accounts", "teachinggroupuserobjectpermission"),
    ("accounts", "studentuserobjectpermission"),
}


def test_every_model_of_the_four_apps_is_registered():
    from django.apps import apps

    expected = {
        (m._meta.app_label, m._meta.model_name) for label in APPS for m in apps.get_app_config(label).get_models()
    }
    assert set(MODELS) == expected


def _fill(world: dict[str, Any]) -> None:
    """One row of everything, on top of the personas."""
    group, student, teacher = world["group"], world["student"], world["teacher"]
    lesson = world["make_lesson"](date=dt.date(2026, 10, 7), teacher=teacher)
    column = MarkColumnFactory(lesson=lesson, work_type=WorkTypeFactory(school=world["school"]))
    mark = MarkFactory(column=column, student=student, value=5, created_by=teacher)
    PeriodMarkFactory(group=group, student=student, period=StudyPeriodFactory(year=world["year"]), value=5)
    AbsenceFactory(lesson=lesson, student=world["other_student"], reason="illness")
    HolidayFactory(year=world["year"])
    homework = HomeworkFactory(lesson=lesson, created_by=teacher)
    HomeworkAttachment.objects.create(
        homework=homework,
        file="homework/1/task.pdf",
        original_name="task.pdf",
        size=1024,
        content_type="application/pdf",
    )
    LessonNoteFactory(lesson=lesson, student=student, created_by=teacher)
    DiaryAcknowledgement.objects.create(student=student, parent=world["parent"], week_start=dt.date(2026, 10, 5))
    PlanItemFactory(group=group)
    PeriodLock.objects.create(
        period=StudyPeriodFactory(year=world["year"], number=3, start=dt.date(2027, 1, 11), end=dt.date(2027, 3, 20)),
        school_class=SchoolClassFactory(year=world["year"], grade=10),
    )
    TimetableSlotFactory(group=group)
    BellFactory(school=world["school"])
    ConsentFactory(student=student)
    LoginEventFactory(user=teacher)
    PersonalDataChange.objects.create(
        actor=teacher, object_type="student", object_id=student.pk, field="address", old="", new="ул. Ленина, 1"
    )
    event_append(
        group.pk,
        EventData(
            actor_id=teacher.pk,
            action="create",
            object_type="mark",
            object_id=mark.pk,
            lesson_id=lesson.pk,
            student_id=student.pk,
            new={"value": 5},
        ),
    )


@pytest.fixture
def filled(everyone, request, superuser, client) -> dict[str, Any]:
    world = {name: request.getfixturevalue(name) for name in ("school", "year", "group", "student", "make_lesson")}
    world.update(everyone, other_student=request.getfixturevalue("other_student"))
    _fill(world)
    client.force_login(superuser)
    return world


def _model(app_label: str, model_name: str) -> Any:
    return next(m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app_label, model_name))


def test_every_changelist_and_a_change_page_render(filled, client):
    """One world, every page: a failure lists every page that did not answer 200."""
    broken = []
    for app_label, model_name in MODELS:
        changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
        obj = _model(app_label, model_name)._default_manager.order_by("pk").first()
        if obj is None:
            broken.append(f"{app_label}.{model_name}: no row to open")
            continue
        pages = [
            (changelist, {}),
            (changelist, {"q": "Иванов"}),  # every search field is a real lookup
            (reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]), {}),
        ]
        for url, params in pages:
            status = client.get(url, params).status_code
            if status != 200:
                broken.append(f"{url} {params or ''} -> {status}")
    assert not broken, "\n".join(broken)


def test_history_and_grant_rows_are_read_only(filled, client):
    """Marks, absences, history, lessons, grants… change only through the services (R4): no add, no
    change, no delete, for a superuser too; the rows stay."""
    writable = []
    for app_label, model_name in sorted(READ_ONLY):
        model = _model(app_label, model_name)
        obj = model._default_manager.order_by("pk").first()
        answers = {
            "add": client.get(reverse(f"admin:{app_label}_{model_name}_add")).status_code,
            "change": client.post(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]), {}).status_code,
            "delete": client.post(
                reverse(f"admin:{app_label}_{model_name}_delete", args=[obj.pk]), {"post": "yes"}
            ).status_code,
        }
        writable += [f"{app_label}.{model_name} {what} -> {code}" for what, code in answers.items() if code != 403]
        if not model._default_manager.filter(pk=obj.pk).exists():
            writable.append(f"{app_label}.{model_name}: the row was deleted")
    assert not writable, "\n".join(writable)


def test_the_journal_history_page_shows_the_event_but_offers_no_actions(filled, client):
    event = JournalEvent.objects.get()
    response = client.get(reverse("admin:grading_journalevent_change", args=[event.pk]))
    assert event.hash in response.content.decode()
    changelist = client.get(reverse("admin:grading_journalevent_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert reverse("admin:grading_journalevent_add") not in changelist


def test_adding_a_staff_role_in_the_admin_grants_through_the_service(filled, client, school):
    user = UserFactory()
    response = client.post(
        reverse("admin:accounts_staffrole_add"),
        {"user": user.pk, "school": school.pk, "role": "secretary", "position": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert StaffRole.objects.filter(user=user, school=school, role="secretary").exists()
    granted = set(SchoolUserObjectPermission.objects.filter(user=user).values_list("permission__codename", flat=True))
    assert "manage_enrollment" in granted and "view_all_journals" not in granted


def test_deleting_a_staff_role_in_the_admin_revokes_through_the_service(filled, client, deputy):
    staff_role = StaffRole.objects.get(user=deputy)
    response = client.post(reverse("admin:accounts_staffrole_delete", args=[staff_role.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not SchoolUserObjectPermission.objects.filter(user=deputy).exists()


def test_parent_links_made_and_removed_in_the_admin_carry_the_diary(filled, client, school):
    mother, child = UserFactory(), StudentFactory(school=school)
    response = client.post(
        reverse("admin:accounts_parentlink_add"), {"parent": mother.pk, "student": child.pk, "relation": "mother"}
    )
    assert response.status_code == 302
    assert StudentUserObjectPermission.objects.filter(user=mother, content_object=child).exists()
    link = ParentLink.objects.get(parent=mother)
    client.post(reverse("admin:accounts_parentlink_delete", args=[link.pk]), {"post": "yes"})
    assert not StudentUserObjectPermission.objects.filter(user=mother).exists()


def test_a_period_outside_the_year_is_refused_by_the_form_not_the_database(filled, client, year):
    url = reverse("admin:journal_academicyear_change", args=[year.pk])
    data = {
        "school": year.school_id,
        "name": year.name,
        "start": "01.09.2026",
        "end": "31.05.2027",
        "periods-TOTAL_FORMS": "1",
        "periods-INITIAL_FORMS": "0",
        "periods-0-kind": "quarter",
        "periods-0-number": "4",
        "periods-0-start": "30.03.2027",
        "periods-0-end": "15.06.2027",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error; not a 500 from the trigger
    assert not year.periods.filter(number=4).exists()


# --- no N+1 on any list -----------------------------------------------------------------------------------------


def _grow(world: dict[str, Any], n: int) -> None:
    """Add a row to every table: another school, class, group, student, staff member, parent, lesson…"""
    from accounts.services import class_teacher_set, parent_link, staff_role_grant, teacher_assign
    from journal.services import enrollment_admit
    from journal.tests.factories import (
        AcademicYearFactory,
        SchoolClassFactory,
        SchoolFactory,
        SubjectFactory,
        TeachingGroupFactory,
    )

    school, year = world["school"], world["year"]
    AcademicYearFactory(school=SchoolFactory())
    school_class = SchoolClassFactory(year=year, grade=7 + n)
    group = TeachingGroupFactory(year=year, subject=SubjectFactory(school=school), classes=[school_class])
    colleague = UserFactory()
    staff_role_grant(actor=None, user=colleague, school=school, role="director")
    teacher_assign(actor=None, group=group, teacher=colleague, start=year.start)
    class_teacher_set(actor=None, school_class=school_class, teacher=colleague)
    child = StudentFactory(school=school)
    enrollment_admit(actor=None, student=child, school_class=school_class, start=year.start)
    parent_link(actor=None, parent=UserFactory(), student=child)

    lesson = LessonFactory(group=group, teacher=colleague)
    column = MarkColumnFactory(lesson=lesson, work_type=WorkTypeFactory(school=school))
    mark = MarkFactory(column=column, student=child, value=3, created_by=colleague)
    period = StudyPeriodFactory(year=year, kind="half", number=1 + n, start=year.start, end=dt.date(2026, 12, 27))
    PeriodMarkFactory(group=group, student=child, period=period, value=3)
    AbsenceFactory(lesson=lesson, student=child, created_by=colleague)
    HolidayFactory(year=year)
    homework = HomeworkFactory(lesson=lesson, created_by=colleague)
    HomeworkAttachment.objects.create(
        homework=homework, file="homework/2/page.pdf", original_name="page.pdf", size=10, content_type="application/pdf"
    )
    LessonNoteFactory(lesson=lesson, student=child, created_by=colleague)
    PlanItemFactory(group=group)
    TimetableSlotFactory(group=group)
    BellFactory(school=school, number=2 + n)
    ConsentFactory(student=child, recorded_by=colleague)
    LoginEventFactory(user=colleague)
    event_append(
        group.pk,
        EventData(actor_id=colleague.pk, action="create", object_type="mark", object_id=mark.pk, student_id=child.pk),
    )


def test_no_changelist_queries_per_row(filled, client):
    """Growing every table by a few rows leaves every changelist's query count unchanged."""
    urls = {f"{app}.{model}": reverse(f"admin:{app}_{model}_changelist") for app, model in MODELS}
    _grow(filled, 0)
    for url in urls.values():
        client.get(url)  # warm the per-process caches (content types, …) first

    def counts() -> dict[str, int]:
        result = {}
        for name, url in urls.items():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result[name] = len(queries)
        return result

    few = counts()
    for n in range(1, 4):
        _grow(filled, n)
    assert counts() == few
