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

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.permissions import Action, groups_for, lessons_for
from attendance.models import Absence, AbsenceKind
from grading.cells import CellError, mark_cell
from grading.models import Mark, MarkColumn, PeriodMark, WorkType
from grading.selectors import forecast

from .lesson_sheet import changed_cells
from .models import (
    GroupKind,
    GroupMembership,
    Lesson,
    LessonStatus,
    PeriodKind,
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
    can_set_period_marks: bool
    held: int = 0
    planned_items: int = 0
    covered_items: int = 0
    body: SafeString = field(default_factory=lambda: mark_safe(""))
    head: SafeString = field(default_factory=lambda: mark_safe(""))


def period_cell(
    *,
    url: str,
    period: StudyPeriod,
    student_id: int,
    mark: PeriodMark | None,
    editable: bool,
    forecast_value: int | None = None,
    history_url: str = "",
    changed: bool = False,
    state: str = "",
    error: CellError | None = None,
) -> SafeString:
    """A period-mark cell (R7): editable for the group's teacher, shown to everybody else."""
    shown = ""
    if mark is not None:
        shown = "отср" if mark.is_deferred else mark.display
    classes = ["cell", "pm"]
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
    message = extra = ""
    if error is not None:
        message = format_html('<span class="cellmsg" role="alert">{}</span>', error.message)
        extra = format_html(
            ' data-typed="{}"{}', error.typed, mark_safe(' data-needs-reason="1"') if error.needs_reason else ""
        )
    if not editable:
        return format_html('<td class="{}"><strong>{}</strong>{}</td>', " ".join(classes), shown, history)
    placeholder = str(forecast_value) if forecast_value is not None else ""
    return format_html(
        '<td class="{}" data-url="{}" data-period="{}" data-student="{}" data-version="{}"{}>'
        '<input class="mk" name="value" value="{}" placeholder="{}" autocomplete="off" maxlength="6" aria-label="{}"'
        ' title="{}">{}{}</td>',
        " ".join(classes),
        url,
        period.pk,
        student_id,
        mark.version if mark is not None else "",
        extra,
        shown,
        placeholder,
        _("Period mark: %(period)s") % {"period": period},
        _("1–5, н/а, зач/незач, осв; «отср» for a deferred mark"),
        history,
        message,
    )


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
                    .values("group_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
            plan_covered=Coalesce(
                Subquery(
                    PlanItem.objects.filter(group_id=OuterRef("pk"), lessons__status=LessonStatus.HELD)
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
    grid_columns: list[GridColumn] = []
    for pk, date, number, status, editable, c_pk, c_title, c_corr, wt_pk, wt_name, wt_short, wt_weight in rows:
        lesson = lessons.get(pk)
        first = lesson is None
        if first:
            lesson = lessons[pk] = Lesson(pk=pk, group=group, date=date, number=number, status=status)
            if editable:
                editable_lessons.add(pk)
        column = None
        if c_pk is not None:
            work_type = WorkType(pk=wt_pk, name=wt_name, short_name=wt_short, weight=wt_weight)
            column = MarkColumn(pk=c_pk, lesson=lesson, work_type=work_type, title=c_title, is_correction=c_corr)
        grid_columns.append(GridColumn(lesson, column, first))
    lesson_ids = list(lessons)

    marks = {
        (m.student_id, m.column_id): m
        for m in Mark.objects.filter(column__lesson_id__in=lesson_ids).only(
            "id", "column_id", "student_id", "value", "value2", "code", "version", "is_late"
        )
    }
    absences = {
        (a.student_id, a.lesson_id): a
        for a in Absence.objects.filter(lesson_id__in=lesson_ids).only(
            "id", "student_id", "lesson_id", "kind", "reason", "minutes_late"
        )
    }
    period_marks = {
        (pm.student_id, pm.period_id): pm
        for pm in PeriodMark.objects.filter(group=group, period__in=[p.pk for p in periods])
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
        can_set_period_marks=group.can_set_period_marks,
        held=sum(1 for lesson in lessons.values() if lesson.status == LessonStatus.HELD),
        planned_items=group.n_plan_items,
        covered_items=group.plan_covered,
    )
    grid.head = _head(grid)
    grid.body = _body(grid, marks, absences, period_marks, changed, editable_lessons)
    return grid


def _head(grid: Grid) -> SafeString:
    cells = []
    for gc in grid.columns:
        url = reverse("lesson", args=[gc.lesson.pk])
        if gc.column is None:
            cells.append(
                format_html(
                    '<th scope="col" class="colhead"><a href="{}"><span class="d">{}</span></a>'
                    '<span class="wt">·</span></th>',
                    url,
                    f"{gc.lesson.date:%d.%m}",
                )
            )
        else:
            c = gc.column
            cells.append(
                format_html(
                    '<th scope="col" class="colhead w{}" title="{}"><a href="{}"><span class="d">{}</span></a>'
                    '<span class="wt">{}</span></th>',
                    min(c.work_type.weight, 5),
                    c.work_type.name + (f" «{c.title}»" if c.title else ""),
                    url,
                    f"{gc.lesson.date:%d.%m}",
                    c.work_type.short_name + ("*" if c.is_correction else ""),
                )
            )
    return mark_safe("".join(cells))  # noqa: S308 - built from format_html parts


def _body(grid, marks, absences, period_marks, changed, editable_lessons) -> SafeString:  # noqa: ANN001, C901
    group, period = grid.group, grid.period
    period_url = reverse("group_period_mark", args=[group.pk])
    history_base = reverse("group_history", args=[group.pk])
    required = required_marks(period, group.hours_per_week)
    held_lessons = [lesson for lesson in grid.lessons if lesson.status == LessonStatus.HELD]
    other_periods = [p for p in grid.periods if p.pk != period.pk]
    # reverse() once per lesson, not once per cell
    urls = {
        gc.lesson.pk: (reverse("lesson_cell", args=[gc.lesson.pk]), reverse("lesson_history", args=[gc.lesson.pk]))
        for gc in grid.columns
    }
    rows = []
    for number, student in enumerate(grid.students, start=1):
        cells = []
        items = []
        count = 0
        for gc in grid.columns:
            lesson = gc.lesson
            absence = absences.get((student.pk, lesson.pk))
            code = absence.code if (absence is not None and gc.first_of_lesson) else ""
            if gc.column is None:
                cells.append(
                    format_html(
                        '<td class="att">{}</td>', format_html('<span class="abs">{}</span>', code) if code else ""
                    )
                )
                continue
            column = gc.column
            mark = marks.get((student.pk, column.pk))
            if mark is not None:
                count += 1
                if mark.value is not None:
                    items.append((mark.value, mark.value2, column.work_type.weight))
            cell_url, lesson_history = urls[lesson.pk]
            cells.append(
                mark_cell(
                    url=cell_url,
                    column=column,
                    student_id=student.pk,
                    mark=mark,
                    editable=lesson.pk in editable_lessons,
                    absence_code=code,
                    changed=(student.pk, column.pk) in changed,
                    history_url=f"{lesson_history}?student={student.pk}&column={column.pk}",
                )
            )
        average = weighted_average(items)
        missed = sum(
            1
            for lesson in held_lessons
            if (a := absences.get((student.pk, lesson.pk))) and a.kind == AbsenceKind.ABSENT
        )
        if required is None:
            accumulation = format_html('<td class="acc">{}</td>', count)
        elif count >= required:
            accumulation = format_html('<td class="acc ok" title="{}">{}</td>', _("enough marks (R6)"), count)
        else:
            accumulation = format_html(
                '<td class="acc warn" title="{}">{}/{}</td>',
                _("too few marks for a fair period mark (R6)"),
                count,
                required,
            )
        hint = ""
        if held_lessons and missed * 2 > len(held_lessons):
            hint = format_html(
                ' <span class="badge" title="{}">&gt;50%</span>',
                _("missed over half of the lessons: the mark may be deferred (R7)"),
            )
        pm = period_marks.get((student.pk, period.pk))
        rows.append(
            format_html(
                '<tr data-student="{}"><td>{}</td><td class="name">{}{}</td>{}'
                '<td class="avg">{}</td><td class="fc">{}</td>{}{}{}</tr>',
                student.pk,
                number,
                student.short_name,
                hint,
                mark_safe("".join(cells)),  # noqa: S308
                f"{average:.2f}".replace(".", ",") if average is not None else "—",
                forecast(average) or "—",
                accumulation,
                period_cell(
                    url=period_url,
                    period=period,
                    student_id=student.pk,
                    mark=pm,
                    editable=grid.can_set_period_marks,
                    forecast_value=forecast(average),
                    history_url=f"{history_base}?student={student.pk}&period={period.pk}",
                    changed=pm is not None and pm.version > 1,
                ),
                format_html_join(
                    "",
                    "{}",
                    (
                        (
                            period_cell(
                                url=period_url,
                                period=p,
                                student_id=student.pk,
                                mark=period_marks.get((student.pk, p.pk)),
                                editable=grid.can_set_period_marks and p.kind == PeriodKind.YEAR,
                                history_url=f"{history_base}?student={student.pk}&period={p.pk}",
                                changed=(m := period_marks.get((student.pk, p.pk))) is not None and m.version > 1,
                            ),
                        )
                        for p in other_periods
                    ),
                ),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every part is format_html
