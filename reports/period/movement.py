"""The class teacher's period report (4), student movement (5) and class sizes (6)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q

from journal.models import Enrollment, School, SchoolClass

from ..tables import Cell, Document, Row, Table
from .attendance import ATTENDANCE_COLUMNS, ATTENDANCE_NOTE, _attendance, _attendance_vector, _render_attendance
from .base import (
    ENROLLMENT_REASONS,
    Progress,
    Roll,
    Scope,
    _class_rows,
    _groups,
    _noop,
    _period_marks,
    _roll,
    _scope,
    _student_name,
)
from .marks import RESULT_COLUMNS, RESULT_NOTE, _render_results, _results, _results_detail

# --- 4. the class teacher's report ------------------------------------------------------------------------


def _movement(roll: Roll, scope: Scope) -> tuple[dict[int, list[int]], list[tuple[dt.date, Enrollment, str]]]:
    """Per class [at the start, arrived, left, at the end] and the events: (date, enrollment, «прибыл» /
    «выбыл»). Arrived — enrolled after the period's first day; left — the last day in the class before the
    period's last day. So at the start + arrived − left = at the end."""
    p = scope.period
    events: list[tuple[dt.date, Enrollment, str]] = []
    arrived: Counter = Counter()
    left: Counter = Counter()
    for e in roll.enrollments:
        if e.start > p.start:
            arrived[e.school_class_id] += 1
            events.append((e.start, e, "прибыл(а)"))
        if e.end is not None and e.end < p.end:
            left[e.school_class_id] += 1
            events.append((e.end, e, "выбыл(а)"))
    events.sort(key=lambda x: (x[0], x[2] != "выбыл(а)", roll.names[x[1].student_id]))
    vectors = {
        c.pk: [len(roll.at_start[c.pk]), arrived[c.pk], left[c.pk], len(roll.at_end[c.pk])] for c in scope.classes
    }
    return vectors, events


MOVEMENT_COLUMNS = ["Класс", "На начало периода", "Прибыло", "Выбыло", "На конец периода"]
MOVEMENT_NOTE = (
    "На начало — в классе в первый день периода, на конец — в последний; прибывшие — зачислены в класс "
    "после первого дня, выбывшие — последний день в классе до последнего дня периода (переводы внутри школы "
    "входят в оба числа)."
)


def _event_row(date: dt.date, e: Enrollment, what: str, roll: Roll, names: dict[int, str]) -> Row:
    reason, order = (e.reason, e.order_number) if what == "прибыл(а)" else (e.end_reason, e.end_order_number)
    return Row(
        [
            f"{date:%d.%m.%Y}",
            roll.names[e.student_id],
            names[e.school_class_id],
            what,
            ENROLLMENT_REASONS.get(reason, reason),
            order,
        ]
    )


EVENT_COLUMNS = ["Дата", "Учащийся", "Класс", "Движение", "Основание", "№ приказа"]


