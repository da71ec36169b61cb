"""The end-of-period copy of a class journal as PDF (issue 6, point 1; R23) and the period's summary sheets.

The copy is what the school used to print and bind: a title page, the class list, then for every subject
(teaching group) of the class the marks grid — students × lessons with marks and absence codes, the period
mark after the last date — and the lessons with their topics and homework, each subject signed by its
teacher; a closing page for the class teacher, the deputy director and the director.

The data is read in a fixed number of queries for the whole class; the HTML is deliberately plain (a few
table-level rules, no per-cell classes), because WeasyPrint's time grows with boxes and styles per cell.
The marks grid is cut into tables of at most ``MAX_DATES`` lessons so that it never runs off an A4
landscape page; student names repeat in every chunk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Role, StaffRole
from attendance.models import Absence
from grading.models import Mark, PeriodMark
from journal.models import (
    Enrollment,
    GroupMembership,
    Homework,
    Lesson,
    LessonStatus,
    SchoolClass,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
)
from reports.period import attendance_summary, marks_summary
from reports.period.base import MONTHS, PERIOD_KINDS
from reports.tables import Document

MAX_DATES = 25  # lesson columns per grid table: 25 × 8 mm + names + period mark fit 277 mm of A4 landscape
SHORT_KINDS = {"quarter": "четв.", "trimester": "трим.", "half": "полуг."}
SUMMARY_KINDS = {"marks": marks_summary, "attendance": attendance_summary}


@dataclass
class RenderedCopy:
    pdf: bytes
    pages: int
    sha256: str
    groups: list[int]  # the teaching groups the copy covers, in the copy's order
    seconds: float


@dataclass
class GridChunk:
    """One table of the marks grid: up to ``MAX_DATES`` lessons, every student of the group."""

    months: list[tuple[str, int]]  # (month, colspan) over the lesson columns
    days: list[int]
    rows: list[tuple[int, str, list[str], str]]  # (№, name, cells, period mark — last chunk only)
    last: bool

    @property
    def width_mm(self) -> int:
        """The table's width: WeasyPrint uses the fixed table layout only for a table of a given width."""
        return 6 + 50 + 8 * len(self.days) + (14 if self.last else 0)


@dataclass
class LessonLine:
    date: dt.date
    number: int
    topic: str
    homework: str


@dataclass
class GroupSheet:
    group: TeachingGroup
    teachers: list[str]  # «Петрова М. П.», substitutes after the main teacher
    chunks: list[GridChunk]
    lessons: list[LessonLine]


@dataclass
class ClassListLine:
    name: str
    birth_date: dt.date | None
    remark: str


@dataclass
class CopyData:
    school_class: SchoolClass
    period: StudyPeriod
    period_name: str
    students: list[ClassListLine]
    sheets: list[GroupSheet] = field(default_factory=list)
    deputy: str = ""
    director: str = ""

    @property
    def final_title(self) -> str:
        """The period mark column's head: «1 четв.», «год»."""
        if self.period.kind == "year":
            return "Год"
        return f"{self.period.number} {SHORT_KINDS[self.period.kind]}"


def period_name(period: StudyPeriod) -> str:
    """«1 четверть 2026/2027», «2026/2027 учебный год»."""
    if period.kind == "year":
        return f"{period.year.name} учебный год"
    return f"{period.number} {PERIOD_KINDS[period.kind]} {period.year.name}"


def _overlapping(qs, start: dt.date, end: dt.date):  # noqa: ANN001, ANN202 - any queryset with start/end
    return qs.filter(start__lte=end).filter(Q(end__isnull=True) | Q(end__gte=start))


def _remark(start: dt.date, end: dt.date | None, period: StudyPeriod, came: str, left: str) -> str:
    parts = []
    if start > period.start:
        parts.append(f"{came} {start:%d.%m}")
    if end is not None and end < period.end:
        parts.append(f"{left} {end:%d.%m}")
    return ", ".join(parts)


def _chunks(lessons: list[Lesson], students: list[tuple[int, str]], cells: dict, finals: dict) -> list[GridChunk]:
    """The grid cut into tables of at most ``MAX_DATES`` lesson columns (always at least one table)."""
    parts = [lessons[i : i + MAX_DATES] for i in range(0, len(lessons), MAX_DATES)] or [[]]
    chunks = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        months: list[tuple[str, int]] = []
        for lesson in part:
            name = MONTHS[lesson.date.month - 1]
            if months and months[-1][0] == name:
                months[-1] = (name, months[-1][1] + 1)
            else:
                months.append((name, 1))
        rows = [
            (n, name, [cells.get((lesson.pk, sid), "") for lesson in part], finals.get(sid, "") if last else "")
            for n, (sid, name) in enumerate(students, 1)
        ]
        chunks.append(GridChunk(months, [lesson.date.day for lesson in part], rows, last))
    return chunks


