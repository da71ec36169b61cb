"""The period reports (R21, R22): pure computations ``(school, params, progress) -> Document``.

``params`` of the period reports: ``{"period": id}`` and one of ``"class": id`` | ``"grade": n`` | nothing
(the whole school); ``user_activity`` takes ``{"start", "end", "step": "week" | "month"}``. Parameters
that do not belong to ``school`` raise ``ValidationError`` in Russian.

Every report runs a fixed number of queries, whatever the number of students, marks or absences: rows
are aggregated in SQL or fetched once and counted here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek

from accounts.models import LoginEvent, Role, StaffRole, User
from attendance.models import Absence, AbsenceKind, AbsenceReason
from grading.models import Mark, MarkCode, PeriodMark, PeriodMarkCode
from grading.selectors import forecast as forecast_mark
from journal.models import Enrollment, School, SchoolClass, StudyPeriod, SubjectKind, TeachingGroup

from .tables import Cell, Document, Row, Table, percent

Progress = Callable[[int], None]

PERIOD_KINDS = {"quarter": "четверть", "trimester": "триместр", "half": "полугодие", "year": "год"}
SCHEMES = {"quarter": "четвертям", "trimester": "триместрам", "half": "полугодиям"}
MONTHS = "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()
ENROLLMENT_REASONS = {
    "admitted": "зачислен(а)",
    "transferred": "перевод",
    "promoted": "переведён(а) в следующий класс",
    "retained": "оставлен(а) на повторное обучение",
    "left": "выбыл(а) из школы",
    "graduated": "окончил(а) школу",
}
ABSENCE_CODES = {AbsenceReason.ILLNESS: "Б", AbsenceReason.EXCUSED: "У"}  # anything else is «Н» (R8)
# Subjects that get marks; extracurricular activities and additional education do not.
ASSESSED_KINDS = (SubjectKind.REGULAR, SubjectKind.ELECTIVE, SubjectKind.HOME)


def _noop(p: int) -> None:
    return None


# --- parameters -------------------------------------------------------------------------------------------


def _int(params: dict, key: str, message: str) -> int | None:
    value = params.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(message) from None


def _period(school: School, params: dict) -> StudyPeriod:
    period_id = _int(params, "period", "Выберите период.")
    period = (
        StudyPeriod.objects.select_related("year").filter(pk=period_id, year__school=school).first()
        if period_id is not None
        else None
    )
    if period is None:
        raise ValidationError("Выберите период этой школы.")
    return period


def _period_name(period: StudyPeriod) -> str:
    if period.kind == "year":
        return f"{period.year.name} учебный год"
    return f"{period.number} {PERIOD_KINDS[period.kind]} {period.year.name}"


@dataclass
class Scope:
    school: School
    period: StudyPeriod
    classes: list[SchoolClass]
    label: str  # «5А», «5 классы», «вся школа»
    whole_school: bool

    @property
    def class_ids(self) -> list[int]:
        return [c.pk for c in self.classes]

    def subtitle(self) -> str:
        p = self.period
        return f"{self.school} · {_period_name(p)} ({p.start:%d.%m.%Y}–{p.end:%d.%m.%Y}) · {self.label}"


def _scope(school: School, params: dict, *, one_class: bool = False) -> Scope:
    """The period and the classes the report covers; only classes that study by the period's scheme."""
    period = _period(school, params)
    class_id = _int(params, "class", "Выберите класс.")
    grade = _int(params, "grade", "Укажите параллель числом от 1 до 11.")
    classes = SchoolClass.objects.filter(year=period.year).select_related("class_teacher").order_by("grade", "letter")
    if period.kind != "year":
        classes = classes.filter(period_kind=period.kind)
    if class_id is not None:
        found = SchoolClass.objects.filter(pk=class_id, year__school=school).select_related("year").first()
        if found is None:
            raise ValidationError("Выберите класс этой школы.")
        if found.year_id != period.year_id:
            raise ValidationError(f"Класс {found.name} не относится к учебному году {period.year.name}.")
        if period.kind != "year" and found.period_kind != period.kind:
            raise ValidationError(f"Класс {found.name} учится по {SCHEMES[found.period_kind]}.")
        return Scope(school, period, list(classes.filter(pk=class_id)), found.name, False)
    if one_class:
        raise ValidationError("Выберите класс.")
    if grade is not None:
        if not 1 <= grade <= 11:
            raise ValidationError("Укажите параллель числом от 1 до 11.")
        return Scope(school, period, list(classes.filter(grade=grade)), f"{grade} классы", False)
    return Scope(school, period, list(classes), "вся школа", True)


