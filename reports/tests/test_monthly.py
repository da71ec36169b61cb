"""The monthly journal analysis (R20, R22; R4–R6 for what it checks): every number of a small hand-built
school for November 2026, the accumulation rule's edge cases, scoping and the query budget."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LoginEvent
from accounts.services import parent_link, staff_role_grant, student_login_set, teacher_assign
from accounts.tests.factories import UserFactory
from attendance.models import Absence
from grading.history import EventData, events_append
from grading.models import Mark
from grading.tests.factories import MarkColumnFactory, MarkFactory, WorkTypeFactory
from journal.models import GroupMembership, Homework, Lesson, StudyPeriod, TeachingGroup
from journal.services import enrollment_admit
from journal.tests.factories import (
    YEAR_START,
    BellFactory,
    GroupMembershipFactory,
    HomeworkFactory,
    LessonFactory,
    PlanItemFactory,
    SchoolClassFactory,
    StudentFactory,
    SubjectFactory,
    TeachingGroupFactory,
)
from reports.models import GradingPolicy
from reports.monthly import monthly_analysis
from reports.tables import Document

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NOVEMBER = {"month": "2026-11"}


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MSK)


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def mark(lesson: Lesson, student: Any, work_type: Any, entered: dt.datetime, **fields: Any) -> Mark:
    fields.setdefault("value", 5)
    created = MarkFactory(column=MarkColumnFactory(lesson=lesson, work_type=work_type), student=student, **fields)
    Mark.objects.filter(pk=created.pk).update(created_at=entered)
    return created


def homework(lesson: Lesson, entered: dt.datetime) -> Homework:
    created = HomeworkFactory(lesson=lesson)
    Homework.objects.filter(pk=created.pk).update(created_at=entered)
    return created


def login(user: Any, when: dt.datetime) -> None:
    event = LoginEvent.objects.create(user=user)
    LoginEvent.objects.filter(pk=event.pk).update(at=when)


def mark_event(lesson: Lesson, student: Any, actor: Any, when: dt.datetime, action: str, old: int, new: int | None):
    return events_append(
        lesson.group_id,
        [
            EventData(
                actor_id=actor.pk,
                action=action,
                object_type="mark",
                object_id=1,
                lesson_id=lesson.pk,
                student_id=student.pk,
                old={"value": old, "value2": None, "code": ""},
                new=None if new is None else {"value": new, "value2": None, "code": ""},
                reason="ошибка при вводе",
                at=when,
            )
        ],
    )


def admit(school: Any, school_class: Any, last_name: str, first_name: str, start: dt.date) -> Any:
    child = StudentFactory(school=school, last_name=last_name, first_name=first_name, patronymic="")
    enrollment_admit(actor=None, student=child, school_class=school_class, start=start)
    return child


def cells(document: Document, key: str) -> list[list]:
    return [row.cells for row in document.table(key).rows]


def keys(document: Document) -> set[str]:
    return {table.key for table in document.tables}


@pytest.fixture
def music(school: Any, school_class: Any) -> TeachingGroup:
    """5А music, one hour a week (R6: the lighter norm and the longer grace)."""
    return TeachingGroupFactory(
        year=school_class.year,
        subject=SubjectFactory(school=school, name="Музыка"),
        name="5А, музыка",
        hours_per_week=1,
        classes=[school_class],
    )


@pytest.fixture
def music_teacher(school: Any, music: TeachingGroup) -> Any:
    user = UserFactory(username="music", last_name="Соколов", first_name="Игорь", patronymic="Олегович")
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    teacher_assign(actor=None, group=music, teacher=user, start=YEAR_START)
    return user


@pytest.fixture
def town(
    school: Any,
    school_class: Any,
    group: TeachingGroup,
    music: TeachingGroup,
    teacher: Any,
    music_teacher: Any,
    student: Any,
    parent: Any,
    student_user: Any,
    quarters: Any,
) -> dict[str, Any]:
    """November 2026 in 5А (quarter II: 05.11–28.12, 54 days; by 30.11 26 days have run).

    math (4 h, Петрова): 5 members — Иванов (all along), Смирнова (all along), Кузнецов (absent from every
    lesson of the quarter), Попова (admitted 20.11), Орлов (admitted 12.11).
    music (1 h, Соколов): the same five.
    """
    GroupMembership.objects.get_or_create(group=music, student=student, defaults={"start": YEAR_START})
    smirnova = admit(school, school_class, "Смирнова", "Анна", YEAR_START)
    kuznetsov = admit(school, school_class, "Кузнецов", "Дмитрий", YEAR_START)
    popova = admit(school, school_class, "Попова", "Елена", d(11, 20))
    orlov = admit(school, school_class, "Орлов", "Илья", d(11, 12))
    BellFactory(school=school, number=1)  # 08:30–09:15
    BellFactory(school=school, number=2)  # 09:30–10:15
    oral = WorkTypeFactory(school=school, name="Ответ на уроке", is_written=False)
    written = WorkTypeFactory(school=school, name="Контрольная работа", short_name="К/р", is_written=True)

    # math lessons
    october = LessonFactory(group=group, date=d(10, 14), number=1, teacher=teacher)
    m1 = LessonFactory(group=group, date=d(11, 9), number=1, teacher=teacher, topic="Дроби")
    m2 = LessonFactory(group=group, date=d(11, 11), number=1, teacher=teacher, topic="")
    m3 = LessonFactory(
        group=group, date=d(11, 16), number=1, teacher=music_teacher, topic="Сложение дробей", is_substitution=True
    )
    m4 = LessonFactory(group=group, date=d(11, 23), number=2, teacher=teacher, topic="")
    LessonFactory(group=group, date=d(11, 25), number=1, teacher=teacher, status="planned", topic="")
    LessonFactory(group=group, date=d(11, 27), number=1, teacher=teacher, status="cancelled", topic="")
    LessonFactory(group=group, date=d(12, 1), number=1, teacher=teacher, topic="")
    homework(m1, at(11, 9, 9, 0))  # during the lesson
    homework(m3, at(11, 16, 12, 0))  # the bell rang at 09:15: due by 10:15, late (R5)
    homework(m4, at(11, 20, 18, 0))  # set ahead (R5)
    for lesson in (m1, m2, m3, m4):
        Absence.objects.create(lesson=lesson, student=kuznetsov, kind="absent")
    mark(m1, student, oral, at(11, 9, 9, 0))
    mark(m3, student, written, at(11, 20, 15, 0))  # written: due by 16.11 + 5 days
    mark(m4, student, oral, at(11, 23, 9, 50), value=4, value2=3)  # «4/3»: two marks (R2)
    mark(m1, smirnova, oral, at(11, 10, 1, 0))  # 01:00 in Moscow is still 09.11 in UTC: late all the same
    mark(october, smirnova, oral, at(10, 14, 9, 0))
    mark(m3, orlov, written, at(11, 23, 10, 0))  # past 21.11: late
    mark(m4, orlov, oral, at(11, 23, 9, 40), value=None, code="exempt")  # «осв» is not a mark (R2)
    for hours, planned in ((2, d(9, 10)), (2, d(10, 10)), (2, d(11, 10)), (2, d(11, 30)), (3, d(12, 10)), (5, None)):
        PlanItemFactory(group=group, hours=hours, planned_date=planned)
    # R4: changed after the lesson day in November — counted; on the day, or in December — not.
    mark_event(m1, student, teacher, at(11, 12, 14, 0), "update", 5, 4)
    mark_event(m2, smirnova, teacher, at(11, 25, 8, 0), "delete", 3, None)
    mark_event(m1, student, teacher, at(11, 9, 15, 0), "update", 4, 5)
    mark_event(m4, student, teacher, at(12, 2, 10, 0), "update", 4, 5)

    # music lessons (number 3 has no bell: homework is due by the end of the lesson day)
    s1 = LessonFactory(group=music, date=d(11, 10), number=3, teacher=music_teacher, topic="Песня")
    s2 = LessonFactory(group=music, date=d(11, 17), number=3, teacher=music_teacher, topic="Ритм")
    homework(s1, at(11, 11, 8, 0))
    mark(s1, student, oral, at(11, 10, 11, 0))
    mark(s2, student, oral, at(11, 17, 11, 0))
    mark(s1, smirnova, oral, at(11, 10, 11, 0))

    # participation: two parents, two students with their own login
    other_parent = UserFactory(username="parent2", last_name="Смирнов", first_name="Олег")
    parent_link(actor=None, parent=other_parent, student=smirnova)
    kuznetsov_user = UserFactory(username="kuznetsov", last_name="Кузнецов", first_name="Дмитрий")
    student_login_set(actor=None, student=kuznetsov, user=kuznetsov_user)
    login(parent, at(11, 3, 19, 0))
    login(other_parent, at(10, 30, 19, 0))
    login(student_user, at(11, 15, 16, 0))
    login(kuznetsov_user, at(12, 1, 0, 30))
    return {
        "smirnova": smirnova,
        "kuznetsov": kuznetsov,
        "popova": popova,
        "orlov": orlov,
        "oral": oral,
        "lessons": (m1, m2, m3, m4),
        "music_lessons": (s1, s2),
    }


@pytest.fixture
def outsiders(other_school: Any, outsider_group: TeachingGroup, outsider_student: Any) -> None:
    """The other school's busy November: none of it may appear."""
    other_teacher = UserFactory(username="other_teacher", last_name="Чужая", first_name="Анна", patronymic="")
    staff_role_grant(actor=None, user=other_teacher, school=other_school, role="teacher")
    teacher_assign(actor=None, group=outsider_group, teacher=other_teacher, start=YEAR_START)
    work = WorkTypeFactory(school=other_school, name="Ответ на уроке")
    for day in (9, 10, 11):
        lesson = LessonFactory(group=outsider_group, date=d(11, day), number=1, topic="")
        mark(lesson, outsider_student, work, at(11, 20, 12, 0))
        mark_event(lesson, outsider_student, other_teacher, at(11, 25, 12, 0), "update", 5, 4)
    other_parent = UserFactory(username="other_parent")
    parent_link(actor=None, parent=other_parent, student=outsider_student)
    login(other_parent, at(11, 5, 10, 0))