def journal_copy_data(school_class: SchoolClass, period: StudyPeriod) -> CopyData:
    """Everything the copy prints, read in twelve queries whatever the size of the class."""
    school_class = SchoolClass.objects.select_related("year__school", "class_teacher").get(pk=school_class.pk)
    period = StudyPeriod.objects.select_related("year").get(pk=period.pk)
    start, end = period.start, period.end

    enrollments = (
        _overlapping(Enrollment.objects.filter(school_class=school_class), start, end)
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__patronymic", "student_id", "start")
    )
    class_list: dict[int, ClassListLine] = {}
    for e in enrollments:
        remark = _remark(e.start, e.end, period, "приб.", "выб.")
        line = class_list.get(e.student_id)
        if line is None:
            class_list[e.student_id] = ClassListLine(e.student.full_name, e.student.birth_date, remark)
        elif remark:
            line.remark = f"{line.remark}, {remark}" if line.remark else remark
    data = CopyData(school_class, period, period_name(period), list(class_list.values()))

    groups = list(
        TeachingGroup.objects.filter(classes=school_class)
        .select_related("subject")
        .order_by("subject__name", "subgroup_number", "name", "pk")
    )
    group_ids = [g.pk for g in groups]

    # Members of each group in the period who were in this class then: a stream's other classes stay out.
    members: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
    for m in (
        _overlapping(
            GroupMembership.objects.filter(group_id__in=group_ids, student_id__in=list(class_list)), start, end
        )
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__patronymic", "student_id", "start")
    ):
        remark = _remark(m.start, m.end, period, "с", "по")
        name, before = members[m.group_id].get(m.student_id, (m.student.short_name, ""))
        members[m.group_id][m.student_id] = (name, ", ".join(r for r in (before, remark) if r))

    lessons_of: dict[int, list[Lesson]] = defaultdict(list)
    teachers_of: dict[int, list[str]] = defaultdict(list)
    lessons = list(
        Lesson.objects.filter(group_id__in=group_ids, date__gte=start, date__lte=end, status=LessonStatus.HELD)
        .select_related("teacher")
        .only(
            "pk",
            "group_id",
            "date",
            "number",
            "topic",
            "teacher",
            "teacher__last_name",
            "teacher__first_name",
            "teacher__patronymic",
            "teacher__username",
        )  # fmt: skip
        .order_by("date", "number", "pk")
    )
    lesson_ids = [lesson.pk for lesson in lessons]
    for lesson in lessons:
        lessons_of[lesson.group_id].append(lesson)

    for a in (
        _overlapping(TeachingAssignment.objects.filter(group_id__in=group_ids), start, end)
        .select_related("teacher")
        .order_by("role", "start", "pk")  # "main" before "substitute"
    ):
        if a.teacher.short_name not in teachers_of[a.group_id]:
            teachers_of[a.group_id].append(a.teacher.short_name)
    for lesson in lessons:  # whoever held a lesson signs too, even without an assignment row any more
        if lesson.teacher_id and lesson.teacher.short_name not in teachers_of[lesson.group_id]:
            teachers_of[lesson.group_id].append(lesson.teacher.short_name)

    homework: dict[int, list[str]] = defaultdict(list)
    for lesson_id, text in (
        Homework.objects.filter(lesson_id__in=lesson_ids).order_by("created_at", "pk").values_list("lesson_id", "text")
    ):
        homework[lesson_id].append(text)

    cells: dict[tuple[int, int], str] = {}
    for lesson_id, student_id, kind, reason in Absence.objects.filter(
        lesson_id__in=lesson_ids, student_id__in=list(class_list)
    ).values_list("lesson_id", "student_id", "kind", "reason"):
        cells[(lesson_id, student_id)] = Absence(kind=kind, reason=reason).code
    for lesson_id, student_id, value, value2, code in (
        Mark.objects.filter(column__lesson_id__in=lesson_ids, student_id__in=list(class_list))
        .order_by("column_id")
        .values_list("column__lesson_id", "student_id", "value", "value2", "code")
    ):
        text = Mark(value=value, value2=value2, code=code).display
        key = (lesson_id, student_id)
        cells[key] = f"{cells[key]} {text}" if key in cells else text

    finals: dict[int, dict[int, str]] = defaultdict(dict)
    for group_id, student_id, value, code, deferred in PeriodMark.objects.filter(
        period=period, group_id__in=group_ids, student_id__in=list(class_list)
    ).values_list("group_id", "student_id", "value", "code", "is_deferred"):
        text = PeriodMark(value=value, code=code).display
        finals[group_id][student_id] = f"{text}*" if deferred else text

    for g in groups:
        students = [(sid, f"{name} ({remark})" if remark else name) for sid, (name, remark) in members[g.pk].items()]
        own = lessons_of[g.pk]
        data.sheets.append(
            GroupSheet(
                group=g,
                teachers=teachers_of[g.pk],
                chunks=_chunks(own, students, cells, finals[g.pk]),
                lessons=[LessonLine(x.date, x.number, x.topic, "; ".join(homework[x.pk])) for x in own],
            )
        )

    for role, last_name, first_name, patronymic in (
        StaffRole.objects.filter(school_id=school_class.year.school_id, role__in=[Role.DEPUTY, Role.DIRECTOR])
        .order_by("role", "user__last_name", "pk")
        .values_list("role", "user__last_name", "user__first_name", "user__patronymic")
    ):
        initials = "".join(f"{p[0]}. " for p in (first_name, patronymic) if p).strip()
        name = f"{last_name} {initials}".strip()
        if role == Role.DEPUTY and not data.deputy:
            data.deputy = name
        elif role == Role.DIRECTOR and not data.director:
            data.director = name
    data.director = data.director or school_class.year.school.director_name
    return data