# --- reads shared by the reports --------------------------------------------------------------------------


@dataclass
class Roll:
    """Who was in each class during the period (one query)."""

    names: dict[int, str] = field(default_factory=dict)  # student id -> «Иванов Пётр»
    sex: dict[int, str] = field(default_factory=dict)
    in_period: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # class -> students
    at_start: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    at_end: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    enrollments: list[Enrollment] = field(default_factory=list)
    remark: dict[tuple[int, int], str] = field(default_factory=dict)  # (class, student) -> «приб. 01.10.2026»


def _roll(scope: Scope) -> Roll:
    p = scope.period
    rows = (
        Enrollment.objects.filter(school_class_id__in=scope.class_ids, start__lte=p.end)
        .filter(Q(end__isnull=True) | Q(end__gte=p.start))
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__patronymic", "student_id", "start")
    )
    roll = Roll()
    for e in rows:
        s, c = e.student, e.school_class_id
        roll.enrollments.append(e)
        roll.names[s.pk] = s.short_name
        roll.sex[s.pk] = s.sex
        if s.pk not in roll.in_period[c]:
            roll.in_period[c].append(s.pk)
        if e.start <= p.start:
            roll.at_start[c].add(s.pk)
        if e.end is None or e.end >= p.end:
            roll.at_end[c].add(s.pk)
        notes = []
        if e.start > p.start:
            notes.append(f"приб. {e.start:%d.%m.%Y}")
        if e.end is not None and e.end < p.end:
            notes.append(f"выб. {e.end:%d.%m.%Y}")
        if notes:
            roll.remark[(c, s.pk)] = ", ".join(notes)
    return roll


def _student_name(roll: Roll, class_id: int, student_id: int) -> str:
    remark = roll.remark.get((class_id, student_id))
    return f"{roll.names[student_id]} ({remark})" if remark else roll.names[student_id]


@dataclass
class Groups:
    """The teaching groups of the classes and their subjects (one query)."""

    classes_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # group -> classes
    subject_of: dict[int, int] = field(default_factory=dict)  # group -> subject
    subjects: dict[int, list[tuple[int, str, str]]] = field(default_factory=lambda: defaultdict(list))

    def class_subjects(self, class_id: int) -> list[tuple[int, str, str]]:
        """(subject id, short name, name) of the class, by name."""
        return self.subjects[class_id]


def _groups(scope: Scope, *, assessed_only: bool) -> Groups:
    through = TeachingGroup.classes.through.objects.filter(schoolclass_id__in=scope.class_ids)
    if assessed_only:
        through = through.filter(teachinggroup__subject__kind__in=ASSESSED_KINDS)
    rows = through.values_list(
        "schoolclass_id",
        "teachinggroup_id",
        "teachinggroup__subject_id",
        "teachinggroup__subject__short_name",
        "teachinggroup__subject__name",
    ).order_by("teachinggroup__subject__name", "teachinggroup_id")
    groups = Groups()
    for class_id, group_id, subject_id, short_name, name in rows:
        groups.classes_of[group_id].append(class_id)
        groups.subject_of[group_id] = subject_id
        if all(s[0] != subject_id for s in groups.subjects[class_id]):
            groups.subjects[class_id].append((subject_id, short_name or name, name))
    return groups


def _classes_of(groups: Groups, roll: Roll, group_id: int, student_id: int) -> Iterable[int]:
    """The classes (of the report) in which the student's row of ``group_id`` belongs."""
    return (c for c in groups.classes_of.get(group_id, ()) if student_id in roll.in_period[c])


def _period_marks(scope: Scope, groups: Groups, roll: Roll) -> dict[tuple[int, int, int], dict[str, Any]]:
    """(class, student, subject) -> {"value", "code", "is_deferred"}: the period marks (one query)."""
    rows = PeriodMark.objects.filter(period=scope.period, group_id__in=list(groups.subject_of)).values(
        "group_id", "student_id", "value", "code", "is_deferred"
    )
    marks: dict[tuple[int, int, int], dict[str, Any]] = {}
    for row in rows:
        for c in _classes_of(groups, roll, row["group_id"], row["student_id"]):
            marks.setdefault((c, row["student_id"], groups.subject_of[row["group_id"]]), row)
    return marks


