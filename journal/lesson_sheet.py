"""The lesson page's rows as the page shows them: each student's attendance, rendered mark cells and
remarks. Shared by the full page and the htmx endpoints that re-render one row or one cell."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from attendance.models import Absence
from grading.cells import CellError, ColumnCells, mark_cell
from grading.models import EventAction, EventObject, JournalEvent, Mark, MarkColumn

from .models import Lesson, LessonNote, Student
from .selectors import LessonSheet


@dataclass
class SheetRow:
    number: int
    student: Student
    absence: Absence | None
    cells: list[SafeString]
    notes: list[LessonNote]

    @property
    def absence_kind(self) -> str:
        return self.absence.kind if self.absence else ""

    @property
    def minutes_late(self) -> int | str:
        return (self.absence.minutes_late or "") if self.absence else ""


def changed_cells(lesson_ids: list[int] | None = None, *, group_id: int | None = None, since=None, until=None):  # noqa: ANN001
    """(student id, column id) of every mark cell that was changed or removed at least once (R4): one
    query over the history of the given lessons (or of a group's lessons between two dates)."""
    events = JournalEvent.objects.filter(
        object_type=EventObject.MARK, action__in=[EventAction.UPDATE, EventAction.DELETE]
    )
    if lesson_ids is not None:
        events = events.filter(lesson_id__in=lesson_ids)
    else:
        events = events.filter(group_id=group_id, lesson__date__gte=since, lesson__date__lte=until)
    column = Coalesce(KT("new__column"), KT("old__column"))
    rows = events.order_by().annotate(cell_column=column).values_list("student_id", "cell_column").distinct()
    return {(student_id, int(column)) for student_id, column in rows if column}


def cell_urls(lesson: Lesson) -> tuple[str, str]:
    return (
        reverse("lesson_cell", args=[lesson.pk]),
        reverse("lesson_history", args=[lesson.pk]),
    )


def render_cell(
    lesson: Lesson,
    column: MarkColumn,
    student_id: int,
    mark: Mark | None,
    *,
    editable: bool,
    absence: Absence | None,
    changed: bool,
    state: str = "",
    error: CellError | None = None,
) -> SafeString:
    url, history = cell_urls(lesson)
    return mark_cell(
        url=url,
        column=column,
        student_id=student_id,
        mark=mark,
        editable=editable,
        absence_code="",
        changed=changed,
        history_url=history,
        state=state,
        error=error,
    )


def sheet_rows(sheet: LessonSheet, *, editable: bool, only: int | None = None) -> list[SheetRow]:
    """The rows of the lesson page (or only the row of student ``only``)."""
    changed = changed_cells([sheet.lesson.pk])
    url, history = cell_urls(sheet.lesson)
    renderers = [ColumnCells(column, url=url, history_url=history, editable=editable) for column in sheet.columns]
    rows = []
    for number, (student, absence, marks, notes) in enumerate(sheet.rows(), start=1):
        if only is not None and student.pk != only:
            continue
        cells = [
            mark_safe(cells.render(student.pk, mark, changed=(student.pk, cells.column_id) in changed))  # noqa: S308
            for cells, mark in zip(renderers, marks, strict=True)
        ]
        rows.append(SheetRow(number, student, absence, cells, notes))
    return rows