def class_teacher_report(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Отчёт классного руководителя за период (R21): the class size at the period's start and end and its
    movement, the results (as :func:`class_results`) and attendance: lessons missed in all, by reason, per
    student, and lateness."""
    scope = _scope(school, params, one_class=True)
    c = scope.classes[0]
    roll = _roll(scope)
    progress(20)
    marks_groups = _groups(scope, assessed_only=True)
    results = _results(scope, roll, marks_groups, _period_marks(scope, marks_groups, roll))
    progress(50)
    all_groups = _groups(scope, assessed_only=False)
    att = _attendance(scope, all_groups, roll)
    progress(80)
    teacher = c.class_teacher.full_name if c.class_teacher else "не назначен"
    doc = Document(f"Отчёт классного руководителя {c.name}", f"{scope.subtitle()} · классный руководитель: {teacher}")
    vectors, events = _movement(roll, scope)
    names = {c.pk: c.name}
    doc.tables.append(
        Table(
            "movement",
            "Движение учащихся",
            MOVEMENT_COLUMNS,
            [Row([c.name, *vectors[c.pk]], drill="movement_list" if events else "")],
            note=MOVEMENT_NOTE,
        )
    )
    doc.tables.append(
        Table(
            "results",
            "Итоги успеваемости",
            RESULT_COLUMNS,
            [Row(_render_results(c.name, results.vectors[c.pk]), drill=f"results:{c.pk}")],
            note=RESULT_NOTE,
        )
    )
    doc.tables.append(
        Table(
            "attendance",
            "Посещаемость",
            ATTENDANCE_COLUMNS,
            [Row(_render_attendance(c.name, _attendance_vector(att, roll, c.pk)), drill="attendance_students")],
            note=ATTENDANCE_NOTE,
        )
    )
    doc.tables.append(
        Table(
            "movement_list",
            f"{c.name} — прибывшие и выбывшие",
            EVENT_COLUMNS,
            [_event_row(*ev, roll, names) for ev in events],
            detail=True,
        )
    )
    doc.tables.append(_results_detail(c, roll, results))
    students = Table(
        "attendance_students",
        f"{c.name} — посещаемость по учащимся",
        ["№", "Учащийся", "Пропущено уроков", "Б", "У", "Н", "Опозданий"],
        detail=True,
    )
    for n, sid in enumerate(roll.in_period[c.pk], 1):
        codes = [att.codes[(c.pk, sid, code)] for code in ("Б", "У", "Н")]
        students.rows.append(Row([n, _student_name(roll, c.pk, sid), sum(codes), *codes, att.codes[(c.pk, sid, "О")]]))
    doc.tables.append(students)
    progress(100)
    return doc


# --- 5. student movement ----------------------------------------------------------------------------------


def student_movement(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Движение учащихся за период (R21): per class at the start, arrived, left, at the end, with totals;
    every arrival and departure with its date, reason and order number."""
    scope = _scope(school, params)
    roll = _roll(scope)
    progress(60)
    vectors, events = _movement(roll, scope)
    names = {c.pk: c.name for c in scope.classes}
    moved = {e.school_class_id for _d, e, _w in events}
    doc = Document("Движение учащихся", scope.subtitle())
    doc.tables.append(
        Table(
            "classes",
            "По классам",
            MOVEMENT_COLUMNS,
            _class_rows(
                scope,
                vectors,
                lambda name, v: [name, *v],
                drill=lambda c: f"movement:{c.pk}" if c.pk in moved else "",
            ),
            note=MOVEMENT_NOTE,
        )
    )
    doc.tables.append(
        Table("events", "Прибывшие и выбывшие", EVENT_COLUMNS, [_event_row(*ev, roll, names) for ev in events])
    )
    for c in scope.classes:
        if c.pk in moved:
            rows = [_event_row(*ev, roll, names) for ev in events if ev[1].school_class_id == c.pk]
            doc.tables.append(
                Table(f"movement:{c.pk}", f"{c.name} — прибывшие и выбывшие", EVENT_COLUMNS, rows, detail=True)
            )
    progress(100)
    return doc


# --- 6. class sizes ---------------------------------------------------------------------------------------


def class_sizes(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Наполняемость классов (R21): students of each class on the period's first and last day, boys and
    girls on the last day; subtotals per grade (whole school) and a total. One aggregate query."""
    scope = _scope(school, params)
    p = scope.period

    def on(day: dt.date, **extra: Any) -> Count:
        return Count(
            "enrollments",
            filter=Q(enrollments__start__lte=day, **extra)
            & (Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=day)),
        )

    counts = {
        row["pk"]: [row["at_start"], row["at_end"], row["boys"], row["girls"]]
        for row in SchoolClass.objects.filter(pk__in=scope.class_ids)
        .values("pk")
        .annotate(
            at_start=on(p.start),
            at_end=on(p.end),
            boys=on(p.end, enrollments__student__sex="m"),
            girls=on(p.end, enrollments__student__sex="f"),
        )
        .order_by()
    }
    progress(80)
    teachers = {c.pk: c.class_teacher.short_name if c.class_teacher else "" for c in scope.classes}
    by_name = {c.name: c.pk for c in scope.classes}

    def render(name: str, v: list[int]) -> list[Cell]:
        return [name, teachers.get(by_name.get(name, 0), ""), *v]

    doc = Document("Наполняемость классов", scope.subtitle())
    doc.tables.append(
        Table(
            "classes",
            "Наполняемость",
            ["Класс", "Классный руководитель", "На начало периода", "На конец периода", "Мальчиков", "Девочек"],
            _class_rows(scope, counts, render),
            note=f"На начало — {p.start:%d.%m.%Y}, на конец — {p.end:%d.%m.%Y}; мальчики и девочки — на конец.",
        )
    )
    progress(100)
    return doc
