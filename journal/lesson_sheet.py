"""The lesson page's rows as the page shows them: each student's attendance, rendered mark cells and
remarks. Shared by the full page and the htmx endpoints that re-render one row or one cell."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from attendance.models import Absence, AbsenceKind
from grading.cells import CellError, ColumnCells, mark_cell
from grading.models import EventAction, EventObject, JournalEvent, Mark, MarkColumn

from .models import Lesson, LessonNote, NoteKind, Student
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


class RowRenderer:
    """Renders the lesson page's student rows (the page's 25–35 rows, and the one row the attendance
    and remark endpoints answer with) in Python, like the mark cells: what is the same for every row —
    URLs, translated labels, the note kinds — is prepared once. A Django template per row cost about
    as much as all the page's queries together.

    ``sent`` is what the user posted in a refused request (kept in the form so nothing typed is lost);
    ``error`` the message shown under the attendance cell."""

    def __init__(self, lesson: Lesson, *, can_write: bool, day_over: bool, correcting: bool = False) -> None:
        self.lesson_pk = lesson.pk
        self.can_write = can_write
        self.attendance_url = escape(reverse("lesson_attendance", args=[lesson.pk]))
        self.note_url = escape(reverse("lesson_note", args=[lesson.pk]))
        if correcting:
            ask = escape(_("A correction: give the reason of the change."))
        else:
            ask = escape(_("The lesson day is over: give the reason of the change.")) if day_over else ""
        self.ask_reason = f' data-ask-reason="{ask}"' if ask else ""
        self.t_present = escape(_("present"))
        self.t_absent = escape(_("absent (Н)"))
        self.t_late = escape(_("late"))
        self.t_minutes_late = escape(_("minutes late"))
        self.t_min = escape(_("min"))
        self.t_withdraw = escape(_("Withdraw"))
        self.t_add_remark = escape(_("+ remark"))
        self.t_kind = escape(_("Kind"))
        self.t_text = escape(_("Text"))
        self.t_add = escape(_("Add"))
        self.note_kinds = [(value, escape(str(label))) for value, label in NoteKind.choices]
        self.note_labels = dict(self.note_kinds)

    def render(self, row: SheetRow, *, sent: dict | None = None, error: str = "") -> str:
        sent = sent or {}
        pk = row.student.pk
        name = escape(row.student.short_name)
        absence = row.absence
        tr_class = ' class="absent"' if row.absence_kind == AbsenceKind.ABSENT else ""
        parts = [
            f'<tr id="row-{pk}" data-student="{pk}"{tr_class}>',
            f'<td>{row.number}</td><td class="name">{name}</td><td class="att">',
        ]
        if self.can_write:
            kind = sent.get("kind") or row.absence_kind
            sel = {k: " selected" if kind == k else "" for k in ("", AbsenceKind.ABSENT, AbsenceKind.LATE)}
            label = escape(_("Attendance of %(name)s") % {"name": row.student.short_name})
            parts.append(
                f'<form hx-post="{self.attendance_url}" hx-trigger="change, retry" hx-target="closest tr" '
                f'hx-swap="outerHTML" class="att-form"{self.ask_reason}>'
                f'<input type="hidden" name="student" value="{pk}">'
                f'<select name="kind" id="att-{pk}" aria-label="{label}">'
                f'<option value=""{sel[""]}>{self.t_present}</option>'
                f'<option value="absent"{sel[AbsenceKind.ABSENT]}>{self.t_absent}</option>'
                f'<option value="late"{sel[AbsenceKind.LATE]}>{self.t_late}</option></select>'
            )
            if kind == AbsenceKind.LATE:
                minutes = escape(str(sent.get("minutes") or row.minutes_late))
                parts.append(
                    f' <input type="number" name="minutes" id="late-{pk}" min="1" max="45" size="3" value="{minutes}" '
                    f'aria-label="{self.t_minutes_late}"> {self.t_min}'
                )
            parts.append('<input type="hidden" name="reason" value=""></form>')
            if absence is not None and absence.kind == AbsenceKind.ABSENT:
                parts.append(
                    f'<span class="muted small" title="{escape(absence.get_reason_display())}">'
                    f"{escape(absence.code)}</span>"
                )
        elif absence is not None:
            parts.append(f'<strong title="{escape(absence.get_reason_display())}">{escape(absence.code)}</strong>')
            if absence.minutes_late:
                parts.append(f" {absence.minutes_late} {self.t_min}")
        if error:
            parts.append(f'<p class="error small" role="alert">{escape(error)}</p>')
        parts.append("</td>")
        parts.extend(row.cells)
        parts.append('<td class="notes">')
        for note in row.notes:
            kind_label = self.note_labels.get(note.kind, escape(note.kind))
            parts.append(f'<div class="note note-{escape(note.kind)}">{kind_label}: {escape(note.text)}')
            if self.can_write:
                url = escape(reverse("lesson_note_delete", args=[self.lesson_pk, note.pk]))
                parts.append(
                    f' <form hx-post="{url}" hx-trigger="submit, retry" hx-target="closest tr" hx-swap="outerHTML" '
                    f'class="inline"{self.ask_reason}><input type="hidden" name="reason" value="">'
                    f'<button type="submit" class="linklike small" title="{self.t_withdraw}" '
                    f'aria-label="{self.t_withdraw}">×</button></form>'
                )
            parts.append("</div>")
        if self.can_write:
            note_kind = sent.get("note_kind", "")
            options = "".join(
                f'<option value="{value}"{" selected" if note_kind == value else ""}>{label}</option>'
                for value, label in self.note_kinds
            )
            opened = " open" if sent.get("note_text") else ""
            parts.append(
                f'<details{opened}><summary class="small">{self.t_add_remark}</summary>'
                f'<form hx-post="{self.note_url}" hx-target="closest tr" hx-swap="outerHTML" class="noteform">'
                f'<input type="hidden" name="student" value="{pk}">'
                f'<select name="kind" aria-label="{self.t_kind}">{options}</select>'
                f' <input type="text" name="text" maxlength="1000" value="{escape(sent.get("note_text") or "")}" '
                f'aria-label="{self.t_text}"> <button type="submit">{self.t_add}</button></form></details>'
            )
        parts.append("</td></tr>")
        return "".join(parts)