GROUP_A = [
    "Петрова М. П.", "5А, математика",
    4,  # held in November (planned and cancelled ones are not)
    2,  # without a topic
    75.0,  # homework at 3 of 4
    5,  # members during November
    40.0,  # Кузнецов, Попова: no marks
    40.0,  # Смирнова, Орлов: one mark («осв» does not count)
    2,  # Смирнова, Орлов below the norm
    2,  # Смирнова's oral mark the next night, Орлов's written one after 5 days
    1,  # homework of 16.11 after 10:15
    2,  # changed 12.11 and deleted 25.11
    1,  # substituted
    5,  # held hours since 01.09
    8,  # planned hours up to 30.11
    62.5,
]  # fmt: skip
GROUP_B = [
    "Соколов И. О.", "5А, музыка",
    2, 0, 50.0, 5,
    60.0,  # Кузнецов, Попова, Орлов
    20.0,  # Смирнова
    2,  # Смирнова (1 < 2), Кузнецов (0 < 2); Орлов's 19 days are within the 3 grace weeks
    0, 1, 0, 0, 2, 0, None,
]  # fmt: skip
TOTAL = ["Итого по школе", "2 группы", 6, 2, 66.7, 10, 50.0, 30.0, 4, 2, 2, 2, 1, 7, 8, 62.5]