def _display(mark: dict[str, Any]) -> str:
    text = (
        {"na": "н/а", "pass": "зач", "fail": "незач", "exempt": "осв"}[mark["code"]]
        if mark["code"]
        else str(mark["value"])
    )
    return f"{text}*" if mark["is_deferred"] else text


def _average(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _class_rows(
    scope: Scope,
    vectors: dict[int, list[int]],
    render: Callable[[str, list[int]], list[Cell]],
    drill: Callable[[SchoolClass], str] | None = None,
) -> list[Row]:
    """One row per class; for the whole school a subtotal after each grade of two or more classes; a total."""

    def add(vs: Iterable[list[int]]) -> list[int]:
        vs = list(vs)
        return [sum(col) for col in zip(*vs, strict=True)] if vs else []

    rows: list[Row] = []
    by_grade: dict[int, list[SchoolClass]] = defaultdict(list)
    for c in scope.classes:
        by_grade[c.grade].append(c)
    for grade, classes in by_grade.items():
        for c in classes:
            rows.append(Row(render(c.name, vectors[c.pk]), drill=drill(c) if drill else ""))
        if scope.whole_school and len(classes) > 1:
            rows.append(Row(render(f"Итого {grade} классы", add(vectors[c.pk] for c in classes)), emphasis="total"))
    if scope.classes:
        rows.append(Row(render("Итого", add(vectors[c.pk] for c in scope.classes)), emphasis="total"))
    return rows


# --- 1. the summary sheet of marks ------------------------------------------------------------------------


def marks_summary(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Сводная ведомость успеваемости (R21): per class, students × subjects with their period marks, read
    at the moment of the run (003 §2.18); a student's average over numeric period marks and each subject's
    average in the class."""
    scope = _scope(school, params)
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=True)
    progress(40)
    marks = _period_marks(scope, groups, roll)
    progress(80)
    doc = Document("Сводная ведомость успеваемости", scope.subtitle())
    for c in scope.classes:
        subjects = groups.class_subjects(c.pk)
        table = Table(
            f"marks:{c.pk}",
            f"{c.name} — сводная ведомость успеваемости",
            ["№", "Учащийся", *(s[1] for s in subjects), "Средний балл"],
            note="Отметки за период; «*» — отметка отсрочена (R7), «—» — отметки нет. Средний балл — по отметкам 1–5.",
        )
        by_subject: dict[int, list[int]] = defaultdict(list)
        for n, sid in enumerate(roll.in_period[c.pk], 1):
            cells: list[Cell] = [n, _student_name(roll, c.pk, sid)]
            values: list[int] = []
            for subject_id, _short, _name in subjects:
                mark = marks.get((c.pk, sid, subject_id))
                cells.append(_display(mark) if mark else "—")
                if mark and mark["value"] is not None:
                    values.append(mark["value"])
                    by_subject[subject_id].append(mark["value"])
            table.rows.append(Row([*cells, _average(values)]))
        everything = [v for vs in by_subject.values() for v in vs]
        table.rows.append(
            Row(
                ["", "Средний балл", *(_average(by_subject[s[0]]) for s in subjects), _average(everything)],
                emphasis="total",
            )
        )
        doc.tables.append(table)
    progress(100)
    return doc


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
        )
    )
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


# --- 3. the class results ---------------------------------------------------------------------------------

EXCELLENT, GOOD, ONE_THREE, THREES, PASSED, FAILING, NOT_ASSESSED, NO_MARKS = (
    "Отличник",
    "Хорошист",
    "С одной «3»",
    "С «3»",
    "Успевает (без отметок 1–5)",
    "Неуспевающий",
    "Не аттестован",
    "Нет отметок за период",
)


def _verdict(marks: list[tuple[str, dict[str, Any]]]) -> tuple[str, list[str], list[str], list[str]]:
    """A student's result from their period marks: (category, subjects with «3», with «2»/«1»/«незач», н/а)."""
    threes = [name for name, m in marks if m["value"] == 3]
    bad = [name for name, m in marks if (m["value"] is not None and m["value"] <= 2) or m["code"] == MarkCode.FAIL]
    na = [name for name, m in marks if m["code"] == PeriodMarkCode.NOT_ASSESSED]
    values = [m["value"] for _n, m in marks if m["value"] is not None]
    if not marks:
        category = NO_MARKS
    elif na:
        category = NOT_ASSESSED
    elif bad:
        category = FAILING
    elif not values:
        category = PASSED
    elif all(v == 5 for v in values):
        category = EXCELLENT
    elif not threes:
        category = GOOD
    elif len(threes) == 1:
        category = ONE_THREE
    else:
        category = THREES
    return category, threes, bad, na


@dataclass
class Results:
    # class -> [students, assessed, not assessed, successful, excellent, good, one «3», «3», failing]
    vectors: dict[int, list[int]]
    students: dict[int, list[tuple[int, str, list[str], list[str], list[str]]]]  # class -> per student


RESULT_COUNTED = (EXCELLENT, GOOD, ONE_THREE, THREES, FAILING)
RESULT_COLUMNS = [
    "Класс",
    "Учащихся",
    "Аттестовано",
    "Не аттестовано (н/а)",
    "Успевают",
    "Успеваемость, %",
    "Качество, %",
    "Отличники",
    "Хорошисты",
    "С одной «3»",
    "С «3» (две и более)",
    "Неуспевающие",
]
RESULT_NOTE = (
    "Учащиеся — в классе на конец периода. Аттестованы — есть отметки за период и нет «н/а». Успевают — "
    "аттестованы и все отметки «3»–«5», «зач» или «осв»; неуспевающие — есть «2», «1» или «незач». "
    "Успеваемость — успевающие, качество — отличники и хорошисты, в % от аттестованных и не аттестованных "
    "(учащиеся без отметок за период не считаются). Отличники — все отметки «5», хорошисты — «4» и «5»."
)


def _results(scope: Scope, roll: Roll, groups: Groups, marks: dict) -> Results:
    vectors: dict[int, list[int]] = {}
    students: dict[int, list] = {}
    for c in scope.classes:
        subjects = groups.class_subjects(c.pk)
        on_roll = [s for s in roll.in_period[c.pk] if s in roll.at_end[c.pk]]
        counts: Counter = Counter()
        students[c.pk] = []
        for sid in on_roll:
            own = [
                (name, marks[(c.pk, sid, subject_id)])
                for subject_id, _s, name in subjects
                if (c.pk, sid, subject_id) in marks
            ]
            category, threes, bad, na = _verdict(own)
            counts[category] += 1
            students[c.pk].append((sid, category, threes, bad, na))
        assessed = sum(counts[k] for k in (*RESULT_COUNTED, PASSED))
        vectors[c.pk] = [
            len(on_roll),
            assessed,
            counts[NOT_ASSESSED],
            assessed - counts[FAILING],
            *(counts[k] for k in RESULT_COUNTED),
        ]
    return Results(vectors, students)


def _render_results(name: str, v: list[int]) -> list[Cell]:
    students, assessed, na, successful, excellent, good, one_three, threes, failing = v
    return [
        name,
        students,
        assessed,
        na,
        successful,
        percent(successful, assessed + na),
        percent(excellent + good, assessed + na),
        excellent,
        good,
        one_three,
        threes,
        failing,
    ]


def _results_detail(c: SchoolClass, roll: Roll, results: Results) -> Table:
    table = Table(
        f"results:{c.pk}",
        f"{c.name} — итоги по учащимся",
        ["№", "Учащийся", "Итог", "Отметки «3»", "Отметки «2», «1», «незач»", "Не аттестован (н/а)"],
        detail=True,
    )
    for n, (sid, category, threes, bad, na) in enumerate(results.students[c.pk], 1):
        warn = "warn" if category in (FAILING, NOT_ASSESSED) else ""
        table.rows.append(
            Row([n, roll.names[sid], category, ", ".join(threes), ", ".join(bad), ", ".join(na)], emphasis=warn)
        )
    return table


def class_results(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Итоги успеваемости за период (R21): per class the students at the period's end, assessed, success
    and quality in %, excellent / good / one «3» / «3» / failing / not assessed; subtotals per grade and a
    total; each class drills into its students."""
    scope = _scope(school, params)
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=True)
    progress(40)
    results = _results(scope, roll, groups, _period_marks(scope, groups, roll))
    progress(80)
    doc = Document("Итоги успеваемости", scope.subtitle())
    doc.tables.append(
        Table(
            "classes",
            "Итоги по классам",
            RESULT_COLUMNS,
            _class_rows(scope, results.vectors, _render_results, drill=lambda c: f"results:{c.pk}"),
            note=RESULT_NOTE,
        )
    )
    doc.tables.extend(_results_detail(c, roll, results) for c in scope.classes)
    progress(100)
    return doc


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


# --- 9. the forecast of period marks ----------------------------------------------------------------------


def forecast(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Прогноз итоговых отметок (R21): per class, students × subjects — the weighted average of the
    period's marks (as :func:`grading.selectors.period_averages`, summed in SQL for every group at once)
    and the period mark it points to (:func:`grading.selectors.forecast`); and the students heading for
    a «2»."""
    scope = _scope(school, params)
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=True)
    progress(30)
    weight = F("column__work_type__weight")
    rows = (
        Mark.objects.filter(
            column__lesson__group_id__in=list(groups.subject_of),
            column__lesson__date__gte=scope.period.start,
            column__lesson__date__lte=scope.period.end,
            value__isnull=False,
        )
        .values_list("student_id", "column__lesson__group_id")
        .annotate(
            total=Sum(F("value") * weight) + Coalesce(Sum(F("value2") * weight), 0),
            weights=Sum(weight) + Coalesce(Sum(weight, filter=Q(value2__isnull=False)), 0),
        )
        .order_by()
    )
    sums: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0])
    for sid, group_id, total, weights in rows:
        for c in _classes_of(groups, roll, group_id, sid):
            acc = sums[(c, sid, groups.subject_of[group_id])]
            acc[0] += total
            acc[1] += weights
    # The same rounding as journal.grid.weighted_average: two places, half up.
    averages = {k: (Decimal(total) / w).quantize(Decimal("0.01"), ROUND_HALF_UP) for k, (total, w) in sums.items() if w}
    progress(80)
    doc = Document("Прогноз итоговых отметок", scope.subtitle())
    risk = Table(
        "risk",
        "Прогноз «2»",
        ["Класс", "Учащийся", "Предмет", "Средний балл", "Прогноз"],
        note="Учащиеся, у которых средний взвешенный балл ведёт к отметке «2» или ниже.",
    )
    for c in scope.classes:
        subjects = groups.class_subjects(c.pk)
        table = Table(
            f"forecast:{c.pk}",
            f"{c.name} — прогноз отметок за период",
            ["№", "Учащийся", *(f"{s[1]}: {label}" for s in subjects for label in ("средний", "прогноз"))],
            note="Средний — взвешенный по весам видов работ (R3), «4/3» — обе отметки; прогноз — округление "
            "среднего (4,50 → 5, 4,49 → 4).",
        )
        for n, sid in enumerate(roll.in_period[c.pk], 1):
            cells: list[Cell] = [n, _student_name(roll, c.pk, sid)]
            for subject_id, _short, name in subjects:
                avg = averages.get((c.pk, sid, subject_id))
                mark = forecast_mark(avg)
                cells += [float(avg) if avg is not None else None, mark]
                if mark is not None and mark <= 2:
                    risk.rows.append(Row([c.name, roll.names[sid], name, float(avg), mark], emphasis="warn"))
            table.rows.append(Row(cells))
        doc.tables.append(table)
    doc.tables.insert(0, risk)
    progress(100)
    return doc