def printed_on(day: dt.date | None = None) -> str:
    """The «Напечатано …» date of a document: today unless told."""
    return (day or timezone.localdate()).strftime("%d.%m.%Y")


def journal_copy_html(
    school_class: SchoolClass, period: StudyPeriod, printed: str | None = None
) -> tuple[str, CopyData]:
    """The copy's HTML (what the PDF is made of) and the data behind it. ``printed`` is the text of the
    printing date (today's by default; the archive passes a placeholder to key its render cache)."""
    data = journal_copy_data(school_class, period)
    html = render_to_string(
        "archive/journal_copy.html",
        {
            "data": data,
            "school": data.school_class.year.school,
            "school_class": data.school_class,
            "printed": printed or printed_on(),
        },
    )
    return html, data


def html_to_pdf(html: str) -> tuple[bytes, int]:
    from weasyprint import HTML  # imported here: WeasyPrint loads Pango, which only PDF work needs

    document = HTML(string=html).render()
    return document.write_pdf(), len(document.pages)


def render_journal_copy(school_class: SchoolClass, period: StudyPeriod) -> RenderedCopy:
    """The class's journal for ``period`` (a term or the year) as an A4 landscape PDF."""
    started = time.perf_counter()
    html, data = journal_copy_html(school_class, period)
    pdf, pages = html_to_pdf(html)
    return RenderedCopy(
        pdf=pdf,
        pages=pages,
        sha256=hashlib.sha256(pdf).hexdigest(),
        groups=[sheet.group.pk for sheet in data.sheets],
        seconds=time.perf_counter() - started,
    )


def summary_sheet_html(
    school_class: SchoolClass, period: StudyPeriod, kind: str, printed: str | None = None
) -> tuple[str, Document]:
    """The HTML of the summary sheet ``kind`` ("marks" | "attendance") of the class for the period."""
    school_class = SchoolClass.objects.select_related("year__school", "class_teacher").get(pk=school_class.pk)
    school = school_class.year.school
    document = SUMMARY_KINDS[kind](school, {"period": period.pk, "class": school_class.pk})
    html = render_to_string(
        "archive/summary_sheet.html",
        {
            "document": document,
            "school": school,
            "school_class": school_class,
            "printed": printed or printed_on(),
        },
    )
    return html, document


def render_summary_sheet(school_class: SchoolClass, period: StudyPeriod, kind: str) -> RenderedCopy:
    """The summary sheet of marks or attendance (R21, kept 25 years — R24) as its own short PDF.

    Raises ``KeyError`` for an unknown ``kind`` and the report's ``ValidationError`` for a period the class
    does not study by."""
    started = time.perf_counter()
    html, _document = summary_sheet_html(school_class, period, kind)
    pdf, pages = html_to_pdf(html)
    return RenderedCopy(pdf, pages, hashlib.sha256(pdf).hexdigest(), [], time.perf_counter() - started)
