"""Shared parts of the period reports: parameters, the roll of students, the groups, the period marks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from attendance.models import AbsenceReason
from grading.models import PeriodMark
from journal.models import Enrollment, School, SchoolClass, StudyPeriod, SubjectKind, TeachingGroup

from ..tables import Cell, Row

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
