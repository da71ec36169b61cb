"""The tables of the monthly analysis: groups, remarks, drill-downs, participation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
)

from accounts.models import LoginEvent, ParentLink, User
from grading.models import JournalEvent
from journal.models import (
    AcademicYear,
    AssignmentRole,
    Enrollment,
    GroupMembership,
    School,
    Student,
    TeachingAssignment,
)

from ..tables import Row, Table, percent
from .base import BELOW_NORM_NOTE, GROUP_COLUMNS, GROUPS_NOTE, GroupStats, _person, _ru_number, plural

# --- the tables ----------------------------------------------------------------------------------------


def _coverage(stat: GroupStats) -> float | None:
    return percent(stat.held_in_year, stat.planned_hours)


def _groups_table(ordered: list[GroupStats], policy: Any) -> Table:
    table = Table(
        key="groups",
        title="Учителя и группы",
        columns=GROUP_COLUMNS,
        chart={"label": 1, "value": 4, "title": "Домашнее задание записано, % уроков", "max": 100},
        note=GROUPS_NOTE.format(
            oral=policy.oral_mark_days,
            junior=policy.written_mark_days_junior,
            senior=policy.written_mark_days_senior,
            hw=policy.homework_hours,
        )
        + " "
        + BELOW_NORM_NOTE.format(
            grace=policy.grace_weeks,
            grace_one=policy.grace_weeks_one_hour,
            q1=policy.min_marks_quarter_one_hour,
            q2=policy.min_marks_quarter_more_hours,
            h1=policy.min_marks_half_one_hour,
            h2=policy.min_marks_half_more_hours,
        ),
    )
    total = defaultdict(int)
    for stat in ordered:
        marks = stat.has_marks
        cells = [
            stat.teacher, stat.name, stat.held, stat.no_topic, percent(stat.with_homework, stat.held), stat.students,
            percent(stat.no_marks, stat.students) if marks else None,
            percent(stat.one_mark, stat.students) if marks else None,
            stat.below_norm, stat.late_marks if marks else None, stat.late_homework, stat.changed if marks else None,
            stat.substituted, stat.held_in_year, stat.planned_hours, _coverage(stat),
        ]  # fmt: skip
        warn = "warn" if _problems(stat) else ""
        table.rows.append(Row(cells, drill=f"group:{stat.group_id}", emphasis=warn))
        for name in ("held", "no_topic", "with_homework", "students", "late_homework", "substituted"):
            total[name] += getattr(stat, name)
        total["held_in_year"] += stat.held_in_year
        total["planned_hours"] += stat.planned_hours
        if stat.planned_hours:
            total["held_in_planned"] += stat.held_in_year  # coverage only over the groups that have a plan
        if marks:
            for name in ("no_marks", "one_mark", "late_marks", "changed"):
                total[name] += getattr(stat, name)
            total["marked_students"] += stat.students
        if stat.below_norm is not None:
            total["below_norm"] += stat.below_norm
            total["checked_groups"] += 1
    n = len(ordered)
    cells = [
        "Итого по школе", f"{n} {plural(n, 'группа', 'группы', 'групп')}", total["held"], total["no_topic"],
        percent(total["with_homework"], total["held"]), total["students"],
        percent(total["no_marks"], total["marked_students"]), percent(total["one_mark"], total["marked_students"]),
        total["below_norm"] if total["checked_groups"] else None, total["late_marks"], total["late_homework"],
        total["changed"], total["substituted"], total["held_in_year"], total["planned_hours"],
        percent(total["held_in_planned"], total["planned_hours"]),
    ]  # fmt: skip
    table.rows.append(Row(cells, emphasis="total"))
    return table


def _problems(stat: GroupStats) -> list[str]:
    """The remarks to send to the teacher of the group, in Russian (only what was found)."""
    marks = stat.has_marks
    counts = [
        (stat.no_topic, "{n} {w} без темы", ("урок", "урока", "уроков")),
        (stat.held - stat.with_homework, "к {n} {w} не записано домашнее задание", ("уроку", "урокам", "урокам")),
        (stat.no_marks if marks else 0, "у {n} {w} нет отметок за месяц", ("ученика", "учеников", "учеников")),
        (stat.one_mark if marks else 0, "у {n} {w} только одна отметка за месяц", ("ученика", "учеников", "учеников")),
        (stat.below_norm or 0, "{n} {w} ниже нормы накопляемости", ("ученик", "ученика", "учеников")),
        (stat.late_marks, "{n} {w} с опозданием", ("отметка внесена", "отметки внесены", "отметок внесено")),
        (stat.late_homework, "{n} {w} с опозданием",
         ("домашнее задание записано", "домашних задания записаны", "домашних заданий записано")),
        (stat.changed, "{n} {w} после дня урока", ("отметка изменена", "отметки изменены", "отметок изменено")),
    ]  # fmt: skip
    found = [text.format(n=n, w=plural(n, *words)) for n, text, words in counts if n]
    coverage = _coverage(stat)
    if coverage is not None and stat.held_in_year < stat.planned_hours:
        lag = stat.planned_hours - stat.held_in_year
        found.append(f"отставание от КТП на {lag} ч (выполнено {_ru_number(coverage)} %)")
    return found


def _remarks_table(ordered: list[GroupStats]) -> Table:
    table = Table(
        key="remarks",
        title="Замечания учителям",
        columns=["Учитель", "Группа", "Замечания"],
        note="По каждой группе — что найдено при проверке журнала за месяц; устранить в течение 7 дней (R4, R20).",
    )
    for stat in ordered:
        found = _problems(stat)
        remark = "; ".join(found) if found else "замечаний нет"
        table.rows.append(
            Row(
                [stat.teacher, stat.name, remark[:1].upper() + remark[1:]],
                drill=f"group:{stat.group_id}",
                emphasis="warn" if found else "",
                ref={"teacher": stat.teacher_id, "group": stat.group_id} if stat.teacher_id else {},
            )
        )
    return table


DRILLS = {
    "no_topic": ("Уроки без темы", ["Дата", "Урок", "Вёл урок"]),
    "no_homework": ("Уроки без домашнего задания", ["Дата", "Урок", "Вёл урок", "Тема"]),
    "no_marks": ("Ученики без отметок за месяц", ["Ученик"]),
    "one_mark": ("Ученики с одной отметкой за месяц", ["Ученик"]),
    "below_norm": (
        "Ученики ниже нормы накопляемости",
        ["Ученик", "Считается с", "Отметок в периоде", "Нужно к дню проверки", "Норма за период"],
    ),
    "late": ("Записи с опозданием", ["Дата урока", "Запись", "Ученик", "Срок", "Внесено"]),
    "changed": (
        "Отметки, изменённые после дня урока",
        ["Дата урока", "Изменено", "Ученик", "Было → стало", "Причина", "Кто"],
    ),
    "substituted": ("Замещённые уроки", ["Дата", "Урок", "Вёл урок", "Тема"]),
}


def _group_tables(stat: GroupStats) -> list[Table]:
    """The drill-down of one teacher × group: ``group:<id>`` lists its numbers, each with the key of the
    table of rows behind it (``no_topic:<id>``, ``below_norm:<id>``, ``late:<id>``, ``changed:<id>``…)."""
    tables = []
    for name, rows in stat.drills.items():
        title, columns = DRILLS[name]
        tables.append(
            Table(
                key=f"{name}:{stat.group_id}",
                title=f"{title}: {stat.name} ({stat.teacher})",
                columns=columns,
                rows=rows,
                detail=True,
            )
        )
    present = {t.key for t in tables}

    def drill(name: str) -> str:
        key = f"{name}:{stat.group_id}"
        return key if key in present else ""

    marks = stat.has_marks
    summary = [
        ("Проведено уроков", stat.held, ""),
        ("Уроков без темы", stat.no_topic, drill("no_topic")),
        ("Уроков без домашнего задания", stat.held - stat.with_homework, drill("no_homework")),
        ("Учеников в группе за месяц", stat.students, ""),
        ("Учеников без отметок", stat.no_marks if marks else None, drill("no_marks")),
        ("Учеников с одной отметкой", stat.one_mark if marks else None, drill("one_mark")),
        ("Ниже нормы накопляемости", stat.below_norm, drill("below_norm")),
        ("Отметок с опозданием", stat.late_marks if marks else None, drill("late")),
        ("ДЗ с опозданием", stat.late_homework, drill("late")),
        ("Изменено отметок после дня урока", stat.changed if marks else None, drill("changed")),
        ("Замещённых уроков", stat.substituted, drill("substituted")),
        ("Выполнение КТП, %", _coverage(stat), ""),
    ]
    period = stat.period
    note = f"Период накопляемости: {period}, {period.start:%d.%m}–{period.end:%d.%m.%Y}." if period else ""
    overview = Table(
        key=f"group:{stat.group_id}",
        title=f"{stat.name} ({stat.teacher})",
        columns=["Показатель", "Значение"],
        rows=[Row([label, value], drill=key) for label, value, key in summary],
        note=note,
        detail=True,
    )
    return [overview, *tables]


def _participation_tables(
    school: School,
    year: AcademicYear,
    group_ids: list[int],
    class_filter: int | None,
    teacher_filter: int | None,
    month_start: dt.date,
    month_end: dt.date,
    moment_from: dt.datetime,
    moment_to: dt.datetime,
) -> list[Table]:
    """Teachers', parents' and students' participation (R20), and the idle teachers behind the first
    number: three queries."""
    in_month = Q(at__gte=moment_from, at__lt=moment_to)
    teachers = list(
        TeachingAssignment.objects.filter(
            Q(end__isnull=True) | Q(end__gte=month_start),
            group_id__in=group_ids,
            role=AssignmentRole.MAIN,
            start__lte=month_end,
        )
        .annotate(
            active=Exists(
                JournalEvent.objects.filter(in_month, actor_id=OuterRef("teacher_id"), group__year__school=school)
            )
        )
        .values("teacher_id", "teacher__last_name", "teacher__first_name", "teacher__patronymic", "active")
        .order_by("teacher__last_name", "teacher__first_name", "teacher_id")
        .distinct()
    )
    idle = [t for t in teachers if not t["active"]]

    enrolled = Enrollment.objects.filter(
        Q(end__isnull=True) | Q(end__gte=month_start), start__lte=month_end, school_class__year=year
    )
    if class_filter is not None:
        enrolled = enrolled.filter(school_class_id=class_filter)
    students = Student.objects.filter(Exists(enrolled.filter(student_id=OuterRef("pk"))), school=school)
    if teacher_filter is not None:
        students = students.filter(
            Exists(
                GroupMembership.objects.filter(
                    Q(end__isnull=True) | Q(end__gte=month_start),
                    student_id=OuterRef("pk"),
                    group_id__in=group_ids,
                    start__lte=month_end,
                )
            )
        )
    logged_in = Exists(LoginEvent.objects.filter(in_month, user_id=OuterRef("user_id")))
    own = students.aggregate(total=Count("pk", filter=Q(user__isnull=False)), active=Count("pk", filter=Q(logged_in)))
    parents = User.objects.filter(Exists(ParentLink.objects.filter(parent_id=OuterRef("pk"), student__in=students)))
    family = parents.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(Exists(LoginEvent.objects.filter(in_month, user_id=OuterRef("pk"))))),
    )

    table = Table(
        key="participation",
        title="Участие в работе с журналом",
        columns=["Кто", "Всего", "Работали в журнале за месяц", "%"],
        note=(
            "Учителя — основные учителя групп, работавшие в месяце; «работали» — сделали хотя бы одну запись "
            "в журнале школы (история изменений). Родители — родители учеников, обучавшихся в месяце; ученики — "
            "те из них, у кого есть свой вход; «работали» — входили в систему хотя бы раз за месяц."
        ),
    )
    active_teachers = len(teachers) - len(idle)
    table.rows.append(
        Row(
            ["Учителя", len(teachers), active_teachers, percent(active_teachers, len(teachers))],
            drill="idle_teachers" if idle else "",
        )
    )
    table.rows.append(Row(["Родители", family["total"], family["active"], percent(family["active"], family["total"])]))
    table.rows.append(Row(["Ученики", own["total"], own["active"], percent(own["active"], own["total"])]))
    if not idle:
        return [table]
    return [
        table,
        Table(
            key="idle_teachers",
            title="Учителя без записей в журнале за месяц",
            columns=["Учитель"],
            rows=[
                Row([_person(t["teacher__last_name"], t["teacher__first_name"], t["teacher__patronymic"])])
                for t in idle
            ],
            detail=True,
        ),
    ]