@pytest.mark.usefixtures("outsiders")
def test_it_counts_every_number_of_every_teacher_and_group(school: Any, town: dict, group: Any, music: Any) -> None:
    progress: list[int] = []
    document = monthly_analysis(school, NOVEMBER, progress.append)

    assert document.title == "Анализ работы с классным журналом"
    assert document.subtitle == "Школа № 1, ноябрь 2026"
    assert cells(document, "groups") == [GROUP_A, GROUP_B, TOTAL]
    rows = document.table("groups").rows
    assert [r.drill for r in rows] == [f"group:{group.pk}", f"group:{music.pk}", ""]
    assert [r.emphasis for r in rows] == ["warn", "warn", "total"]
    assert "⌈норма × прошедшие дни / дни периода⌉" in document.table("groups").note
    assert progress[-1] == 100 and progress == sorted(progress) and len(progress) >= 4


@pytest.mark.usefixtures("town")
def test_the_drill_tables_list_the_rows_behind_the_numbers(school: Any, group: Any, music: Any) -> None:  # R6, R4
    document = monthly_analysis(school, NOVEMBER)
    a, b = group.pk, music.pk

    assert cells(document, f"below_norm:{a}") == [
        ["Орлов Илья", "12.11.2026", 1, 2, 5],  # ⌈5 × 19 / 54⌉ since his admission
        ["Смирнова Анна", "05.11.2026", 1, 3, 5],  # ⌈5 × 26 / 54⌉
    ]
    assert cells(document, f"below_norm:{b}") == [
        ["Кузнецов Дмитрий", "05.11.2026", 0, 2, 3],  # ⌈3 × 26 / 54⌉
        ["Смирнова Анна", "05.11.2026", 1, 2, 3],
    ]
    assert cells(document, f"no_marks:{a}") == [["Кузнецов Дмитрий"], ["Попова Елена"]]
    assert cells(document, f"one_mark:{a}") == [["Орлов Илья"], ["Смирнова Анна"]]
    assert cells(document, f"no_marks:{b}") == [["Кузнецов Дмитрий"], ["Орлов Илья"], ["Попова Елена"]]
    assert cells(document, f"no_topic:{a}") == [["11.11.2026", 1, "Петрова М. П."], ["23.11.2026", 2, "Петрова М. П."]]
    assert cells(document, f"no_homework:{a}") == [["11.11.2026", 1, "Петрова М. П.", ""]]
    assert cells(document, f"substituted:{a}") == [["16.11.2026", 1, "Соколов И. О.", "Сложение дробей"]]
    assert cells(document, f"late:{a}") == [
        ["09.11.2026", "отметка «5» (Ответ на уроке)", "Смирнова Анна", "09.11.2026", "10.11.2026 01:00"],
        ["16.11.2026", "отметка «5» (Контрольная работа)", "Орлов Илья", "21.11.2026", "23.11.2026 10:00"],
        ["16.11.2026", "домашнее задание (1-й урок)", "", "16.11.2026 10:15", "16.11.2026 12:00"],
    ]
    assert cells(document, f"late:{b}") == [
        ["10.11.2026", "домашнее задание (3-й урок)", "", "11.11.2026 00:00", "11.11.2026 08:00"],
    ]
    assert cells(document, f"changed:{a}") == [
        ["09.11.2026", "12.11.2026 14:00", "Иванов Пётр", "5 → 4", "ошибка при вводе", "Петрова М. П."],
        ["11.11.2026", "25.11.2026 08:00", "Смирнова Анна", "3 → удалена", "ошибка при вводе", "Петрова М. П."],
    ]
    assert f"changed:{b}" not in keys(document)
    assert all(document.table(k).detail for k in keys(document) if ":" in k)
    overview = {row.cells[0]: (row.cells[1], row.drill) for row in document.table(f"group:{a}").rows}
    assert overview["Уроков без темы"] == (2, f"no_topic:{a}")
    assert overview["Ниже нормы накопляемости"] == (2, f"below_norm:{a}")
    assert overview["Отметок с опозданием"] == (2, f"late:{a}")
    assert overview["Изменено отметок после дня урока"] == (2, f"changed:{a}")
    assert overview["Проведено уроков"] == (4, "")