# --- 10. user activity (R22) ------------------------------------------------------------------------------

STAFF_ROLES = {
    Role.DIRECTOR: "Директор",
    Role.DEPUTY: "Заместители директора",
    Role.ADMINISTRATOR: "Администраторы",
    Role.SECRETARY: "Секретари",
    Role.TEACHER: "Учителя",
}
PARENTS, STUDENTS = "parents", "students"
ROLE_NAMES = {**STAFF_ROLES, PARENTS: "Родители", STUDENTS: "Учащиеся"}
MAX_DAYS = 731


def _date(params: dict, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(params.get(key, "")))
    except ValueError:
        raise ValidationError("Укажите даты начала и конца в формате ГГГГ-ММ-ДД.") from None


def _buckets(start: dt.date, end: dt.date, step: str) -> list[tuple[dt.date, str]]:
    """(first day, label) of every week (from Monday) or month that meets [start, end]."""
    out = []
    if step == "week":
        day = start - dt.timedelta(days=start.weekday())
        while day <= end:
            last = day + dt.timedelta(days=6)
            out.append((day, f"{max(day, start):%d.%m}–{min(last, end):%d.%m.%Y}"))
            day += dt.timedelta(days=7)
    else:
        day = start.replace(day=1)
        while day <= end:
            out.append((day, f"{MONTHS[day.month - 1]} {day.year}"))
            day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def user_activity(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Активность пользователей (R22): per week or month of [start, end], for each role of the school
    (staff by their role, parents of its students, students with their own login) the users who logged in
    at least once, their share of all users of the role and the number of logins. Days are the school's
    own (its time zone). Nine queries, whatever the number of users or logins."""
    start, end = _date(params, "start"), _date(params, "end")
    step = params.get("step") or "week"
    if step not in ("week", "month"):
        raise ValidationError("Выберите шаг: неделя или месяц.")
    if start > end:
        raise ValidationError("Начало периода позже его конца.")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError("Выберите период не длиннее двух лет.")
    tz = school.tzinfo
    since = dt.datetime.combine(start, dt.time.min, tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz)
    logins = LoginEvent.objects.filter(at__gte=since, at__lt=until)
    trunc = (TruncWeek if step == "week" else TruncMonth)("at", tzinfo=tz)
    # Staff logins are grouped by the staff role; a parent's logins count once however many children.
    sources = {
        "staff": logins.filter(user__staff_roles__school=school),
        PARENTS: logins.filter(user__children_links__student__school=school),
        STUDENTS: logins.filter(user__student_profile__school=school),
    }
    population: Counter = Counter(
        {
            r["role"]: r["n"]
            for r in StaffRole.objects.filter(school=school)
            .values("role")
            .annotate(n=Count("user", distinct=True))
            .order_by()
        }
    )
    population[PARENTS] = User.objects.filter(children_links__student__school=school).distinct().count()
    population[STUDENTS] = User.objects.filter(student_profile__school=school).count()
    progress(30)
    per_bucket: dict[tuple[str, dt.date], tuple[int, int]] = {}
    overall: dict[str, tuple[int, int]] = {}
    for key, qs in sources.items():
        fields = ["user__staff_roles__role"] if key == "staff" else []
        counted = {"users": Count("user_id", distinct=True), "n": Count("id", distinct=True)}
        for r in qs.values(*fields, bucket=trunc).annotate(**counted).order_by():
            role = r["user__staff_roles__role"] if fields else key
            per_bucket[(role, r["bucket"].astimezone(tz).date())] = (r["users"], r["n"])
        if fields:
            for r in qs.values(*fields).annotate(**counted).order_by():
                overall[r["user__staff_roles__role"]] = (r["users"], r["n"])
        else:
            r = qs.aggregate(**counted)
            overall[key] = (r["users"], r["n"])
    progress(80)
    buckets = _buckets(start, end, step)
    doc = Document(
        "Активность пользователей",
        f"{school} · {start:%d.%m.%Y}–{end:%d.%m.%Y} · по {'неделям' if step == 'week' else 'месяцам'}",
    )
    summary = Table(
        "roles",
        "За весь период",
        ["Роль", "Пользователей", "Входили", "Входили, %", "Входов"],
        note="Пользователи роли — все, у кого она есть в школе сейчас; входили — хотя бы один вход за период. "
        "Пользователь с двумя ролями считается в каждой.",
    )
    doc.tables.append(summary)
    for key, title in ROLE_NAMES.items():
        users, n = overall.get(key, (0, 0))
        summary.rows.append(
            Row([title, population[key], users, percent(users, population[key]), n], drill=f"role:{key}")
        )
        table = Table(
            f"role:{key}",
            f"{title} — по {'неделям' if step == 'week' else 'месяцам'}",
            ["Период", "Входили", "Входили, %", "Входов"],
        )
        for day, label in buckets:
            b_users, b_n = per_bucket.get((key, day), (0, 0))
            table.rows.append(Row([label, b_users, percent(b_users, population[key]), b_n]))
        table.rows.append(Row(["За весь период", users, percent(users, population[key]), n], emphasis="total"))
        doc.tables.append(table)
    progress(100)
    return doc


REPORTS: dict[str, Callable[[School, dict, Progress], Document]] = {
    "marks_summary": marks_summary,
    "attendance_summary": attendance_summary,
    "class_results": class_results,
    "class_teacher_report": class_teacher_report,
    "student_movement": student_movement,
    "class_sizes": class_sizes,
    "missed_with_topics": missed_with_topics,
    "unsatisfactory_with_topics": unsatisfactory_with_topics,
    "forecast": forecast,
    "user_activity": user_activity,
}
