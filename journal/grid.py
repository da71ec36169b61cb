"""The journal grid of a teaching group over a study period (issue 3, point 3): students × lessons with
marks and absences, the weighted average, the forecast and the accumulation (R6), then the period-mark
column right after the last date (R7), then the other periods and the year.

Read in a fixed number of queries whatever the size of the group; rendered cell by cell through the
Python renderer of ``grading.cells`` (the same one the htmx endpoints answer with).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.permissions import Action, groups_for, lessons_for
from attendance.models import Absence, AbsenceKind
from grading.cells import CellError, ColumnCells
from grading.models import Mark, MarkColumn, PeriodMark, WorkType
from grading.selectors import forecast

from .lesson_sheet import changed_cells
from .models import (
    GroupKind,
    GroupMembership,
    Lesson,
    LessonStatus,
    PeriodKind,
    PeriodLock,
    PlanItem,
    SchoolClass,
    Student,
    StudyPeriod,
    TeachingGroup,
)


def period_on(periods: list[StudyPeriod], day: dt.date) -> StudyPeriod | None:
    """The (non-year) period containing ``day``, else the last one before it, else the first."""
    terms = [p for p in periods if p.kind != PeriodKind.YEAR] or periods
    if not terms:
        return None
    for period in terms:
        if period.start <= day <= period.end:
            return period
    before = [p for p in terms if p.end < day]
    return before[-1] if before else terms[0]


def required_marks(period: StudyPeriod, hours_per_week: Decimal) -> int | None:
    """How many marks a student should have for a fair period mark (R6); None: not checked."""
    heavy = hours_per_week >= 2
    if period.kind in (PeriodKind.QUARTER, PeriodKind.TRIMESTER):
        return 5 if heavy else 3
    if period.kind == PeriodKind.HALF:
        return 10 if heavy else 5
    return None


def weighted_average(items: list[tuple[int | None, int | None, int]]) -> Decimal | None:
    """Σ(mark × weight) / Σ(weight) over (value, value2, weight); both marks of «4/3» count (R2)."""
    total = weight = 0
    for value, value2, w in items:
        for v in (value, value2):
            if v is not None:
                total += v * w
                weight += w
    if not weight:
        return None
    return (Decimal(total) / weight).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class GridColumn:
    lesson: Lesson
    column: MarkColumn | None  # None: a lesson without marks (attendance only)
    first_of_lesson: bool = True


@dataclass
class Grid:
    group: TeachingGroup
    period: StudyPeriod
    periods: list[StudyPeriod]
    students: list[Student]
    columns: list[GridColumn]
    lessons: list[Lesson]
    subgroups: list[TeachingGroup]
    subgroup: TeachingGroup | None
    can_edit_marks: bool
    can_set_period_marks: bool  # in the shown period
    may_set_period_marks: bool = False  # the group's teacher, whatever the period (the year column)
    held: int = 0
    planned_items: int = 0
    covered_items: int = 0
    body: SafeString = field(default_factory=lambda: mark_safe(""))
    head: SafeString = field(default_factory=lambda: mark_safe(""))


class PeriodCells:
    """Renders the period-mark cells of one period (R7); its constant parts are built once."""

    def __init__(self, period: StudyPeriod, *, url: str, history_url: str, editable: bool) -> None:
        self.period_id = period.pk
        self.url = escape(url)
        self.history_url = escape(history_url)
        self.editable = editable
        self.label = escape(_("Period mark: %(period)s") % {"period": period})
        self.help = escape(_("1–5, н/а, зач/незач, осв; «отср» for a deferred mark"))
        self.history_label = escape(_("History of changes"))

    def render(
        self,
        student_id: int,
        mark: PeriodMark | None,
        *,
        forecast_value: int | None = None,
        state: str = "",
        error: CellError | None = None,
    ) -> str:
        shown = ("отср" if mark.is_deferred else escape(mark.display)) if mark is not None else ""
        classes = "cell pm" + (f" {state}" if state else "")
        history = ""
        if mark is not None and mark.version > 1:
            classes += " changed"
            history = (
                f'<button type="button" class="hist" data-history="{self.history_url}?student={student_id}'
                f'&amp;period={self.period_id}" title="{self.history_label}" aria-label="{self.history_label}">'
                "◷</button>"
            )
        if not self.editable:
            return f'<td class="{classes}"><strong>{shown}</strong>{history}</td>'
        message = extra = ""
        if error is not None:
            message = f'<span class="cellmsg" role="alert">{escape(error.message)}</span>'
            extra = f' data-typed="{escape(error.typed)}"' + (' data-needs-reason="1"' if error.needs_reason else "")
        version = mark.version if mark is not None else ""
        placeholder = forecast_value if forecast_value is not None else ""
        return (
            f'<td class="{classes}" data-url="{self.url}" data-period="{self.period_id}" data-student="{student_id}"'
            f' data-version="{version}"{extra}><input class="mk" id="pm-{self.period_id}-{student_id}" name="value"'
            f' value="{shown}" placeholder="{placeholder}" autocomplete="off" maxlength="6" aria-label="{self.label}"'
            f' title="{self.help}">{history}{message}</td>'
        )


def period_cell(
    *, url: str, period: StudyPeriod, student_id: int, mark: PeriodMark | None, editable: bool,
    history_url: str = "", state: str = "", error: CellError | None = None,
) -> SafeString:  # fmt: skip
    """One period-mark cell (the htmx endpoint's answer)."""
    cells = PeriodCells(period, url=url, history_url=history_url, editable=editable)
    return mark_safe(cells.render(student_id, mark, state=state, error=error))  # noqa: S308


def grid_group(user, pk: int) -> TeachingGroup:  # noqa: ANN001
    """The group whose grid ``user`` may read (404 otherwise), with what the page needs to know about it
    annotated in the same query: may the user set period marks, how many subgroups split its classes,
    and the coverage of its КТП (R10)."""
    classes = SchoolClass.objects.filter(groups=OuterRef("pk")).values("pk")
    group = (
        groups_for(user, Action.VIEW)
        .filter(pk=pk)
        .select_related("subject", "year__school")
        .annotate(
            can_set_period_marks=Exists(groups_for(user, Action.PERIOD_MARKS).filter(pk=OuterRef("pk"))),
            has_subgroups=Exists(
                TeachingGroup.objects.filter(
                    year_id=OuterRef("year_id"), kind=GroupKind.SUBGROUP, classes__in=classes
                ).exclude(pk=OuterRef("pk"))
            ),
            n_plan_items=Coalesce(
                Subquery(
                    PlanItem.objects.filter(group_id=OuterRef("pk"))
                    .order_by()
                    .values("group_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
            plan_covered=Coalesce(
                Subquery(
                    PlanItem.objects.filter(group_id=OuterRef("pk"), lessons__status=LessonStatus.HELD)
                    .order_by()
                    .values("group_id")
                    .annotate(n=Count("pk", distinct=True))
                    .values("n")[:1]
                ),
                0,
            ),
        )
        .first()
    )
    if group is None:
        raise Http404
    return group


def build_grid(user, group: TeachingGroup, period_id: str | None, subgroup_id: str | None, today: dt.date) -> Grid:  # noqa: ANN001
    """Everything the grid page shows, read in a fixed number of queries (``group`` from
    :func:`grid_group`): periods, students, lessons with their columns, marks, absences, period
    marks, the changed cells — and the subgroups only where the group's classes have any."""
    group_classes = SchoolClass.objects.filter(groups=group.pk)
    periods = list(
        StudyPeriod.objects.filter(year_id=group.year_id)
        .filter(Q(kind=PeriodKind.YEAR) | Q(kind__in=group_classes.values("period_kind")))
        .order_by("start", "-end")
    )
    period = next((p for p in periods if str(p.pk) == (period_id or "")), None) or period_on(periods, today)
    if period is None:
        raise Http404
    # Archived periods of the group's classes (issue 6) take no entries: show them so.
    closed = set(PeriodLock.objects.filter(school_class__in=group_classes).values_list("period_id", flat=True))
    for p in periods:
        p.is_locked = p.pk in closed

    subgroups: list[TeachingGroup] = []
    if group.has_subgroups:
        subgroups = list(
            TeachingGroup.objects.filter(
                year_id=group.year_id, kind=GroupKind.SUBGROUP, classes__in=group_classes.values("pk")
            )
            .exclude(pk=group.pk)
            .distinct()
            .order_by("subgroup_number", "name")
        )
    subgroup = next((g for g in subgroups if str(g.pk) == (subgroup_id or "")), None)

    in_period = Q(memberships__start__lte=period.end) & (
        Q(memberships__end__isnull=True) | Q(memberships__end__gte=period.start)
    )
    students_qs = Student.objects.filter(in_period, memberships__group=group)
    if subgroup is not None:
        students_qs = students_qs.filter(
            pk__in=GroupMembership.objects.filter(group=subgroup, start__lte=period.end)
            .filter(Q(end__isnull=True) | Q(end__gte=period.start))
            .values("student_id")
        )
    students = list(students_qs.distinct().order_by("last_name", "first_name", "patronymic"))

    # Lessons and their columns in one query: the reverse join is a LEFT JOIN, so a lesson without a
    # column comes back once with NULLs (shown as an attendance-only column).
    rows = (
        Lesson.objects.filter(group=group, date__gte=period.start, date__lte=period.end)
        .exclude(status=LessonStatus.CANCELLED)
        .annotate(editable=Exists(lessons_for(user, Action.EDIT).filter(pk=OuterRef("pk"))))
        .order_by("date", "number", "mark_columns__pk")
        .values_list(
            "pk", "date", "number", "status", "editable",
            "mark_columns__pk", "mark_columns__title", "mark_columns__is_correction",
            "mark_columns__work_type__pk", "mark_columns__work_type__name",
            "mark_columns__work_type__short_name", "mark_columns__work_type__weight",
        )
    )  # fmt: skip
    lessons: dict[int, Lesson] = {}
    editable_lessons: set[int] = set()
    # A locked (archived) period takes no writes (accounts.permissions.lesson_write_mode): show it so.
    locked = [(p.start, p.end) for p in periods if p.is_locked]
    grid_columns: list[GridColumn] = []
    for pk, date, number, status, editable, c_pk, c_title, c_corr, wt_pk, wt_name, wt_short, wt_weight in rows:
        lesson = lessons.get(pk)
        first = lesson is None
        if first:
            lesson = lessons[pk] = Lesson(pk=pk, group=group, date=date, number=number, status=status)
            if editable and not any(start <= date <= end for start, end in locked):
                editable_lessons.add(pk)
        column = None
        if c_pk is not None:
            work_type = WorkType(pk=wt_pk, name=wt_name, short_name=wt_short, weight=wt_weight)
            column = MarkColumn(pk=c_pk, lesson=lesson, work_type=work_type, title=c_title, is_correction=c_corr)
        grid_columns.append(GridColumn(lesson, column, first))
    lesson_ids = list(lessons)

    marks = {
        (m.student_id, m.column_id): m
        for m in Mark.objects.filter(column__lesson_id__in=lesson_ids)
        .order_by()
        .only("id", "column_id", "student_id", "value", "value2", "code", "version", "is_late")
    }
    absences = {
        (a.student_id, a.lesson_id): a
        for a in Absence.objects.filter(lesson_id__in=lesson_ids)
        .order_by()
        .only("id", "student_id", "lesson_id", "kind", "reason", "minutes_late")
    }
    period_marks = {
        (pm.student_id, pm.period_id): pm
        for pm in PeriodMark.objects.filter(group=group, period__in=[p.pk for p in periods]).order_by()
    }
    changed = changed_cells(group_id=group.pk, since=period.start, until=period.end)

    grid = Grid(
        group=group,
        period=period,
        periods=periods,
        students=students,
        columns=grid_columns,
        lessons=list(lessons.values()),
        subgroups=subgroups,
        subgroup=subgroup,
        can_edit_marks=bool(editable_lessons),
        can_set_period_marks=group.can_set_period_marks and not period.is_locked,
        may_set_period_marks=group.can_set_period_marks,
        held=sum(1 for lesson in lessons.values() if lesson.status == LessonStatus.HELD),
        planned_items=group.n_plan_items,
        covered_items=group.plan_covered,
    )
    grid.head = _head(grid)
    grid.body = _body(grid, marks, absences, period_marks, changed, editable_lessons)
    return grid


def _url_maker(name: str):  # noqa: ANN202
    """``pk → reverse(name, args=[pk])`` without resolving the pattern again for each of a grid's
    60–100 lessons: the URL of pk 0, with the pk put in its place."""
    prefix, suffix = reverse(name, args=[0]).rsplit("/0/", 1)
    return lambda pk: f"{prefix}/{pk}/{suffix}"


def _head(grid: Grid) -> SafeString:
    """The header row: a date per lesson (linking its page) and the column's work type under it."""
    lesson_url = _url_maker("lesson")
    cells = []
    for gc in grid.columns:
        link = f'<a href="{lesson_url(gc.lesson.pk)}"><span class="d">{gc.lesson.date:%d.%m}</span></a>'
        c = gc.column
        if c is None:
            cells.append(f'<th scope="col" class="colhead">{link}<span class="wt">·</span></th>')
            continue
        title = escape(c.work_type.name + (f" «{c.title}»" if c.title else ""))
        short = escape(c.work_type.short_name + ("*" if c.is_correction else ""))
        cells.append(
            f'<th scope="col" class="colhead w{min(c.work_type.weight, 5)}" title="{title}">{link}'
            f'<span class="wt">{short}</span></th>'
        )
    return mark_safe("".join(cells))  # noqa: S308 - every text in it is escaped


def _body(grid, marks, absences, period_marks, changed, editable_lessons) -> SafeString:  # noqa: ANN001, C901
    group, period = grid.group, grid.period
    cell_url, history_url = _url_maker("lesson_cell"), _url_maker("lesson_history")
    period_url = reverse("group_period_mark", args=[group.pk])
    group_history = reverse("group_history", args=[group.pk])
    required = required_marks(period, group.hours_per_week)
    held_ids = [lesson.pk for lesson in grid.lessons if lesson.status == LessonStatus.HELD]
    # Everything constant per column or per period is prepared once, not once per cell.
    columns = []
    for gc in grid.columns:
        renderer = None
        if gc.column is not None:
            renderer = ColumnCells(
                gc.column,
                url=cell_url(gc.lesson.pk),
                history_url=history_url(gc.lesson.pk),
                editable=gc.lesson.pk in editable_lessons,
            )
        columns.append((gc.lesson.pk, gc.first_of_lesson, renderer, gc.column.work_type.weight if gc.column else 0))
    current = PeriodCells(period, url=period_url, history_url=group_history, editable=grid.can_set_period_marks)
    others = [
        PeriodCells(
            p,
            url=period_url,
            history_url=group_history,
            editable=grid.may_set_period_marks and p.kind == PeriodKind.YEAR and not p.is_locked,
        )
        for p in grid.periods
        if p.pk != period.pk
    ]
    enough = escape(_("enough marks (R6)"))
    too_few = escape(_("too few marks for a fair period mark (R6)"))
    over_half = escape(_("missed over half of the lessons: the mark may be deferred (R7)"))
    rows = []
    for number, student in enumerate(grid.students, start=1):
        sid = student.pk
        cells = []
        items = []
        count = 0
        for lesson_id, first, renderer, weight in columns:
            absence = absences.get((sid, lesson_id)) if first else None
            code = absence.code if absence is not None else ""
            if renderer is None:
                cells.append(
                    f'<td class="att"><span class="abs">{code}</span></td>' if code else '<td class="att"></td>'
                )
                continue
            mark = marks.get((sid, renderer.column_id))
            if mark is not None:
                count += 1
                if mark.value is not None:
                    items.append((mark.value, mark.value2, weight))
            cells.append(renderer.render(sid, mark, absence_code=code, changed=(sid, renderer.column_id) in changed))
        average = weighted_average(items)
        predicted = forecast(average)
        missed = 0
        for lesson_id in held_ids:
            a = absences.get((sid, lesson_id))
            if a is not None and a.kind == AbsenceKind.ABSENT:
                missed += 1
        if required is None:
            accumulation = f'<td class="acc">{count}</td>'
        elif count >= required:
            accumulation = f'<td class="acc ok" title="{enough}">{count}</td>'
        else:
            accumulation = f'<td class="acc warn" title="{too_few}">{count}/{required}</td>'
        hint = (
            f' <span class="badge" title="{over_half}">&gt;50%</span>'
            if held_ids and missed * 2 > len(held_ids)
            else ""
        )
        shown_average = f"{average:.2f}".replace(".", ",") if average is not None else "—"
        rows.append(
            f'<tr data-student="{sid}"><td>{number}</td><td class="name">{escape(student.short_name)}{hint}</td>'
            + "".join(cells)
            + f'<td class="avg">{shown_average}</td><td class="fc">{predicted or "—"}</td>{accumulation}'
            + current.render(sid, period_marks.get((sid, period.pk)), forecast_value=predicted)
            + "".join(p.render(sid, period_marks.get((sid, p.period_id))) for p in others)
            + "</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every text not ours is escaped
