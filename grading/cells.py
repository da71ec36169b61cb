"""The journal's mark cell, rendered in Python (issue 3, point 9).

One renderer for every place a mark cell appears: the lesson page, the journal grid and the htmx cell
endpoint that answers a save. A 30 × 45 grid is 1,350 cells; ``format_html`` renders them in about a
millisecond where a template include per cell takes ~90 ms.

The cell is a ``<td>`` whose ``data-*`` attributes carry what a save needs (URL, column, student and
the optimistic version the user saw). ``static/js/journal.js`` sends the typed text, shows the
saving / saved / error state and retries a save that failed on the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
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


def _mark_classes(mark: Mark | None, column: MarkColumn) -> str:
    classes = [f"w{min(column.work_type.weight, 5)}"]
    if mark is not None:
        classes.append(f"mark-{mark.value}" if mark.value else "mark-code")
    return " ".join(classes)


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
    """One mark cell. ``editable`` renders an input the teacher types into; otherwise the mark only.

    ``changed`` adds the marker of a cell with history and a button that opens it (R4)."""
    shown = mark.display if mark is not None else ""
    title = column.work_type.name + (f" «{column.title}»" if column.title else "")
    if mark is not None and mark.is_late:
        title += " — " + _("entered late")
    classes = ["cell", _mark_classes(mark, column)]
    if state:
        classes.append(state)
    if changed:
        classes.append("changed")
    history = (
        format_html(
            '<button type="button" class="hist" data-history="{}" title="{}" aria-label="{}">◷</button>',
            history_url,
            _("History of changes"),
            _("History of changes"),
        )
        if changed and history_url
        else ""
    )
    absence = format_html('<span class="abs">{}</span>', absence_code) if absence_code else ""
    message = ""
    extra = ""
    if error is not None:
        message = format_html('<span class="cellmsg" role="alert">{}</span>', error.message)
        extra = format_html(
            ' data-typed="{}"{}', error.typed, mark_safe(' data-needs-reason="1"') if error.needs_reason else ""
        )
    if editable:
        body = format_html(
            '<input class="mk" name="value" value="{}" autocomplete="off" inputmode="numeric" maxlength="6"'
            ' aria-label="{}" title="{}">',
            shown,
            _("Mark"),
            title,
        )
        return format_html(
            '<td class="{}" data-url="{}" data-column="{}" data-student="{}" data-version="{}"{}>{}{}{}{}</td>',
            " ".join(classes),
            url,
            column.pk,
            student_id,
            mark.version if mark is not None else "",
            extra,
            absence,
            body,
            history,
            message,
        )
    body = format_html('<span class="mark" title="{}">{}</span>', title, shown) if shown else ""
    return format_html('<td class="{}">{}{}{}</td>', " ".join(classes), absence, body, history)