@pytest.mark.usefixtures("town", "outsiders")
def test_participation_of_teachers_parents_and_students(school: Any, music_teacher: Any) -> None:  # R20
    document = monthly_analysis(school, NOVEMBER)

    assert cells(document, "participation") == [
        ["Учителя", 2, 1, 50.0],  # Петрова wrote in the journal in November, Соколов did not
        ["Родители", 2, 1, 50.0],  # Смирнов last logged in on 30.10
        ["Ученики", 2, 1, 50.0],  # Кузнецов logged in on 01.12 at 00:30 Moscow time
    ]
    assert document.table("participation").rows[0].drill == "idle_teachers"
    assert cells(document, "idle_teachers") == [["Соколов И. О."]]


@pytest.mark.usefixtures("town")
def test_the_remarks_for_the_teachers(school: Any) -> None:  # R20
    document = monthly_analysis(school, NOVEMBER)

    assert cells(document, "remarks") == [
        [
            "Петрова М. П.",
            "5А, математика",
            "2 урока без темы; к 1 уроку не записано домашнее задание; у 2 учеников нет отметок за месяц; "
            "у 2 учеников только одна отметка за месяц; 2 ученика ниже нормы накопляемости; "
            "2 отметки внесены с опозданием; 1 домашнее задание записано с опозданием; "
            "2 отметки изменены после дня урока; отставание от КТП на 3 ч (выполнено 62,5 %)",
        ],
        [
            "Соколов И. О.",
            "5А, музыка",
            "К 1 уроку не записано домашнее задание; у 3 учеников нет отметок за месяц; "
            "у 1 ученика только одна отметка за месяц; 2 ученика ниже нормы накопляемости; "
            "1 домашнее задание записано с опозданием",
        ],
    ]
    assert cells(document, "remarks")[0][2].startswith("2 урока")


