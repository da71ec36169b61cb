"""The summary sheet of attendance (2), missed lessons and unsatisfactory marks with their topics (7, 8)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek

from attendance.models import Absence, AbsenceKind
from grading.models import Mark, MarkCode
from journal.models import School

from ..tables import Cell, Document, Row, Table
from .base import (
    ABSENCE_CODES,
    Groups,
    Progress,
    Roll,
    Scope,
    _class_rows,
    _classes_of,
    _groups,
    _noop,
    _roll,
    _scope,
    _student_name,
)

# --- 2. the summary sheet of attendance -------------------------------------------------------------------


@dataclass
class Attendance:
    missed: Counter = field(default_factory=Counter)  # (class, student, subject) -> lessons missed
    codes: Counter = field(default_factory=Counter)  # (class, student, "Б" | "У" | "Н" | "О") -> count


def _attendance(scope: Scope, groups: Groups, roll: Roll) -> Attendance:
    """Absences and lateness at the lessons of the period, counted in SQL (one query)."""
    rows = (
        Absence.objects.filter(
            lesson__group_id__in=list(groups.subject_of),
            lesson__date__gte=scope.period.start,
            lesson__date__lte=scope.period.end,
        )
        .values_list("student_id", "lesson__group_id", "kind", "reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    att = Attendance()
    for student_id, group_id, kind, reason, n in rows:
        for c in _classes_of(groups, roll, group_id, student_id):
            if kind == AbsenceKind.LATE:
                att.codes[(c, student_id, "О")] += n
            else:
                att.missed[(c, student_id, groups.subject_of[group_id])] += n
                att.codes[(c, student_id, ABSENCE_CODES.get(reason, "Н"))] += n
    return att


def _attendance_vector(att: Attendance, roll: Roll, class_id: int) -> list[int]:
    """[students in the period, Б, У, Н, late] of a class (missed = Б + У + Н)."""
    students = roll.in_period[class_id]
    return [
        len(students),
        *(sum(att.codes[(class_id, s, code)] for s in students) for code in ("Б", "У", "Н")),
        sum(att.codes[(class_id, s, "О")] for s in students),
    ]


def _render_attendance(name: str, v: list[int]) -> list[Cell]:
    students, ill, excused, unexcused, late = v
    missed = ill + excused + unexcused
    return [name, students, missed, ill, excused, unexcused, late, round(missed / students, 1) if students else None]


ATTENDANCE_COLUMNS = ["Класс", "Учащихся", "Пропущено уроков", "Б", "У", "Н", "Опозданий", "На одного учащегося"]
ATTENDANCE_NOTE = (
    "Пропущенные уроки по причинам: Б — болезнь, У — уважительная, Н — неуважительная или причина ещё не "
    "указана (R8). Учащиеся — все, кто был в классе в периоде; на одного учащегося — пропущено / учащихся."
)


def _by_week(scope: Scope, groups: Groups, roll: Roll) -> Table:
    """Lessons missed and late arrivals of the scope's students per school week of the period (one query)."""
    students = {sid for c in scope.classes for sid in roll.in_period[c.pk]}
    rows = (
        Absence.objects.filter(
            lesson__group_id__in=list(groups.subject_of),
            student_id__in=list(students),
            lesson__date__gte=scope.period.start,
            lesson__date__lte=scope.period.end,
        )
        .annotate(week=TruncWeek("lesson__date"))
        .values_list("week", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    weeks: dict[dt.date, list[int]] = {}
    for week, kind, n in rows:
        week = week.date() if isinstance(week, dt.datetime) else week
        weeks.setdefault(week, [0, 0])[1 if kind == AbsenceKind.LATE else 0] += n
    return Table(
        "weeks",
        "По неделям",
        ["Неделя", "Пропущено уроков", "Опозданий"],
        [Row([f"{w:%d.%m}–{w + dt.timedelta(days=5):%d.%m}", *weeks[w]]) for w in sorted(weeks)],
        note="Уроки, пропущенные учащимися, и опоздания — по учебным неделям периода (с понедельника).",
        chart={"label": 0, "value": 1, "title": "Пропущено уроков по неделям"},
    )


def attendance_summary(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Сводная ведомость посещаемости (R21): per class, students × subjects with the lessons missed, each
    student's missed lessons by reason and lateness, the class's and the scope's totals."""
    scope = _scope(school, params)
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=False)
    progress(40)
    att = _attendance(scope, groups, roll)
    progress(80)
    doc = Document("Сводная ведомость посещаемости", scope.subtitle())
    vectors = {c.pk: _attendance_vector(att, roll, c.pk) for c in scope.classes}
    doc.tables.append(
        Table(
            "classes",
            "По классам",
            ATTENDANCE_COLUMNS,
            _class_rows(scope, vectors, _render_attendance, drill=lambda c: f"attendance:{c.pk}"),
            note=ATTENDANCE_NOTE,
            chart={"label": 0, "value": 7, "title": "Пропущено уроков на одного учащегося"},
        )
    )
    doc.tables.append(_by_week(scope, groups, roll))
    for c in scope.classes:
        subjects = groups.class_subjects(c.pk)
        table = Table(
            f"attendance:{c.pk}",
            f"{c.name} — сводная ведомость посещаемости",
            ["№", "Учащийся", *(s[1] for s in subjects), "Всего", "Б", "У", "Н", "Опозданий"],
            note="Число пропущенных уроков по предметам; Б, У, Н — по причинам, опоздания — отдельно.",
        )
        totals = [0] * (len(subjects) + 5)
        for n, sid in enumerate(roll.in_period[c.pk], 1):
            codes = [att.codes[(c.pk, sid, code)] for code in ("Б", "У", "Н")]
            numbers = [
                *(att.missed[(c.pk, sid, s[0])] for s in subjects),
                sum(codes),
                *codes,
                att.codes[(c.pk, sid, "О")],
            ]
            totals = [a + b for a, b in zip(totals, numbers, strict=True)]
            table.rows.append(Row([n, _student_name(roll, c.pk, sid), *numbers]))
        table.rows.append(Row(["", "Итого по классу", *totals], emphasis="total"))
        doc.tables.append(table)
    progress(100)
    return doc


# --- 7, 8. missed lessons and unsatisfactory marks with their topics -------------------------------------


def _per_student_document(
    title: str,
    scope: Scope,
    roll: Roll,
    items: dict[int, list[list[Cell]]],
    columns: list[str],
    count_title: str,
    key: str,
) -> Document:
    c = scope.classes[0]
    doc = Document(title, scope.subtitle())
    summary = Table("students", f"{c.name} — по учащимся", ["№", "Учащийся", count_title])
    doc.tables.append(summary)
    for n, sid in enumerate(roll.in_period[c.pk], 1):
        rows = items.get(sid, [])
        summary.rows.append(Row([n, _student_name(roll, c.pk, sid), len(rows)], drill=f"{key}:{sid}" if rows else ""))
        if rows:
            doc.tables.append(Table(f"{key}:{sid}", roll.names[sid], columns, [Row(r) for r in rows], detail=True))
    summary.rows.append(Row(["", "Итого", sum(len(r) for r in items.values())], emphasis="total"))
    return doc


def missed_with_topics(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Пропущенные уроки с темами (R21): for each student of the class, every lesson missed in the period —
    date, lesson number, subject, the lesson's topic and the reason letter (Б, У, Н). Lateness is not a
    missed lesson."""
    scope = _scope(school, params, one_class=True)
    c = scope.classes[0]
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=False)
    progress(40)
    rows = (
        Absence.objects.filter(
            kind=AbsenceKind.ABSENT,
            student_id__in=roll.in_period[c.pk],
            lesson__group_id__in=list(groups.subject_of),
            lesson__date__gte=scope.period.start,
            lesson__date__lte=scope.period.end,
        )
        .values_list(
            "student_id", "lesson__date", "lesson__number", "lesson__group__subject__name", "lesson__topic", "reason"
        )
        .order_by("lesson__date", "lesson__number")
    )
    items: dict[int, list[list[Cell]]] = defaultdict(list)
    for sid, date, number, subject, topic, reason in rows:
        items[sid].append([f"{date:%d.%m.%Y}", number, subject, topic or "—", ABSENCE_CODES.get(reason, "Н")])
    progress(80)
    doc = _per_student_document(
        "Пропущенные уроки с темами",
        scope,
        roll,
        items,
        ["Дата", "Урок", "Предмет", "Тема урока", "Причина"],
        "Пропущено уроков",
        "missed",
    )
    progress(100)
    return doc


def unsatisfactory_with_topics(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Неудовлетворительные отметки с темами (R21): for each student of the class, every «2» or «1» (also
    in a «4/2» cell) and «незач» of the period — date, subject, work type, the lesson's topic, the mark."""
    scope = _scope(school, params, one_class=True)
    c = scope.classes[0]
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=False)
    progress(40)
    rows = (
        Mark.objects.filter(Q(value__lte=2) | Q(value2__lte=2) | Q(code=MarkCode.FAIL))
        .filter(
            student_id__in=roll.in_period[c.pk],
            column__lesson__group_id__in=list(groups.subject_of),
            column__lesson__date__gte=scope.period.start,
            column__lesson__date__lte=scope.period.end,
        )
        .values_list(
            "student_id",
            "column__lesson__date",
            "column__lesson__group__subject__name",
            "column__work_type__name",
            "column__lesson__topic",
            "value",
            "value2",
            "code",
        )
        .order_by("column__lesson__date", "column__lesson__number", "column_id")
    )
    items: dict[int, list[list[Cell]]] = defaultdict(list)
    for sid, date, subject, work_type, topic, value, value2, code in rows:
        mark = "незач" if code else (f"{value}/{value2}" if value2 else str(value))
        items[sid].append([f"{date:%d.%m.%Y}", subject, work_type, topic or "—", mark])
    progress(80)
    doc = _per_student_document(
        "Неудовлетворительные отметки с темами",
        scope,
        roll,
        items,
        ["Дата", "Предмет", "Вид работы", "Тема урока", "Отметка"],
        "Отметок «2», «1», «незач»",
        "unsatisfactory",
    )
    progress(100)
    return doc
