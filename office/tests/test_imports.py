"""Imports and exports of the school office (issue 7 §4): every shape imports from CSV and XLSX, an export
imports back unchanged, a bad row shows its error and nothing is written, unreadable files get a clear
message, and only the school's office gets in."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ParentLink, StaffRole, User
from journal.models import (
    Enrollment,
    GroupMembership,
    PlanItem,
    SchoolClass,
    Student,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)
from office.imports import SHAPES, export_file, import_file
from office.models import ChangeRecord

pytestmark = pytest.mark.django_db

URL = "/office/imports/"


def table(rows: list[dict[str, Any]], fmt: str = "csv") -> tuple[bytes, str]:
    headers = list(dict.fromkeys(h for row in rows for h in row))
    dataset = tablib.Dataset(headers=headers)
    for row in rows:
        dataset.append([row.get(h, "") for h in headers])
    if fmt == "csv":
        return ("\ufeff" + dataset.export("csv", delimiter=";")).encode(), "file.csv"
    return dataset.export("xlsx"), "file.xlsx"


def preview(client: Any, school: Any, year: Any, shape: str, content: bytes, name: str) -> Any:
    upload = SimpleUploadedFile(name, content)
    return client.post(URL + "preview/", {"school": school.pk, "year": year.pk, "shape": shape, "file": upload})


def token_of(response: Any) -> str:
    found = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    return found.group(1) if found else ""


def upload(client: Any, school: Any, year: Any, shape: str, rows: list[dict[str, Any]], fmt: str = "csv") -> Any:
    """Preview, then confirm: the response of the confirmation (a redirect when it was written)."""
    content, name = table(rows, fmt)
    response = preview(client, school, year, shape, content, name)
    assert response.status_code == 200, _errors(response)
    return client.post(URL + "confirm/", {"token": token_of(response)})


def _errors(response: Any) -> str:
    html = response.content.decode()
    return " | ".join(re.findall(r"<li>([^<]+)</li>", html)) or html[-2000:]


def kinds(response: Any) -> list[str]:
    return re.findall(r'data-kind="(\w+)"', response.content.decode())


def roundtrip(school: Any, year: Any, shape: str, actor: Any, fmt: str) -> Any:
    """Export, import the export back: every row unchanged."""
    content = export_file(school=school, year=year, resource_class=SHAPES[shape].resource, fmt=fmt)
    result = import_file(
        actor=actor, school=school, year=year, resource_class=SHAPES[shape].resource,
        content=content, name=f"export.{fmt}", dry_run=False,
    )  # fmt: skip
    assert not result.has_errors, [r.errors for r in result.rows]
    return result


# --- staff ----------------------------------------------------------------------------------------------

STAFF = [
    {"Фамилия": "Кузнецова", "Имя": "Ольга", "Отчество": "Ивановна", "Логин": "", "E-mail": "olga@school.example",
     "Телефон": "+7 900 000-00-01", "Роли": "учитель", "Должность": "учитель математики"},
    {"Фамилия": "Сидоров", "Имя": "Павел", "Отчество": "", "Логин": "sidorov", "E-mail": "",
     "Телефон": "", "Роли": "учитель, заместитель директора", "Должность": ""},
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_staff_import_creates_accounts_without_passwords_and_is_idempotent(client, school, year, administrator, fmt):
    client.force_login(administrator)
    response = upload(client, school, year, "staff", STAFF, fmt)
    assert response.status_code == 302
    olga = User.objects.get(email="olga@school.example")
    assert olga.username == "kuznetsova.o" and not olga.has_usable_password()
    assert StaffRole.objects.get(user=olga, school=school).position == "учитель математики"
    sidorov = User.objects.get(username="sidorov")
    assert set(StaffRole.objects.filter(user=sidorov).values_list("role", flat=True)) == {"teacher", "deputy"}
    users = User.objects.count()
    again = preview(client, school, year, "staff", *table(STAFF, fmt))
    assert kinds(again) == ["unchanged", "unchanged"]  # matched by e-mail and by login
    result = roundtrip(school, year, "staff", administrator, fmt)
    assert result.count_new == 0 and result.count_error == 0
    assert User.objects.count() == users
    record = ChangeRecord.objects.filter(school=school, action="import", object_type="staff").order_by("pk").first()
    assert record.actor == administrator and record.data["new"] == 2


def test_a_secretary_may_not_grant_a_deputy_role(client, school, year, secretary):
    client.force_login(secretary)
    response = preview(client, school, year, "staff", *table(STAFF))
    assert response.status_code == 400
    assert kinds(response) == ["new", "error"]
    assert not token_of(response)
    assert not User.objects.filter(username="sidorov").exists()


def test_staff_import_does_not_touch_a_person_of_another_school(client, school, year, administrator, outsider):
    client.force_login(administrator)
    rows = [{"Фамилия": "Чужой", "Имя": "Виктор", "Логин": "outsider", "Роли": "учитель", "E-mail": "x@y.example"}]
    response = preview(client, school, year, "staff", *table(rows))
    assert kinds(response) == ["error"]
    outsider.refresh_from_db()
    assert outsider.email != "x@y.example" and not StaffRole.objects.filter(user=outsider, school=school).exists()


# --- classes and groups -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_classes_import_sets_class_teachers(client, school, year, deputy, teacher, fmt):
    client.force_login(deputy)
    rows = [
        {"Класс": "7А", "Классный руководитель (логин)": "teacher", "Учебные периоды": "четверти"},
        {"Класс": "10 б", "Классный руководитель (логин)": "", "Учебные периоды": "полугодия"},
    ]
    assert upload(client, school, year, "classes", rows, fmt).status_code == 302
    seventh = SchoolClass.objects.get(year=year, grade=7, letter="А")
    assert seventh.class_teacher == teacher
    assert SchoolClass.objects.get(year=year, grade=10, letter="Б").period_kind == "half"
    assert teacher.has_perm("journal.lead_class", seventh) or seventh.class_teacher_id == teacher.pk
    count = SchoolClass.objects.count()
    result = roundtrip(school, year, "classes", deputy, fmt)
    assert result.count_unchanged == count and SchoolClass.objects.count() == count


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_groups_import_assigns_teachers_and_mirrors_the_class(client, school, year, deputy, student, teacher, fmt):
    client.force_login(deputy)
    rows = [
        {"Группа": "", "Класс": "5А", "Предмет": "Русский язык", "Вид группы": "", "Номер подгруппы": "",
         "Часов в неделю": "5", "Учитель (логин)": "teacher"},
        {"Группа": "5А, английский, группа 1", "Класс": "5А", "Предмет": "Английский язык", "Вид группы": "подгруппа",
         "Номер подгруппы": "1", "Часов в неделю": "1,5", "Учитель (логин)": ""},
    ]  # fmt: skip
    assert upload(client, school, year, "groups", rows, fmt).status_code == 302
    russian = TeachingGroup.objects.get(year=year, name="5А, русский язык")
    assert russian.hours_per_week == 5 and list(russian.classes.all()) == [student.enrollments.get().school_class]
    assert GroupMembership.objects.filter(group=russian, student=student).exists()
    assert TeachingAssignment.objects.filter(group=russian, teacher=teacher, role="main").exists()
    english = TeachingGroup.objects.get(year=year, name="5А, английский, группа 1")
    assert english.kind == "subgroup" and english.subgroup_number == 1 and not english.memberships.exists()
    groups, assignments = TeachingGroup.objects.count(), TeachingAssignment.objects.count()
    result = roundtrip(school, year, "groups", deputy, fmt)
    assert result.count_new == 0 and result.count_update == 0
    assert (TeachingGroup.objects.count(), TeachingAssignment.objects.count()) == (groups, assignments)


def test_a_group_whose_classes_changed_is_refused(client, school, year, deputy, group, parallel_class):
    client.force_login(deputy)
    rows = [{"Группа": group.name, "Класс": "6Б", "Предмет": group.subject.name}]
    response = preview(client, school, year, "groups", *table(rows))
    assert kinds(response) == ["error"]


# --- students with parents -----------------------------------------------------------------------------------


def _student_row(number: str, last: str, first: str, klass: str = "5А", **more: str) -> dict[str, str]:  # fmt: skip
    return {
        "Номер личного дела": number, "Фамилия": last, "Имя": first, "Отчество": more.pop("patronymic", ""),
        "Дата рождения": "14.03.2015", "Пол": more.pop("sex", "м"), "Класс": klass, "Дата зачисления": "",
        "Номер приказа": "12-у", "Родитель 1: фамилия": more.pop("p1_last", ""),
        "Родитель 1: имя": more.pop("p1_first", ""), "Родитель 1: отчество": more.pop("p1_patronymic", ""),
        "Родитель 1: кем приходится": more.pop("p1_relation", ""),
        "Родитель 1: телефон": more.pop("p1_phone", ""), "Родитель 1: e-mail": more.pop("p1_email", ""),
        **more,
    }  # fmt: skip


SIBLINGS = [
    _student_row("101", "Соколов", "Илья", p1_last="Соколова", p1_first="Елена", p1_patronymic="Викторовна",
                 p1_phone="8 (900) 111-22-33", **{"Родитель 2: фамилия": "Соколов", "Родитель 2: имя": "Олег",
                 "Родитель 2: кем приходится": "отец"}),
    _student_row("102", "Соколова", "Вера", klass="6б", sex="ж", p1_last="Соколова", p1_first="Елена",
                 p1_phone="+7 900 111 22 33", p1_relation="мать"),
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_students_import_admits_and_creates_parent_and_student_accounts(
    client, school, year, secretary, school_class, parallel_class, group, fmt
):
    client.force_login(secretary)
    response = upload(client, school, year, "students", SIBLINGS, fmt)
    assert response.status_code == 302, _errors(response)
    ilya, vera = Student.objects.get(personal_file_number="101"), Student.objects.get(personal_file_number="102")
    assert ilya.birth_date == dt.date(2015, 3, 14) and vera.sex == "f"
    enrollment = Enrollment.objects.get(student=ilya)
    assert (
        enrollment.school_class == school_class and enrollment.start == year.start and enrollment.order_number == "12-у"
    )
    assert GroupMembership.objects.filter(group=group, student=ilya).exists()  # the class's groups follow
    assert Enrollment.objects.get(student=vera).school_class == parallel_class
    mother = User.objects.get(last_name="Соколова", first_name="Елена")  # one account for both children
    assert set(ParentLink.objects.filter(parent=mother).values_list("student__personal_file_number", "relation")) == {
        ("101", "mother"),
        ("102", "mother"),
    }
    assert ParentLink.objects.get(student=ilya, parent__first_name="Олег").relation == "father"
    assert (
        mother.has_perm("journal.view_diary", vera) or ParentLink.objects.filter(parent=mother, student=vera).exists()
    )
    assert ilya.user is not None and vera.user is not None
    for account in [mother, ilya.user, vera.user, User.objects.get(first_name="Олег")]:
        assert not account.has_usable_password() and account.username
    assert not StaffRole.objects.filter(user__in=[mother, ilya.user]).exists()
    counts = (Student.objects.count(), User.objects.count(), ParentLink.objects.count(), Enrollment.objects.count())
    again = preview(client, school, year, "students", *table(SIBLINGS, fmt))
    assert kinds(again) == ["unchanged", "unchanged"]
    result = roundtrip(school, year, "students", secretary, fmt)
    assert result.count_new == 0 and result.count_update == 0
    assert (
        Student.objects.count(),
        User.objects.count(),
        ParentLink.objects.count(),
        Enrollment.objects.count(),
    ) == counts


def test_a_student_in_another_class_is_refused_not_moved(client, school, year, deputy, student, parallel_class):
    client.force_login(deputy)
    rows = [_student_row(student.personal_file_number, student.last_name, student.first_name, klass="6Б")]
    response = preview(client, school, year, "students", *table(rows))
    assert kinds(response) == ["error"] and "5А" in _errors(response)
    assert Enrollment.objects.filter(student=student).count() == 1


# --- timetable and КТП ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_timetable_import_and_roundtrip(client, school, year, deputy, group, fmt):
    client.force_login(deputy)
    rows = [
        {"Группа": group.name, "День недели": "понедельник", "Урок": "1", "Кабинет": "12"},
        {"Группа": group.name, "День недели": "ср", "Урок": "3", "Кабинет": "12", "Действует с": "01.10.2026"},
    ]
    assert upload(client, school, year, "timetable", rows, fmt).status_code == 302
    assert set(TimetableSlot.objects.values_list("weekday", "number", "valid_from")) == {
        (1, 1, year.start),
        (3, 3, dt.date(2026, 10, 1)),
    }
    result = roundtrip(school, year, "timetable", deputy, fmt)
    assert result.count_unchanged == 2 and TimetableSlot.objects.count() == 2


def test_an_overlapping_slot_is_refused(client, school, year, deputy, group):
    TimetableSlot.objects.create(group=group, weekday=1, number=1, valid_from=year.start)
    client.force_login(deputy)
    rows = [{"Группа": group.name, "День недели": "1", "Урок": "1", "Действует с": "01.10.2026"}]
    assert kinds(preview(client, school, year, "timetable", *table(rows))) == ["error"]


def test_timetable_import_refuses_clashes_like_the_timetable_page(
    client, school, year, deputy, group, other_group, teacher
):
    """A class in two places (two rows of the file), a room taken by a slot already in the timetable, and a
    teacher in two places: every clash is a row error in the preview, and nothing is written."""
    from accounts.services import teacher_assign
    from journal.tests.factories import SubjectFactory

    teacher_assign(actor=None, group=other_group, teacher=teacher, start=year.start)  # 5А and 6Б math
    history = _whole_class_group_of(group.classes.get(), SubjectFactory(school=school, name="История"))
    TimetableSlot.objects.create(group=other_group, weekday=2, number=3, room="214", valid_from=year.start)
    client.force_login(deputy)
    rows = [
        {"Группа": group.name, "День недели": "пн", "Урок": "1", "Кабинет": "12"},
        {"Группа": history.name, "День недели": "пн", "Урок": "1", "Кабинет": "15"},  # 5А is at math
        {"Группа": history.name, "День недели": "вт", "Урок": "3", "Кабинет": "214"},  # 214 has 6Б math
        {"Группа": group.name, "День недели": "вт", "Урок": "3", "Кабинет": "16"},  # the teacher is at 6Б
    ]
    response = preview(client, school, year, "timetable", *table(rows))
    assert kinds(response) == ["new", "error", "error", "error"]
    html = response.content.decode()
    assert "5А" in html and "214" in html and teacher.short_name in html
    assert TimetableSlot.objects.count() == 1
    assert token_of(response) == ""  # nothing to confirm


def _whole_class_group_of(school_class: Any, subject: Any) -> Any:
    group = TeachingGroup.objects.create(
        year=school_class.year, subject=subject, kind="class", name=f"{school_class.name}, {subject.name.lower()}"
    )
    group.classes.add(school_class)
    return group


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_plan_import_and_roundtrip(client, school, year, administrator, group, other_group, fmt):
    client.force_login(administrator)
    rows = [
        {
            "Группа": group.name,
            "№": "1",
            "Тема": "Натуральные числа",
            "Часы": "",
            "Дата": "02.09.2026",
            "Контрольная": "",
        },
        {
            "Группа": group.name,
            "№": "2",
            "Тема": "=Сложение" if fmt == "csv" else "Сложение",
            "Часы": "2",
            "Дата": "",
            "Контрольная": "да",
        },
        {"Группа": other_group.name, "№": "1", "Тема": "Дроби", "Часы": "1", "Дата": "", "Контрольная": "нет"},
    ]
    assert upload(client, school, year, "plan", rows, fmt).status_code == 302
    second = PlanItem.objects.get(group=group, ordinal=2)
    assert (
        second.topic == ("=Сложение" if fmt == "csv" else "Сложение") and second.hours == 2 and second.is_control_work
    )
    assert PlanItem.objects.get(group=group, ordinal=1).planned_date == dt.date(2026, 9, 2)
    result = roundtrip(school, year, "plan", administrator, fmt)
    assert result.count_unchanged == 3 and PlanItem.objects.count() == 3


# --- all or nothing ---------------------------------------------------------------------------------------------

BAD = {
    "staff": ([{"Фамилия": "Новиков", "Имя": "Иван", "Роли": "учитель"},
               {"Фамилия": "Орлов", "Имя": "Пётр", "Роли": "дворник"}], User),
    "classes": ([{"Класс": "8В"}, {"Класс": "13Я"}], SchoolClass),
    "groups": ([{"Класс": "5А", "Предмет": "Физика"}, {"Класс": "9Z", "Предмет": "Химия"}], TeachingGroup),
    "students": ([_student_row("201", "Новиков", "Иван", p1_last="Новикова", p1_first="Анна"),
                  _student_row("202", "Орлов", "Пётр", p1_last="Орлова", p1_first="Анна", p1_email="не-почта")], User),
    "timetable": ([{"Группа": "5А, математика", "День недели": "вт", "Урок": "2"},
                   {"Группа": "5А, математика", "День недели": "воскресенье", "Урок": "2"}], TimetableSlot),
    "plan": ([{"Группа": "5А, математика", "№": "1", "Тема": "Числа"},
              {"Группа": "5А, математика", "№": "2", "Тема": "Дроби", "Дата": "01.01.2020"}], PlanItem),
}  # fmt: skip


@pytest.mark.parametrize("shape", sorted(BAD))
def test_one_bad_row_shows_its_error_and_nothing_is_written(client, school, year, administrator, group, shape):
    rows, model = BAD[shape]
    client.force_login(administrator)
    before = (model.objects.count(), Student.objects.count(), ChangeRecord.objects.count())
    response = preview(client, school, year, shape, *table(rows, "xlsx"))
    assert response.status_code == 400
    assert kinds(response) == ["new", "error"], _errors(response)
    assert 'data-testid="nothing-written"' in response.content.decode() and not token_of(response)
    # The confirmation of a file checked earlier runs the checks again: nothing is written either.
    result = import_file(
        actor=administrator, school=school, year=year, resource_class=SHAPES[shape].resource,
        content=table(rows)[0], name="file.csv", dry_run=False,
    )  # fmt: skip
    assert result.has_errors and not result.written
    assert (model.objects.count(), Student.objects.count(), ChangeRecord.objects.count()) == before


def test_a_file_that_became_wrong_after_the_preview_writes_nothing(client, school, year, deputy, school_class):
    client.force_login(deputy)
    rows = [{"Класс": "8В"}, {"Класс": "8Г"}]
    response = preview(client, school, year, "classes", *table(rows))
    token = token_of(response)
    assert token
    year.is_closed = True
    year.save()
    before = SchoolClass.objects.count()
    response = client.post(URL + "confirm/", {"token": token})
    assert response.status_code == 400 and SchoolClass.objects.count() == before


def test_a_preview_writes_nothing(client, school, year, deputy):
    client.force_login(deputy)
    response = preview(client, school, year, "classes", *table([{"Класс": "8В"}]))
    assert response.status_code == 200 and kinds(response) == ["new"]
    assert not SchoolClass.objects.filter(grade=8).exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.4 garbage", "order.pdf"),
        (b"PK\x03\x04not really a zip", "roster.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "roster.xls"),
        ("Фамилия;Имя\nИванов;Пётр\n".encode(), "roster.csv"),  # the required columns are missing
        (b"", "empty.csv"),
        (b"\x00\x01\x02\x03" * 50, "roster.csv"),
    ],
)
def test_an_unreadable_file_gets_a_clear_message(client, school, year, deputy, content, name):
    client.force_login(deputy)
    response = preview(client, school, year, "classes", content, name)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="import-error"' in html and "Traceback" not in html
    assert not SchoolClass.objects.filter(year=year).exists()


# --- access --------------------------------------------------------------------------------------------------


def test_the_page_lists_the_shapes_of_the_role(client, school, year, deputy, secretary):
    client.force_login(deputy)
    html = client.get(URL).content.decode()
    assert {"shape-classes", "shape-groups", "shape-students", "shape-timetable", "shape-plan"} <= set(
        re.findall(r'data-testid="(shape-\w+)"', html)
    )
    assert 'data-testid="shape-staff"' not in html
    client.force_login(secretary)
    html = client.get(URL).content.decode()
    assert set(re.findall(r'data-testid="(shape-\w+)"', html)) == {"shape-staff", "shape-students"}


def test_templates_and_exports_download(client, school, year, administrator, student):
    client.force_login(administrator)
    for code in SHAPES:
        for fmt in ("csv", "xlsx"):
            response = client.get(f"{URL}template/{code}.{fmt}")
            assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
            response = client.get(f"{URL}export/{code}.{fmt}?school={school.pk}&year={year.pk}")
            assert response.status_code == 200
    csv = client.get(f"{URL}export/students.csv?year={year.pk}").content.decode("utf-8-sig")
    assert csv.startswith("Номер личного дела;Фамилия") and "Иванов" in csv


@pytest.mark.parametrize("stranger", ["teacher", "class_teacher", "parent", "student_user"])
def test_others_get_404(client, request, school, year, stranger):
    client.force_login(request.getfixturevalue(stranger))
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}export/students.csv").status_code == 404
    assert preview(client, school, year, "classes", *table([{"Класс": "8В"}])).status_code == 404
    assert not SchoolClass.objects.filter(grade=8).exists()


def test_an_outsider_gets_404_on_this_school(client, school, year, outsider, student):
    client.force_login(outsider)
    assert client.get(f"{URL}?school={school.pk}").status_code == 404
    assert client.get(f"{URL}export/students.csv?school={school.pk}").status_code == 404
    assert preview(client, school, year, "classes", *table([{"Класс": "8В"}])).status_code == 404
    # the outsider's own school, but this school's year: 404 too
    response = client.post(
        URL + "preview/",
        {"year": year.pk, "shape": "classes", "file": SimpleUploadedFile("a.csv", table([{"Класс": "8В"}])[0])},
    )
    assert response.status_code == 404
    assert not SchoolClass.objects.filter(grade=8).exists()


def test_a_secretary_may_not_import_classes_and_a_token_is_the_uploaders_only(client, school, year, deputy, secretary):
    client.force_login(secretary)
    assert preview(client, school, year, "classes", *table([{"Класс": "8В"}])).status_code == 404
    client.force_login(deputy)
    token = token_of(preview(client, school, year, "classes", *table([{"Класс": "8В"}])))
    client.force_login(secretary)
    assert client.post(URL + "confirm/", {"token": token}).status_code == 404
    assert not SchoolClass.objects.filter(grade=8).exists()


def test_the_landing_page_is_light(client, school, year, deputy, django_assert_max_num_queries):
    client.force_login(deputy)
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200


# --- size -------------------------------------------------------------------------------------------------------


def test_a_thousand_students_import_in_seconds(school, year, deputy, school_class, parallel_class, group):
    rows = [
        _student_row(f"K-{n}", f"Фамилия{n}", "Ученик", klass="5А" if n % 2 else "6Б",
                     p1_last=f"Фамилия{n}", p1_first="Мать", p1_phone=f"+7 900 {n:07d}")
        for n in range(1000)
    ]  # fmt: skip
    content, name = table(rows)
    resource = SHAPES["students"].resource
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = import_file(
            actor=deputy, school=school, year=year, resource_class=resource, content=content, name=name, dry_run=False
        )
    seconds = time.perf_counter() - started
    print(f"\n1,000 students with parents: {seconds:.2f} s, {len(queries)} queries")
    assert result.written and result.count_new == 1000
    assert len(queries) < 6 * 1000  # about five per row (savepoints and the INSERT), the rest in bulk
    assert Student.objects.filter(school=school).count() == 1000
    assert ParentLink.objects.filter(student__school=school).count() == 1000
    assert Student.objects.filter(school=school, user__isnull=False).count() == 1000
