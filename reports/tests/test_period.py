"""The period reports (R21, R22) on a small hand-built school whose every number is known.

5А (quarters, class teacher Морозова), quarter I 01.09–24.10.2026, subjects «Математика», «Русский язык»:

    student        in 5А                 period marks (math, rus)   category
    Андреев А.     whole quarter         5, 5                       excellent
    Борисова В.    whole quarter         4, 5                       good
    Васильев Г.    whole quarter         3, 4                       one «3»
    Григорьева Д.  whole quarter         2, 3                       failing
    Дмитриев Е.    whole quarter         н/а (deferred), 4          not assessed
    Егорова Ж.     admitted 01.10        3, 3                       two «3»
    Жуков И.       left 15.10            5, —                       not on the roll at the end
    Ильина О.      from 5Б on 12.10      —, —                       no period marks

5Б: Ильина until 11.10; no groups. 6Б: Зайцева А., math 4 (good). 10А studies by halves: never in a quarter.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.models import LoginEvent
from accounts.services import parent_link, staff_role_grant, student_login_set
from accounts.tests.factories import LoginEventFactory, UserFactory
from attendance.tests.factories import AbsenceFactory
from grading.selectors import period_averages
from grading.tests.factories import MarkColumnFactory, MarkFactory, PeriodMarkFactory, WorkTypeFactory
from journal.models import Enrollment
from journal.services import enrollment_admit, enrollment_end, enrollment_transfer
from journal.tests.factories import SchoolClassFactory, StudentFactory, SubjectFactory, TeachingGroupFactory
from reports import period as reports
from reports.tables import Document

pytestmark = pytest.mark.django_db

D = dt.date
MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def cells(doc: Document, key: str) -> list[list[Any]]:
    return [row.cells for row in doc.table(key).rows]


@pytest.fixture
def world(school, year, school_class, parallel_class, group, other_group, quarters, make_lesson, class_teacher):
    q1, q2, _whole = quarters
    rus = TeachingGroupFactory(
        year=year,
        subject=SubjectFactory(school=school, name="Русский язык", short_name="Рус. яз."),
        kind="class",
        name="5А, русский язык",
        classes=[school_class],
    )
    class_5b = SchoolClassFactory(year=year, grade=5, letter="Б")
    class_10a = SchoolClassFactory(year=year, grade=10, letter="А", period_kind="half")

    def child(last: str, first: str, sex: str, school_class: Any = school_class, start: D = year.start, **kw: Any):
        s = StudentFactory(school=school, last_name=last, first_name=first, patronymic="", sex=sex)
        enrollment_admit(actor=None, student=s, school_class=school_class, start=start, **kw)
        return s

    a = child("Андреев", "Антон", "m")
    b = child("Борисова", "Вера", "f")
    c = child("Васильев", "Глеб", "m")
    d = child("Григорьева", "Дарья", "f")
    e = child("Дмитриев", "Егор", "m")
    f = child("Егорова", "Жанна", "f", start=D(2026, 10, 1), order_number="45-у")
    g = child("Жуков", "Иван", "m")
    enrollment_end(
        actor=None,
        enrollment=Enrollment.objects.get(student=g),
        end=D(2026, 10, 15),
        reason="left",
        order_number="51-у",
    )
    i = child("Ильина", "Ольга", "f", school_class=class_5b)
    enrollment_transfer(actor=None, student=i, to_class=school_class, on=D(2026, 10, 12), order_number="50-у")
    h = child("Зайцева", "Анна", "f", school_class=parallel_class)

    for s, math, russian in [(a, 5, 5), (b, 4, 5), (c, 3, 4), (d, 2, 3), (e, None, 4), (f, 3, 3), (g, 5, None)]:
        if math:
            PeriodMarkFactory(group=group, student=s, period=q1, value=math)
        if russian:
            PeriodMarkFactory(group=rus, student=s, period=q1, value=russian)
    PeriodMarkFactory(group=group, student=e, period=q1, value=None, code="na", is_deferred=True)
    PeriodMarkFactory(group=other_group, student=h, period=q1, value=4)
    PeriodMarkFactory(group=group, student=a, period=q2, value=2)  # another period: never counted

    m1 = make_lesson(date=D(2026, 9, 14), number=1, topic="Натуральные числа")
    m2 = make_lesson(date=D(2026, 9, 15), number=1, topic="Сложение")
    m3 = make_lesson(date=D(2026, 9, 16), number=1, topic="Вычитание")
    m4 = make_lesson(date=D(2026, 10, 1), number=1, topic="")
    m5 = make_lesson(date=D(2026, 11, 10), number=1, topic="Дроби")  # quarter II
    r1 = make_lesson(date=D(2026, 9, 14), number=2, group=rus, topic="Фонетика")
    r2 = make_lesson(date=D(2026, 9, 15), number=2, group=rus, topic="Орфоэпия")

    oral = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    test = WorkTypeFactory(school=school, name="Контрольная работа", short_name="К/р", weight=3)
    col1 = MarkColumnFactory(lesson=m1, work_type=oral)
    col2 = MarkColumnFactory(lesson=m2, work_type=test)
    MarkFactory(column=col1, student=a, value=5)
    MarkFactory(column=col1, student=b, value=4, value2=3)
    MarkFactory(column=col1, student=d, value=2)
    MarkFactory(column=col2, student=a, value=4)
    MarkFactory(column=col2, student=b, value=2)
    MarkFactory(column=col2, student=d, value=1)
    MarkFactory(column=MarkColumnFactory(lesson=r1, work_type=oral), student=d, value=None, code="fail")
    MarkFactory(column=MarkColumnFactory(lesson=m5, work_type=oral), student=a, value=2)  # quarter II

    AbsenceFactory(lesson=m3, student=a, reason="illness")
    AbsenceFactory(lesson=r2, student=a, reason="illness")
    AbsenceFactory(lesson=m4, student=b, reason="unexcused")
    AbsenceFactory(lesson=m3, student=b, kind="late", minutes_late=5)
    AbsenceFactory(lesson=m3, student=d, reason="unknown")
    AbsenceFactory(lesson=r2, student=d, reason="excused")
    AbsenceFactory(lesson=m4, student=g, reason="illness")
    AbsenceFactory(lesson=m5, student=a, reason="illness")  # quarter II

    return SimpleNamespace(
        q1=q1, q2=q2, rus=rus, class_5b=class_5b, class_10a=class_10a, a=a, b=b, c=c, d=d, e=e, f=f, g=g, h=h, i=i
    )


def q(world: SimpleNamespace, **scope: Any) -> dict[str, Any]:
    return {"period": world.q1.pk, **scope}


# --- parameters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(reports.REPORTS) - {"user_activity"}))
def test_it_refuses_a_class_of_another_school(name, school, world, other_class):
    with pytest.raises(ValidationError, match="класс этой школы"):
        reports.REPORTS[name](school, q(world, **{"class": other_class.pk}), lambda p: None)


def test_it_refuses_a_period_of_another_school(school, world, other_year):
    from journal.tests.factories import StudyPeriodFactory

    theirs = StudyPeriodFactory(year=other_year)
    with pytest.raises(ValidationError, match="период этой школы"):
        reports.class_results(school, {"period": theirs.pk})
    with pytest.raises(ValidationError, match="период"):
        reports.class_results(school, {})
    with pytest.raises(ValidationError):
        reports.class_results(school, {"period": "x"})


def test_it_refuses_a_class_of_another_scheme_a_bad_grade_and_a_missing_class(school, world, school_class):
    with pytest.raises(ValidationError, match="10А учится по полугодиям"):
        reports.marks_summary(school, q(world, **{"class": world.class_10a.pk}))
    with pytest.raises(ValidationError, match="от 1 до 11"):
        reports.marks_summary(school, q(world, grade=12))
    with pytest.raises(ValidationError, match="Выберите класс"):
        reports.class_teacher_report(school, q(world))


# --- 1. marks summary -------------------------------------------------------------------------------------


def test_marks_summary_shows_every_period_mark_of_the_class(school, school_class, world):
    seen: list[int] = []
    doc = reports.marks_summary(school, q(world, **{"class": school_class.pk}), seen.append)
    assert seen[-1] == 100
    assert [t.key for t in doc.tables] == [f"marks:{school_class.pk}"]
    table = doc.table(f"marks:{school_class.pk}")
    assert table.columns == ["№", "Учащийся", "Матем.", "Рус. яз.", "Средний балл"]
    assert cells(doc, table.key) == [
        [1, "Андреев Антон", "5", "5", 5.0],
        [2, "Борисова Вера", "4", "5", 4.5],
        [3, "Васильев Глеб", "3", "4", 3.5],
        [4, "Григорьева Дарья", "2", "3", 2.5],
        [5, "Дмитриев Егор", "н/а*", "4", 4.0],
        [6, "Егорова Жанна (приб. 01.10.2026)", "3", "3", 3.0],
        [7, "Жуков Иван (выб. 15.10.2026)", "5", "—", 5.0],
        [8, "Ильина Ольга (приб. 12.10.2026)", "—", "—", None],
        ["", "Средний балл", 3.67, 4.0, 3.83],
    ]
    assert table.rows[-1].emphasis == "total"
    assert doc.title == "Сводная ведомость успеваемости"
    assert doc.subtitle == "Школа № 1 · 1 четверть 2026/2027 (01.09.2026–24.10.2026) · 5А"


def test_marks_summary_of_the_school_has_a_sheet_per_class_of_the_scheme(school, school_class, parallel_class, world):
    doc = reports.marks_summary(school, q(world))
    assert [t.key for t in doc.tables] == [
        f"marks:{school_class.pk}",
        f"marks:{world.class_5b.pk}",
        f"marks:{parallel_class.pk}",
    ]
    assert cells(doc, f"marks:{world.class_5b.pk}") == [
        [1, "Ильина Ольга (выб. 11.10.2026)", None],
        ["", "Средний балл", None],
    ]
    assert cells(doc, f"marks:{parallel_class.pk}") == [[1, "Зайцева Анна", "4", 4.0], ["", "Средний балл", 4.0, 4.0]]


# --- 2. attendance summary --------------------------------------------------------------------------------


def test_attendance_summary_counts_missed_lessons_by_subject_and_reason(school, school_class, parallel_class, world):
    doc = reports.attendance_summary(school, q(world, grade=5))
    assert cells(doc, "classes") == [
        ["5А", 8, 6, 3, 1, 2, 1, 0.8],
        ["5Б", 1, 0, 0, 0, 0, 0, 0.0],
        ["Итого", 9, 6, 3, 1, 2, 1, 0.7],
    ]
    # Per school week: 15.09 (Russian: a, d) and 16.09 (math: a, d; b late); 01.10 (math: b, g).
    assert cells(doc, "weeks") == [["14.09–19.09", 4, 1], ["28.09–03.10", 2, 0]]
    assert [r.drill for r in doc.table("classes").rows] == [
        f"attendance:{school_class.pk}",
        f"attendance:{world.class_5b.pk}",
        "",
    ]
    key = f"attendance:{school_class.pk}"
    assert doc.table(key).columns == ["№", "Учащийся", "Матем.", "Рус. яз.", "Всего", "Б", "У", "Н", "Опозданий"]
    assert cells(doc, key) == [
        [1, "Андреев Антон", 1, 1, 2, 2, 0, 0, 0],
        [2, "Борисова Вера", 1, 0, 1, 0, 0, 1, 1],
        [3, "Васильев Глеб", 0, 0, 0, 0, 0, 0, 0],
        [4, "Григорьева Дарья", 1, 1, 2, 0, 1, 1, 0],
        [5, "Дмитриев Егор", 0, 0, 0, 0, 0, 0, 0],
        [6, "Егорова Жанна (приб. 01.10.2026)", 0, 0, 0, 0, 0, 0, 0],
        [7, "Жуков Иван (выб. 15.10.2026)", 1, 0, 1, 1, 0, 0, 0],
        [8, "Ильина Ольга (приб. 12.10.2026)", 0, 0, 0, 0, 0, 0, 0],
        ["", "Итого по классу", 4, 2, 6, 3, 1, 2, 1],
    ]
    assert doc.table(key).rows[-1].emphasis == "total"
    assert cells(doc, f"attendance:{world.class_5b.pk}") == [
        [1, "Ильина Ольга (выб. 11.10.2026)", 0, 0, 0, 0, 0],
        ["", "Итого по классу", 0, 0, 0, 0, 0],
    ]


# --- 3. class results -------------------------------------------------------------------------------------


def test_class_results_count_success_quality_and_every_category(school, school_class, parallel_class, world):
    doc = reports.class_results(school, q(world))
    # 5А: math 5 4 3 2 н/а 3 5 and Russian 5 5 4 3 4 3 → «5» ×4, «4» ×3, «3» ×4, «2» ×1, н/а ×1; 6Б: one «4».
    assert cells(doc, "distribution") == [["5А", 4, 3, 4, 1, 1], ["5Б", 0, 0, 0, 0, 0], ["6Б", 0, 1, 0, 0, 0]]
    assert doc.table("classes").columns[5:7] == ["Успеваемость, %", "Качество, %"]
    assert cells(doc, "classes") == [
        # class, students, assessed, н/а, successful, success %, quality %, «5», «4–5», one «3», «3», failing
        ["5А", 7, 5, 1, 4, 66.7, 33.3, 1, 1, 1, 1, 1],
        ["5Б", 0, 0, 0, 0, None, None, 0, 0, 0, 0, 0],
        ["Итого 5 классы", 7, 5, 1, 4, 66.7, 33.3, 1, 1, 1, 1, 1],
        ["6Б", 1, 1, 0, 1, 100.0, 100.0, 0, 1, 0, 0, 0],
        ["Итого", 8, 6, 1, 5, 71.4, 42.9, 1, 2, 1, 1, 1],
    ]
    rows = doc.table("classes").rows
    assert [r.emphasis for r in rows] == ["", "", "total", "", "total"]
    assert rows[0].drill == f"results:{school_class.pk}"
    detail = doc.table(f"results:{school_class.pk}")
    assert detail.detail
    assert cells(doc, detail.key) == [
        [1, "Андреев Антон", "Отличник", "", "", ""],
        [2, "Борисова Вера", "Хорошист", "", "", ""],
        [3, "Васильев Глеб", "С одной «3»", "Математика", "", ""],
        [4, "Григорьева Дарья", "Неуспевающий", "Русский язык", "Математика", ""],
        [5, "Дмитриев Егор", "Не аттестован", "", "", "Математика"],
        [6, "Егорова Жанна", "С «3»", "Математика, Русский язык", "", ""],
        [7, "Ильина Ольга", "Нет отметок за период", "", "", ""],
    ]
    assert [r.emphasis for r in detail.rows] == ["", "", "", "warn", "warn", "", ""]


def test_class_results_of_one_class_has_just_its_row_and_the_total(school, parallel_class, world):
    doc = reports.class_results(school, q(world, **{"class": parallel_class.pk}))
    assert cells(doc, "classes") == [
        ["6Б", 1, 1, 0, 1, 100.0, 100.0, 0, 1, 0, 0, 0],
        ["Итого", 1, 1, 0, 1, 100.0, 100.0, 0, 1, 0, 0, 0],
    ]
    assert cells(doc, f"results:{parallel_class.pk}") == [[1, "Зайцева Анна", "Хорошист", "", "", ""]]


def test_a_pass_fail_result_counts_as_success_but_not_quality(school, parallel_class, other_group, world):
    from grading.models import PeriodMark

    PeriodMark.objects.filter(group=other_group).update(value=None, code="pass")
    doc = reports.class_results(school, q(world, **{"class": parallel_class.pk}))
    assert cells(doc, "classes")[0] == ["6Б", 1, 1, 0, 1, 100.0, 0.0, 0, 0, 0, 0, 0]
    PeriodMark.objects.filter(group=other_group).update(code="fail")
    doc = reports.class_results(school, q(world, **{"class": parallel_class.pk}))
    assert cells(doc, "classes")[0] == ["6Б", 1, 1, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 1]


# --- 4. the class teacher's report ------------------------------------------------------------------------


def test_class_teacher_report_has_movement_results_and_attendance(school, school_class, class_teacher, world):
    doc = reports.class_teacher_report(school, q(world, **{"class": school_class.pk}))
    assert doc.title == "Отчёт классного руководителя 5А"
    assert doc.subtitle.endswith(f"классный руководитель: {class_teacher.full_name}")
    assert cells(doc, "movement") == [["5А", 6, 2, 1, 7]]
    assert cells(doc, "results") == [["5А", 7, 5, 1, 4, 66.7, 33.3, 1, 1, 1, 1, 1]]
    assert cells(doc, "attendance") == [["5А", 8, 6, 3, 1, 2, 1, 0.8]]
    assert [t.rows[0].drill for t in doc.tables[:3]] == [
        "movement_list",
        f"results:{school_class.pk}",
        "attendance_students",
    ]
    assert cells(doc, "movement_list") == [
        ["01.10.2026", "Егорова Жанна", "5А", "прибыл(а)", "зачислен(а)", "45-у"],
        ["12.10.2026", "Ильина Ольга", "5А", "прибыл(а)", "перевод", "50-у"],
        ["15.10.2026", "Жуков Иван", "5А", "выбыл(а)", "выбыл(а) из школы", "51-у"],
    ]
    assert cells(doc, "attendance_students") == [
        [1, "Андреев Антон", 2, 2, 0, 0, 0],
        [2, "Борисова Вера", 1, 0, 0, 1, 1],
        [3, "Васильев Глеб", 0, 0, 0, 0, 0],
        [4, "Григорьева Дарья", 2, 0, 1, 1, 0],
        [5, "Дмитриев Егор", 0, 0, 0, 0, 0],
        [6, "Егорова Жанна (приб. 01.10.2026)", 0, 0, 0, 0, 0],
        [7, "Жуков Иван (выб. 15.10.2026)", 1, 1, 0, 0, 0],
        [8, "Ильина Ольга (приб. 12.10.2026)", 0, 0, 0, 0, 0],
    ]
    assert len(cells(doc, f"results:{school_class.pk}")) == 7


# --- 5. student movement ----------------------------------------------------------------------------------


def test_student_movement_lists_arrivals_and_departures_with_orders(school, school_class, parallel_class, world):
    doc = reports.student_movement(school, q(world))
    assert cells(doc, "classes") == [
        ["5А", 6, 2, 1, 7],
        ["5Б", 1, 0, 1, 0],
        ["Итого 5 классы", 7, 2, 2, 7],
        ["6Б", 1, 0, 0, 1],
        ["Итого", 8, 2, 2, 8],
    ]
    assert [r.drill for r in doc.table("classes").rows] == [
        f"movement:{school_class.pk}",
        f"movement:{world.class_5b.pk}",
        "",
        "",
        "",
    ]
    assert cells(doc, "events") == [
        ["01.10.2026", "Егорова Жанна", "5А", "прибыл(а)", "зачислен(а)", "45-у"],
        ["11.10.2026", "Ильина Ольга", "5Б", "выбыл(а)", "перевод", "50-у"],
        ["12.10.2026", "Ильина Ольга", "5А", "прибыл(а)", "перевод", "50-у"],
        ["15.10.2026", "Жуков Иван", "5А", "выбыл(а)", "выбыл(а) из школы", "51-у"],
    ]
    assert cells(doc, f"movement:{world.class_5b.pk}") == [
        ["11.10.2026", "Ильина Ольга", "5Б", "выбыл(а)", "перевод", "50-у"]
    ]


# --- 6. class sizes ---------------------------------------------------------------------------------------


def test_class_sizes_on_the_first_and_last_day_by_grade(school, school_class, parallel_class, class_teacher, world):
    teacher = class_teacher.short_name
    assert teacher.startswith("Морозова С.")
    doc = reports.class_sizes(school, q(world))
    assert cells(doc, "classes") == [
        ["5А", teacher, 6, 7, 3, 4],
        ["5Б", "", 1, 0, 0, 0],
        ["Итого 5 классы", "", 7, 7, 3, 4],
        ["6Б", "", 1, 1, 0, 1],
        ["Итого", "", 8, 8, 3, 5],
    ]
    second = reports.class_sizes(school, {"period": world.q2.pk, "grade": 5})
    assert cells(second, "classes") == [
        ["5А", teacher, 7, 7, 3, 4],
        ["5Б", "", 0, 0, 0, 0],
        ["Итого", "", 7, 7, 3, 4],
    ]


# --- 7, 8. per student, with topics -----------------------------------------------------------------------


def test_missed_lessons_with_their_topics(school, school_class, world):
    doc = reports.missed_with_topics(school, q(world, **{"class": school_class.pk}))
    assert [r[2] for r in cells(doc, "students")] == [2, 1, 0, 2, 0, 0, 1, 0, 6]
    assert doc.table("students").rows[0].drill == f"missed:{world.a.pk}"
    assert doc.table("students").rows[2].drill == ""
    assert cells(doc, f"missed:{world.a.pk}") == [
        ["15.09.2026", 2, "Русский язык", "Орфоэпия", "Б"],
        ["16.09.2026", 1, "Математика", "Вычитание", "Б"],
    ]
    assert cells(doc, f"missed:{world.b.pk}") == [["01.10.2026", 1, "Математика", "—", "Н"]]
    assert cells(doc, f"missed:{world.d.pk}") == [
        ["15.09.2026", 2, "Русский язык", "Орфоэпия", "У"],
        ["16.09.2026", 1, "Математика", "Вычитание", "Н"],
    ]
    assert cells(doc, f"missed:{world.g.pk}") == [["01.10.2026", 1, "Математика", "—", "Б"]]


def test_unsatisfactory_marks_with_their_topics(school, school_class, world):
    doc = reports.unsatisfactory_with_topics(school, q(world, **{"class": school_class.pk}))
    assert [r[2] for r in cells(doc, "students")] == [0, 1, 0, 3, 0, 0, 0, 0, 4]
    assert cells(doc, f"unsatisfactory:{world.b.pk}") == [
        ["15.09.2026", "Математика", "Контрольная работа", "Сложение", "2"]
    ]
    assert cells(doc, f"unsatisfactory:{world.d.pk}") == [
        ["14.09.2026", "Математика", "Ответ на уроке", "Натуральные числа", "2"],
        ["14.09.2026", "Русский язык", "Ответ на уроке", "Фонетика", "незач"],
        ["15.09.2026", "Математика", "Контрольная работа", "Сложение", "1"],
    ]


# --- 9. forecast ------------------------------------------------------------------------------------------


def test_forecast_from_the_weighted_average(school, school_class, group, world):
    doc = reports.forecast(school, q(world, **{"class": school_class.pk}))
    table = doc.table(f"forecast:{school_class.pk}")
    assert table.columns == [
        "№",
        "Учащийся",
        "Матем.: средний",
        "Матем.: прогноз",
        "Рус. яз.: средний",
        "Рус. яз.: прогноз",
    ]
    rows = cells(doc, table.key)
    # А: (5·1 + 4·3) / 4; Б: (4 + 3 + 2·3) / 5 — both marks of «4/3»; Г: (2 + 1·3) / 4; «незач» is no number.
    assert rows[0] == [1, "Андреев Антон", 4.25, 4, None, None]
    assert rows[1] == [2, "Борисова Вера", 2.6, 3, None, None]
    assert rows[3] == [4, "Григорьева Дарья", 1.25, 1, None, None]
    assert [r[2:] for i, r in enumerate(rows) if i not in (0, 1, 3)] == [[None, None, None, None]] * 5
    averages = period_averages(group, world.q1)
    assert {world.a.pk: 4.25, world.b.pk: 2.6, world.d.pk: 1.25} == {k: float(v) for k, v in averages.items()}
    assert cells(doc, "risk") == [["5А", "Григорьева Дарья", "Математика", 1.25, 1]]


# --- 10. user activity ------------------------------------------------------------------------------------


@pytest.fixture
def logins(school, world, teacher, class_teacher, director, outsider, other_school):
    p1 = UserFactory(username="p1")
    parent_link(actor=None, parent=p1, student=world.a, relation="mother")
    parent_link(actor=None, parent=p1, student=world.b, relation="mother")
    p2 = UserFactory(username="p2")
    parent_link(actor=None, parent=p2, student=world.c, relation="father")
    pupil = UserFactory(username="pupil")
    student_login_set(actor=None, student=world.a, user=pupil)
    staff_role_grant(actor=None, user=UserFactory(username="elsewhere"), school=other_school, role="teacher")
    # The math teacher is also the secretary of the other school: counted here as a teacher only.
    staff_role_grant(actor=None, user=teacher, school=other_school, role="secretary")

    def login(user: Any, *moment: int) -> None:
        event = LoginEventFactory(user=user)
        LoginEvent.objects.filter(pk=event.pk).update(at=dt.datetime(*moment, tzinfo=MSK))

    login(teacher, 2026, 9, 1, 10)
    login(teacher, 2026, 9, 3, 10)
    login(teacher, 2026, 9, 8, 10)
    login(class_teacher, 2026, 9, 8, 9)
    login(director, 2026, 9, 30, 23, 30)
    login(director, 2026, 10, 1, 0, 30)  # already October in Moscow
    login(p1, 2026, 9, 2, 12)
    login(p1, 2026, 9, 2, 18)
    login(pupil, 2026, 8, 31, 23)  # still August in Moscow
    login(outsider, 2026, 9, 2, 12)


def test_user_activity_by_week_counts_users_logins_and_shares(school, logins):
    doc = reports.user_activity(school, {"start": "2026-09-01", "end": "2026-09-30", "step": "week"})
    assert cells(doc, "roles") == [
        ["Директор", 1, 1, 100.0, 1],
        ["Заместители директора", 0, 0, None, 0],
        ["Администраторы", 0, 0, None, 0],
        ["Секретари", 0, 0, None, 0],
        ["Учителя", 2, 2, 100.0, 4],
        ["Родители", 2, 1, 50.0, 2],
        ["Учащиеся", 1, 0, 0.0, 0],
    ]
    assert doc.table("roles").rows[4].drill == "role:teacher"
    weeks = ["01.09–06.09.2026", "07.09–13.09.2026", "14.09–20.09.2026", "21.09–27.09.2026", "28.09–30.09.2026"]
    assert cells(doc, "role:teacher") == [
        [weeks[0], 1, 50.0, 2],
        [weeks[1], 2, 100.0, 2],
        [weeks[2], 0, 0.0, 0],
        [weeks[3], 0, 0.0, 0],
        [weeks[4], 0, 0.0, 0],
        ["За весь период", 2, 100.0, 4],
    ]
    assert doc.table("role:teacher").rows[-1].emphasis == "total"
    assert cells(doc, "role:director")[4] == [weeks[4], 1, 100.0, 1]
    assert [r[1:] for r in cells(doc, "role:parents")] == [[1, 50.0, 2], *[[0, 0.0, 0]] * 4, [1, 50.0, 2]]
    assert [r[1:] for r in cells(doc, "role:students")] == [[0, 0.0, 0]] * 6
    assert [r[1:] for r in cells(doc, "role:deputy")] == [[0, None, 0]] * 6


def test_user_activity_by_month(school, logins):
    doc = reports.user_activity(school, {"start": "2026-09-01", "end": "2026-10-31", "step": "month"})
    assert cells(doc, "role:teacher") == [
        ["сентябрь 2026", 2, 100.0, 4],
        ["октябрь 2026", 0, 0.0, 0],
        ["За весь период", 2, 100.0, 4],
    ]
    assert cells(doc, "role:director") == [
        ["сентябрь 2026", 1, 100.0, 1],
        ["октябрь 2026", 1, 100.0, 1],
        ["За весь период", 1, 100.0, 2],
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-09-30", "end": "2026-09-01", "step": "week"},
        {"start": "2026-09-01", "end": "2026-09-30", "step": "day"},
        {"start": "01.09.2026", "end": "2026-09-30", "step": "week"},
        {"start": "2024-09-01", "end": "2026-09-30", "step": "month"},
    ],
)
def test_user_activity_refuses_bad_parameters(school, params):
    with pytest.raises(ValidationError):
        reports.user_activity(school, params)


# --- the number of queries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "most"),
    [
        ("marks_summary", 5),
        ("attendance_summary", 6),
        ("class_results", 5),
        ("class_teacher_report", 8),
        ("student_movement", 4),
        ("class_sizes", 3),
        ("missed_with_topics", 6),
        ("unsatisfactory_with_topics", 6),
        ("forecast", 5),
    ],
)
def test_each_report_runs_a_fixed_number_of_queries(
    name, most, school, school_class, world, django_assert_max_num_queries
):
    scope = (
        {"class": school_class.pk}
        if name in ("class_teacher_report", "missed_with_topics", "unsatisfactory_with_topics")
        else {}
    )
    with django_assert_max_num_queries(most):
        reports.REPORTS[name](school, q(world, **scope), lambda p: None)
    # Twenty more students with marks and absences do not add a query.
    for _ in range(20):
        s = StudentFactory(school=school)
        enrollment_admit(actor=None, student=s, school_class=school_class, start=D(2026, 9, 1))
        PeriodMarkFactory(group=world.rus, student=s, period=world.q1, value=4)
    with django_assert_max_num_queries(most):
        reports.REPORTS[name](school, q(world, **scope), lambda p: None)


def test_user_activity_runs_nine_queries(school, logins, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        reports.user_activity(school, {"start": "2026-09-01", "end": "2026-09-30", "step": "month"})
