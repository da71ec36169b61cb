"""The deputy's monthly check of the journal («Анализ работы с классным журналом», R20, R22).

A pure computation ``(school, params, progress) -> Document`` (:mod:`reports.tables`). Every metric is one
aggregate query over the whole school (or over the chosen teacher's / class's groups), so the number of
queries is fixed (about 15) whatever the number of groups, students and marks; Python only walks the
result rows (groups, members, the late and changed entries the drill tables list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import (
    CharField,
    Max,
    OuterRef,
    Q,
    Subquery,
)

from accounts.models import User
from journal.models import (
    AcademicYear,
    AssignmentRole,
    PeriodKind,
    School,
    SchoolClass,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
)

from ..policy import policy_for
from ..tables import Document, Table
from .base import GROUP_COLUMNS, MONTHS, GroupStats, _parse_month
from .metrics import (
    _changed_marks,
    _last_school_day,
    _late_entries,
    _lesson_metrics,
    _mark_metrics,
    _period_for,
    _plan_metrics,
)
from .sheets import _group_tables, _groups_table, _participation_tables, _remarks_table

# --- the computation -----------------------------------------------------------------------------------


def monthly_analysis(school: School, params: dict, progress: Callable[[int], None] = lambda p: None) -> Document:
    """The monthly analysis of the journal of ``school`` for ``params["month"]`` («ГГГГ-ММ»), optionally
    restricted to one teacher's groups (``params["teacher"]``, a user id) or one class's groups
    (``params["class"]``). Guarantees: only this school's rows are read; the number of queries does not
    depend on the number of groups, students or marks; every count that has rows behind it carries a
    drill table (see :func:`_group_tables`)."""
    month_start, month_end = _parse_month(params.get("month"))
    teacher_filter = int(params["teacher"]) if params.get("teacher") else None
    class_filter = int(params["class"]) if params.get("class") else None
    tz = school.tzinfo
    moment_from = dt.datetime.combine(month_start, dt.time(0), tz)
    moment_to = dt.datetime.combine(month_end + dt.timedelta(days=1), dt.time(0), tz)
    month_title = f"{MONTHS[month_start.month - 1]} {month_start.year}"
    document = Document(title="Анализ работы с классным журналом", subtitle=f"{school}, {month_title}")

    year = (
        AcademicYear.objects.filter(school=school, start__lte=month_end, end__gte=month_start)
        .order_by("-start")
        .first()
    )
    if year is None:
        document.tables.append(
            Table(
                key="groups", title="Учителя и группы", columns=GROUP_COLUMNS, note="В этом месяце нет учебного года."
            )
        )
        return document
    policy = policy_for(school)
    progress(5)

    last_day = _last_school_day(year, month_start, month_end)
    periods = list(StudyPeriod.objects.filter(year=year).exclude(kind=PeriodKind.YEAR).order_by("start"))

    # Groups, each with its main teacher on the last school day, scheme of periods and grade band.
    main_teacher = TeachingAssignment.objects.filter(
        Q(end__isnull=True) | Q(end__gte=last_day), group=OuterRef("pk"), role=AssignmentRole.MAIN, start__lte=last_day
    ).order_by("-start", "-pk")
    first_class = SchoolClass.objects.filter(groups=OuterRef("pk")).order_by("grade", "letter")
    groups_qs = TeachingGroup.objects.filter(year=year).annotate(
        teacher_id=Subquery(main_teacher.values("teacher_id")[:1]),
        period_kind=Subquery(first_class.values("period_kind")[:1], output_field=CharField()),
        top_grade=Max("classes__grade"),
    )
    if class_filter is not None:
        groups_qs = groups_qs.filter(classes=class_filter)
    if teacher_filter is not None:
        groups_qs = groups_qs.filter(teacher_id=teacher_filter)
    groups_rows = list(groups_qs.values("pk", "name", "hours_per_week", "teacher_id", "period_kind", "top_grade"))
    teachers = {u.pk: u for u in User.objects.filter(pk__in={g["teacher_id"] for g in groups_rows} - {None})}
    stats: dict[int, GroupStats] = {}
    for row in groups_rows:
        user = teachers.get(row["teacher_id"])
        stat = GroupStats(
            group_id=row["pk"],
            name=row["name"],
            teacher_id=row["teacher_id"],
            teacher=user.short_name if user else "не назначен",
            hours=row["hours_per_week"],
            has_marks=(row["top_grade"] or 2) > 1,
            senior=(row["top_grade"] or 0) >= 10,
        )
        stat.period = _period_for(periods, row["period_kind"] or PeriodKind.QUARTER, month_start, month_end)
        if stat.period is not None:
            stat.cutoff = min(month_end, stat.period.end)
        stats[row["pk"]] = stat
    group_ids = list(stats)
    progress(15)

    _lesson_metrics(stats, group_ids, year, month_start, month_end)
    _plan_metrics(stats, group_ids, month_end)
    progress(35)
    _mark_metrics(stats, group_ids, policy, month_start, month_end)
    progress(60)
    _late_entries(stats, group_ids, school, policy, month_start, month_end)
    _changed_marks(stats, group_ids, moment_from, moment_to)
    progress(80)

    ordered = sorted(stats.values(), key=lambda s: (s.teacher_id is None, s.teacher, s.name))
    document.tables.append(_groups_table(ordered, policy))
    participation = _participation_tables(
        school, year, group_ids, class_filter, teacher_filter, month_start, month_end, moment_from, moment_to
    )
    document.tables.extend([participation[0], _remarks_table(ordered)])
    for stat in ordered:
        document.tables.extend(_group_tables(stat))
    if teacher_filter is not None:
        teacher = teachers.get(teacher_filter)  # only a teacher of this school's groups is named
        document.subtitle += f"; учитель: {teacher.short_name if teacher else '—'}"
    if class_filter is not None:
        school_class = SchoolClass.objects.filter(pk=class_filter, year__school=school).first()
        document.subtitle += f"; класс: {school_class.name if school_class else '—'}"
    document.tables.extend(participation[1:])
    progress(100)
    return document