@pytest.mark.usefixtures("town")
def test_within_the_grace_weeks_nobody_is_flagged(school: Any, group: Any, music: Any) -> None:  # R6
    GradingPolicy.objects.create(school=school, grace_weeks=4, grace_weeks_one_hour=4)  # 28 days > 26 run

    document = monthly_analysis(school, NOVEMBER)

    assert [row[8] for row in cells(document, "groups")] == [None, None, None]
    assert not {f"below_norm:{group.pk}", f"below_norm:{music.pk}"} & keys(document)
    assert "ниже нормы" not in " ".join(row[2] for row in cells(document, "remarks"))


def test_one_hour_a_week_has_a_longer_grace(school: Any, group: Any, music: Any, teacher: Any, student: Any) -> None:
    # R6: quarter III starts 11.01; by 31.01 21 days have run: past 2 weeks, not past 3 weeks.
    StudyPeriod.objects.create(
        year=group.year, kind="quarter", number=3, start=dt.date(2027, 1, 11), end=dt.date(2027, 3, 20)
    )
    GroupMembership.objects.get_or_create(group=music, student=student, defaults={"start": YEAR_START})
    for g in (group, music):
        LessonFactory(group=g, date=dt.date(2027, 1, 12), number=1 if g == group else 2, teacher=teacher)

    document = monthly_analysis(school, {"month": "2027-01"})

    by_group = {row[1]: row[8] for row in cells(document, "groups")}
    assert by_group == {"5А, математика": 1, "5А, музыка": None, "2 группы": 1}  # ⌈5 × 21 / 69⌉ = 2 > 0


@pytest.mark.usefixtures("town")
def test_two_hours_a_week_asks_for_the_heavier_norm(school: Any, group: Any, music: Any) -> None:  # R6
    TeachingGroup.objects.filter(pk=music.pk).update(hours_per_week=2)  # 5 a quarter, 2 grace weeks

    document = monthly_analysis(school, NOVEMBER)

    assert cells(document, f"below_norm:{music.pk}") == [
        ["Иванов Пётр", "05.11.2026", 2, 3, 5],  # 2 marks were enough at 1 hour a week
        ["Кузнецов Дмитрий", "05.11.2026", 0, 3, 5],
        ["Орлов Илья", "12.11.2026", 0, 2, 5],  # his 19 days are now past the grace
        ["Смирнова Анна", "05.11.2026", 1, 3, 5],
    ]


@pytest.mark.usefixtures("town")
def test_absent_and_newly_admitted_students_are_not_counted(school: Any, group: Any, town: dict) -> None:  # R6
    document = monthly_analysis(school, NOVEMBER)
    flagged = {row[0] for row in cells(document, f"below_norm:{group.pk}")}

    assert "Кузнецов Дмитрий" not in flagged  # absent from every lesson of the quarter
    assert "Попова Елена" not in flagged  # admitted 20.11: only 11 days in the group
    # Once Кузнецов is present at one lesson he is counted.
    Absence.objects.filter(lesson=town["lessons"][3], student=town["kuznetsov"]).delete()
    document = monthly_analysis(school, NOVEMBER)
    assert ["Кузнецов Дмитрий", "05.11.2026", 0, 3, 5] in cells(document, f"below_norm:{group.pk}")


@pytest.mark.usefixtures("town", "music_teacher")
def test_it_restricts_to_one_teacher_or_one_class(
    school: Any, music_teacher: Any, other_group: Any, parallel_class: Any, other_student: Any
) -> None:
    LessonFactory(group=other_group, date=d(11, 12), number=1, topic="")

    everything = monthly_analysis(school, NOVEMBER)
    assert [row[1] for row in cells(everything, "groups")] == [
        "5А, математика",
        "5А, музыка",
        "6Б, математика",
        "3 группы",
    ]
    assert cells(everything, "groups")[2][0] == "не назначен"

    mine = monthly_analysis(school, {**NOVEMBER, "teacher": music_teacher.pk})
    assert [row[:4] for row in cells(mine, "groups")] == [
        ["Соколов И. О.", "5А, музыка", 2, 0],
        ["Итого по школе", "1 группа", 2, 0],
    ]
    assert mine.subtitle == "Школа № 1, ноябрь 2026; учитель: Соколов И. О."
    assert cells(mine, "participation")[0][:3] == ["Учителя", 1, 0]

    sixth = monthly_analysis(school, {**NOVEMBER, "class": str(parallel_class.pk)})
    assert [row[:4] for row in cells(sixth, "groups")] == [
        ["не назначен", "6Б, математика", 1, 1],
        ["Итого по школе", "1 группа", 1, 1],
    ]
    assert cells(sixth, "participation")[2] == ["Ученики", 0, 0, None]


