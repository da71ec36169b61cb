"""The journal's mark cell, rendered in Python (issue 3, point 9).

One renderer for every place a mark cell appears: the lesson page, the journal grid and the htmx cell
endpoint that answers a save. A grid is over a thousand cells; a template include per cell costs
~90 ms, ``format_html`` per cell still ~40 ms (its lazy-string checks), so a cell is an f-string with
``html.escape`` on every text that is not ours, and what is the same for a whole column (its title,
classes, URLs, translated labels) is prepared once per column.

The cell is a ``<td>`` whose ``data-*`` attributes carry what a save needs (URL, column, student and
the optimistic version the user saw). ``static/js/journal.js`` sends the typed text, shows the
saving / saved / error state and retries a save that failed on the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .models import Mark, MarkColumn

# Saved-state of a cell after a request; "" on a plain page render.
SAVED, CONFLICT, ERROR = "saved", "conflict", "error"


@dataclass(frozen=True)
class CellError:
    message: str
    typed: str = ""  # what the user typed, kept so nothing typed is lost
    needs_reason: bool = False


class ColumnCells:
    """Renders the cells of one mark column; the column's constant parts are built once."""

    def __init__(self, column: MarkColumn, *, url: str, history_url: str, editable: bool) -> None:
        work_type = column.work_type
        self.column_id = column.pk
        self.url = escape(url)
        self.history_url = escape(history_url)
        self.editable = editable
        self.weight_class = f"w{min(work_type.weight, 5)}"
        self.title = escape(work_type.name + (f" «{column.title}»" if column.title else ""))
        self.late_title = escape(" — " + _("entered late"))
        self.history_label = escape(_("History of changes"))
        self.mark_label = escape(_("Mark"))

    def render(
        self,
        student_id: int,
        mark: Mark | None,
        *,
        absence_code: str = "",
        changed: bool = False,
        state: str = "",
        error: CellError | None = None,
    ) -> str:
        shown = escape(mark.display) if mark is not None else ""
        title = self.title + (self.late_title if mark is not None and mark.is_late else "")
        classes = "cell " + self.weight_class
        if mark is not None:
            classes += f" mark-{mark.value}" if mark.value else " mark-code"
        if state:
            classes += " " + state
        history = ""
        if changed:
            classes += " changed"
            history = (
                f'<button type="button" class="hist" data-history="{self.history_url}?student={student_id}'
                f'&amp;column={self.column_id}" title="{self.history_label}" aria-label="{self.history_label}">'
                "◷</button>"
            )
        absence = f'<span class="abs">{escape(absence_code)}</span>' if absence_code else ""
        if not self.editable:
            body = f'<span class="mark" title="{title}">{shown}</span>' if shown else ""
            return f'<td class="{classes}">{absence}{body}{history}</td>'
        message = extra = ""
        if error is not None:
            message = f'<span class="cellmsg" role="alert">{escape(error.message)}</span>'
            extra = f' data-typed="{escape(error.typed)}"' + (' data-needs-reason="1"' if error.needs_reason else "")
        version = mark.version if mark is not None else ""
        return (
            f'<td class="{classes}" data-url="{self.url}" data-column="{self.column_id}" data-student="{student_id}"'
            f' data-version="{version}"{extra}>{absence}<input class="mk" id="mk-{self.column_id}-{student_id}"'
            f' name="value" value="{shown}" autocomplete="off" inputmode="numeric" maxlength="6"'
            f' aria-label="{self.mark_label}" title="{title}">'
            f"{history}{message}</td>"
        )


def mark_cell(
    *,
    url: str,
    column: MarkColumn,
    student_id: int,
    mark: Mark | None,
    editable: bool,
    absence_code: str = "",
    changed: bool = False,
    history_url: str = "",
    state: str = "",
    error: CellError | None = None,
) -> SafeString:
    """One mark cell (the htmx endpoint's answer). ``history_url`` is the lesson's history URL; the cell
    adds the student and the column. ``changed`` marks a cell with history and opens it (R4)."""
    cells = ColumnCells(column, url=url, history_url=history_url, editable=editable)
    html = cells.render(student_id, mark, absence_code=absence_code, changed=changed, state=state, error=error)
    return mark_safe(html)  # noqa: S308 - every text not ours is escaped above
