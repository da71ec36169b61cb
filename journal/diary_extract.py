"""The printed diary extract (issue 4, point 4; R19): a month of a student's diary on paper — marks by
subject, absences and lateness, remarks — for the families who refused electronic access (the consent
registry, R16). The class teacher prints the whole class in one PDF, one student per page.

A fixed number of queries for the whole class, then WeasyPrint renders the HTML with a Cyrillic font
(DejaVu Sans, Debian's ``fonts-dejavu-core``; .ci/run and ``make syscheck`` check it).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from attendance.models import Absence
from grading.models import Mark

from .grid import weighted_average
from .models import GroupMembership, LessonNote, SchoolClass, Student


def month_bounds(month: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` (default: the current month) → its first and last day."""
    try:
        first = dt.date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass
class ExtractSubject:
    name: str
    marks: list[Mark] = field(default_factory=list)
    absences: int = 0
    late: int = 0

    @property
    def average(self) -> Decimal | None:
        return weighted_average([(m.value, m.value2, m.column.work_type.weight) for m in self.marks])


@dataclass
class ExtractPage:
    student: Student
    subjects: list[ExtractSubject]
    absences: list[Absence]
    notes: list[LessonNote]


def extract_pages(students: list[Student], first: dt.date, last: dt.date) -> list[ExtractPage]:
    """One page per student: five queries for the whole list."""
    ids = [s.pk for s in students]
    subjects: dict[int, dict[int, ExtractSubject]] = defaultdict(dict)
    for membership in (
        GroupMembership.objects.filter(student_id__in=ids, start__lte=last)
        .filter(Q(end__isnull=True) | Q(end__gte=first))
        .select_related("group__subject")
        .order_by("group__subject__name", "group__name")
    ):
        subjects[membership.student_id].setdefault(membership.group_id, ExtractSubject(membership.group.subject.name))
    for mark in (
        Mark.objects.filter(student_id__in=ids, column__lesson__date__gte=first, column__lesson__date__lte=last)
        .select_related("column__lesson", "column__work_type")
        .order_by("column__lesson__date", "column__lesson__number")
    ):
        row = subjects[mark.student_id].get(mark.column.lesson.group_id)
        if row is not None:
            row.marks.append(mark)
    absences: dict[int, list[Absence]] = defaultdict(list)
    for absence in (
        Absence.objects.filter(student_id__in=ids, lesson__date__gte=first, lesson__date__lte=last)
        .select_related("lesson__group__subject")
        .order_by("lesson__date", "lesson__number")
    ):
        absences[absence.student_id].append(absence)
        row = subjects[absence.student_id].get(absence.lesson.group_id)
        if row is not None:
            if absence.kind == "late":
                row.late += 1
            else:
                row.absences += 1
    notes: dict[int, list[LessonNote]] = defaultdict(list)
    for note in (
        LessonNote.objects.filter(student_id__in=ids, lesson__date__gte=first, lesson__date__lte=last)
        .select_related("lesson__group__subject")
        .order_by("lesson__date", "created_at")
    ):
        notes[note.student_id].append(note)
    return [
        ExtractPage(s, list(subjects[s.pk].values()), absences.get(s.pk, []), notes.get(s.pk, [])) for s in students
    ]


def class_students(school_class: SchoolClass, first: dt.date, last: dt.date) -> list[Student]:
    """Students enrolled in the class at any time of [first, last], in journal order."""
    return list(
        Student.objects.filter(enrollments__school_class=school_class, enrollments__start__lte=last)
        .filter(Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=first))
        .distinct()
        .order_by("last_name", "first_name", "patronymic")
    )


def extract_pdf(school_class: SchoolClass, students: list[Student], month: str | None) -> bytes:
    """The extract of ``students`` of ``school_class`` for a month, as PDF bytes."""
    from weasyprint import HTML  # imported here: WeasyPrint loads Pango, which only PDF pages need

    today = timezone.localdate()
    first, last = month_bounds(month, today)
    html = render_to_string(
        "journal/diary/extract.html",
        {
            "school_class": school_class,
            "school": school_class.year.school,
            "pages": extract_pages(students, first, last),
            "first": first,
            "last": last,
            "today": today,
        },
    )
    return HTML(string=html).write_pdf()