@pytest.mark.usefixtures("outsiders")
def test_another_schools_data_never_appears(school: Any, other_school: Any, teacher: Any) -> None:
    document = monthly_analysis(school, NOVEMBER)

    assert cells(document, "groups") == [
        ["Петрова М. П.", "5А, математика", 0, 0, None, 0, None, None, None, 0, 0, 0, 0, 0, 0, None],
        ["Итого по школе", "1 группа", 0, 0, None, 0, None, None, None, 0, 0, 0, 0, 0, 0, None],
    ]
    assert cells(document, "participation") == [
        ["Учителя", 1, 0, 0.0],
        ["Родители", 0, 0, None],
        ["Ученики", 0, 0, None],
    ]
    theirs = monthly_analysis(other_school, NOVEMBER)
    assert [row[:4] for row in cells(theirs, "groups")][0] == ["Чужая А.", "5А, математика", 3, 3]


def test_a_month_outside_every_year_and_a_bad_month(school: Any, year: Any) -> None:
    document = monthly_analysis(school, {"month": "2027-07"})
    assert cells(document, "groups") == []
    with pytest.raises(ValidationError):
        monthly_analysis(school, {"month": "ноябрь"})


@pytest.mark.usefixtures("town")
def test_the_query_count_is_bounded_and_does_not_grow_with_marks(
    school: Any, group: Any, town: dict, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(20):
        monthly_analysis(school, NOVEMBER)
    with CaptureQueriesContext(connection) as before:
        monthly_analysis(school, NOVEMBER)

    # More of everything: a third group with lessons, marks, homework and changes.
    extra = TeachingGroupFactory(year=group.year, name="5А, история", hours_per_week=2, classes=[group.classes.first()])
    for student in (town["smirnova"], town["orlov"]):
        GroupMembershipFactory(group=extra, student=student, start=YEAR_START)
    for day in range(2, 28):
        lesson = LessonFactory(group=extra, date=d(11, day), number=5, topic="" if day % 2 else "Тема")
        homework(lesson, at(11, day, 20, 0))
        for student in (town["smirnova"], town["orlov"]):
            mark(lesson, student, town["oral"], at(11, day, 23, 30))
            mark_event(lesson, student, UserFactory(), at(11, 28, 9, 0), "update", 5, 4)
    with CaptureQueriesContext(connection) as after:
        document = monthly_analysis(school, NOVEMBER)

    assert len(after) == len(before) <= 20
    assert cells(document, "groups")[-1][2] == 6 + 26


def test_a_first_grade_group_shows_no_mark_numbers(school: Any, year: Any, quarters: Any) -> None:  # R1
    first = TeachingGroupFactory(
        year=year, name="1А, чтение", hours_per_week=4, classes=[SchoolClassFactory(year=year, grade=1, letter="А")]
    )
    child = StudentFactory(school=school, last_name="Белов", first_name="Егор")
    GroupMembershipFactory(group=first, student=child, start=YEAR_START)
    lesson = LessonFactory(group=first, date=d(11, 10), number=1, topic="Буква А")
    homework(lesson, at(11, 10, 9, 0))

    document = monthly_analysis(school, NOVEMBER)

    assert cells(document, "groups")[0] == [
        "не назначен", "1А, чтение", 1, 0, 100.0, 1, None, None, None, None, 0, None, 0, 1, 0, None
    ]  # fmt: skip
    assert cells(document, "remarks")[0][2] == "Замечаний нет"


@pytest.mark.usefixtures("town")
def test_the_portable_path_of_make_run_counts_the_same(school: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``make run`` runs on SQLite, which has no time-zone arithmetic: late entries are then checked in
    Python, by the same rule — the whole document must come out identical."""
    from types import SimpleNamespace

    expected = monthly_analysis(school, NOVEMBER).to_json()
    monkeypatch.setattr("reports.monthly.metrics.connection", SimpleNamespace(vendor="sqlite"))
    assert monthly_analysis(school, NOVEMBER).to_json() == expected
