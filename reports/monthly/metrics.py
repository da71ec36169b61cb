"""The metrics of the monthly analysis, each one aggregate query over the school (or the chosen groups)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate

from attendance.models import Absence, AbsenceKind
from grading.models import EventAction, EventObject, JournalEvent, Mark, MarkCode
from journal.models import (
    AcademicYear,
    Bell,
    GroupMembership,
    Holiday,
    Homework,
    Lesson,
    LessonStatus,
    PlanItem,
    School,
    StudyPeriod,
)

from ..tables import Row
from .base import (
    ACTOR,
    LESSON_OF_MARK,
    STUDENT,
    TEACHER,
    GroupStats,
    LocalMoment,
    _mark_text,
    _person,
    _student,
    _student_of,
)


def _last_school_day(year: AcademicYear, month_start: dt.date, month_end: dt.date) -> dt.date:
    """The month's last day in the year that is not a Sunday nor a whole-school holiday."""
    last = min(month_end, year.end)
    first = max(month_start, year.start)
    holidays = list(
        Holiday.objects.filter(
            year=year, grade_from__isnull=True, grade_to__isnull=True, start__lte=last, end__gte=first
        ).values_list("start", "end")
    )
    day = last
    while day >= first:
        if day.isoweekday() != 7 and not any(start <= day <= end for start, end in holidays):
            return day
        day -= dt.timedelta(days=1)
    return last


def _period_for(periods: list[StudyPeriod], kind: str, month_start: dt.date, month_end: dt.date) -> StudyPeriod | None:
    """The period of ``kind`` checked this month: the one containing the month's end, else the latest one
    that ended within the month."""
    candidates = [p for p in periods if p.kind == kind and p.start <= month_end and p.end >= month_start]
    return candidates[-1] if candidates else None


def _lesson_metrics(
    stats: dict[int, GroupStats], group_ids: list[int], year: AcademicYear, month_start: dt.date, month_end: dt.date
) -> None:
    """Metrics 1, 2, 3, 9 and the held hours of 10: one aggregate query; the drill rows of lessons without a
    topic, without homework and substituted: one more."""
    held = Q(status=LessonStatus.HELD)
    in_month = Q(date__gte=month_start, date__lte=month_end)
    no_topic = Q(topic="")
    has_homework = Exists(Homework.objects.filter(lesson=OuterRef("pk")))
    rows = (
        Lesson.objects.filter(group_id__in=group_ids, date__gte=year.start, date__lte=month_end)
        .values("group_id")
        .annotate(
            held=Count("pk", filter=held & in_month),
            no_topic=Count("pk", filter=held & in_month & no_topic),
            with_homework=Count("pk", filter=held & in_month & Q(has_homework)),
            substituted=Count("pk", filter=held & in_month & Q(is_substitution=True)),
            held_in_year=Count("pk", filter=held),
        )
    )
    for row in rows:
        stat = stats[row["group_id"]]
        stat.held, stat.no_topic, stat.with_homework = row["held"], row["no_topic"], row["with_homework"]
        stat.substituted, stat.held_in_year = row["substituted"], row["held_in_year"]

    problems = (
        Lesson.objects.filter(held, in_month, group_id__in=group_ids)
        .annotate(has_homework=has_homework)
        .filter(no_topic | Q(has_homework=False) | Q(is_substitution=True))
        .order_by("date", "number")
        .values("group_id", "date", "number", "topic", "is_substitution", "has_homework", *TEACHER)
    )
    for row in problems:
        drills = stats[row["group_id"]].drills
        who = _person(row["teacher__last_name"], row["teacher__first_name"], row["teacher__patronymic"])
        cells: list = [f"{row['date']:%d.%m.%Y}", row["number"], who]
        if not row["topic"]:
            drills["no_topic"].append(Row(cells))
        if not row["has_homework"]:
            drills["no_homework"].append(Row([*cells, row["topic"]]))
        if row["is_substitution"]:
            drills["substituted"].append(Row([*cells, row["topic"]]))


def _plan_metrics(stats: dict[int, GroupStats], group_ids: list[int], month_end: dt.date) -> None:
    """Metric 10: hours of the КТП items planned up to the month's end (one query)."""
    rows = (
        PlanItem.objects.filter(group_id__in=group_ids, planned_date__lte=month_end)
        .values("group_id")
        .annotate(hours=Sum("hours"))
    )
    for row in rows:
        stats[row["group_id"]].planned_hours = row["hours"] or 0


def _mark_metrics(
    stats: dict[int, GroupStats], group_ids: list[int], policy: Any, month_start: dt.date, month_end: dt.date
) -> None:
    """Metrics 4, 5 and 6: the members of each group in the month (with «attended a held lesson of the
    period» computed in SQL) and the marks per member in the month and in the period, both one query."""
    by_period: dict[int, list[int]] = defaultdict(list)
    for stat in stats.values():
        if stat.period is not None and stat.has_marks:
            by_period[stat.period.pk].append(stat.group_id)
    periods = {s.period.pk: s.period for s in stats.values() if s.period is not None}
    cutoffs = {pk: min(month_end, period.end) for pk, period in periods.items()}

    members = GroupMembership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=month_start), group_id__in=group_ids, start__lte=month_end
    )
    if by_period:
        period_start = Case(
            *(When(group_id__in=ids, then=Value(periods[pk].start)) for pk, ids in by_period.items()),
            output_field=DateField(),
        )
        period_cutoff = Case(
            *(When(group_id__in=ids, then=Value(cutoffs[pk])) for pk, ids in by_period.items()),
            output_field=DateField(),
        )
        absent = Absence.objects.filter(
            lesson_id=OuterRef("pk"), student_id=OuterRef(OuterRef("student_id")), kind=AbsenceKind.ABSENT
        )
        attended = Lesson.objects.filter(
            group_id=OuterRef("group_id"),
            status=LessonStatus.HELD,
            date__gte=Greatest(OuterRef("period_start"), OuterRef("start")),
            date__lte=OuterRef("period_cutoff"),
        ).exclude(Exists(absent))
        members = members.annotate(period_start=period_start, period_cutoff=period_cutoff, attended=Exists(attended))
    else:
        members = members.annotate(attended=Value(False))
    member_rows = members.values(
        "group_id", "student_id", "start", "end", "attended", "student__last_name", "student__first_name"
    ).order_by("student__last_name", "student__first_name", "start")

    # Marks of the month and of each group's period: one row per (group, student).
    month_q = Q(column__lesson__date__gte=month_start, column__lesson__date__lte=month_end)
    annotations: dict[str, Any] = {"month": Count("pk", filter=month_q) + Count("value2", filter=month_q)}
    if by_period:
        period_q = Q()
        for pk, ids in by_period.items():
            period_q |= Q(
                column__lesson__group_id__in=ids,
                column__lesson__date__gte=periods[pk].start,
                column__lesson__date__lte=cutoffs[pk],
            )
        annotations["period"] = Count("pk", filter=period_q) + Count("value2", filter=period_q)
    earliest = min([month_start, *(p.start for p in periods.values())])
    counts = {
        (row["column__lesson__group_id"], row["student_id"]): row
        for row in Mark.objects.filter(
            column__lesson__group_id__in=group_ids,
            column__lesson__date__gte=earliest,
            column__lesson__date__lte=month_end,
        )
        .exclude(code=MarkCode.EXEMPT)
        .values("column__lesson__group_id", "student_id")
        .annotate(**annotations)
    }

    seen: set[tuple[int, int]] = set()
    checked: dict[tuple[int, int], dict] = {}
    for row in member_rows:
        stat = stats[row["group_id"]]
        key = (row["group_id"], row["student_id"])
        name = _student(row["student__last_name"], row["student__first_name"])
        if key not in seen:
            seen.add(key)
            stat.students += 1
            if stat.has_marks:
                marks = counts.get(key, {}).get("month", 0)
                if marks == 0:
                    stat.no_marks += 1
                    stat.drills["no_marks"].append(Row([name]))
                elif marks == 1:
                    stat.one_mark += 1
                    stat.drills["one_mark"].append(Row([name]))
        cutoff = stat.cutoff
        if cutoff is not None and row["start"] <= cutoff and (row["end"] is None or row["end"] >= cutoff):
            checked[key] = {**row, "name": name}

    for stat in stats.values():
        norm = policy.min_marks(stat.period.kind, stat.hours) if stat.period is not None else None
        if not stat.has_marks or norm is None:
            continue
        grace_days = 7 * policy.grace(stat.hours)
        if (stat.cutoff - stat.period.start).days + 1 <= grace_days:
            continue  # the period's first weeks are not checked (R6): the whole group shows «—»
        stat.below_norm = 0
    for key, row in checked.items():
        stat = stats[key[0]]
        if stat.below_norm is None or not row["attended"]:
            continue
        period = stat.period
        since = max(period.start, row["start"])
        elapsed = (stat.cutoff - since).days + 1
        if elapsed <= 7 * policy.grace(stat.hours):
            continue  # admitted recently: their own first weeks are not checked either
        norm = policy.min_marks(period.kind, stat.hours)
        period_days = (period.end - period.start).days + 1
        needed = -(-norm * elapsed // period_days)
        marks = counts.get(key, {}).get("period", 0)
        if marks < needed:
            stat.below_norm += 1
            stat.drills["below_norm"].append(Row([row["name"], f"{since:%d.%m.%Y}", marks, needed, norm]))


def _late_entries(
    stats: dict[int, GroupStats],
    group_ids: list[int],
    school: School,
    policy: Any,
    month_start: dt.date,
    month_end: dt.date,
) -> None:
    """Metric 7: marks entered after their deadline (R5) and homework recorded more than
    ``policy.homework_hours`` after the lesson's bell. On PostgreSQL only the late ones are read (two
    queries); elsewhere (``make run``'s SQLite has no time-zone arithmetic) the month's entries are read
    and the same rule is checked here."""
    tz = school.tzinfo
    portable = connection.vendor != "postgresql"
    senior_ids = [s.group_id for s in stats.values() if s.senior]
    marks = Mark.objects.filter(
        column__lesson__group_id__in=group_ids,
        column__lesson__date__gte=month_start,
        column__lesson__date__lte=month_end,
    ).order_by("column__lesson__date", "student__last_name", "student__first_name", "pk")
    fields = (*LESSON_OF_MARK, "column__work_type__name", "value", "value2", "code", *STUDENT, "created_at")
    if portable:

        def deadline_of(row: dict) -> dt.date:
            if not row["column__work_type__is_written"]:
                days = policy.oral_mark_days
            elif row["column__lesson__group_id"] in senior_ids:
                days = policy.written_mark_days_senior
            else:
                days = policy.written_mark_days_junior
            return row["column__lesson__date"] + dt.timedelta(days=days)

        late_marks = [
            {**row, "deadline": deadline_of(row)}
            for row in marks.values(*fields, "column__work_type__is_written")
            if row["created_at"].astimezone(tz).date() > deadline_of(row)
        ]
    else:
        allowed_days = Case(
            When(column__work_type__is_written=False, then=Value(policy.oral_mark_days)),
            When(column__lesson__group_id__in=senior_ids or [0], then=Value(policy.written_mark_days_senior)),
            default=Value(policy.written_mark_days_junior),
            output_field=IntegerField(),
        )
        late_marks = (
            marks.annotate(
                entered_on=TruncDate("created_at", tzinfo=tz),
                deadline=ExpressionWrapper(F("column__lesson__date") + allowed_days, output_field=DateField()),
            )
            .filter(entered_on__gt=F("deadline"))
            .values(*fields, "deadline")
        )
    for row in late_marks:
        stat = stats[row["column__lesson__group_id"]]
        stat.late_marks += 1
        what = f"отметка «{_mark_text(row)}» ({row['column__work_type__name']})"
        entered = f"{row['created_at'].astimezone(tz):%d.%m.%Y %H:%M}"
        day, deadline = f"{row['column__lesson__date']:%d.%m.%Y}", f"{row['deadline']:%d.%m.%Y}"
        stat.drills["late"].append(Row([day, what, _student_of(row), deadline, entered]))

    homework = Homework.objects.filter(
        lesson__group_id__in=group_ids,
        lesson__status=LessonStatus.HELD,
        lesson__date__gte=month_start,
        lesson__date__lte=month_end,
    ).order_by("lesson__date", "lesson__number", "pk")
    hw_fields = ("lesson__group_id", "lesson__date", "lesson__number", "created_at")
    if portable:
        bells = dict(Bell.objects.filter(school=school).values_list("number", "end_time"))

        def hw_deadline(row: dict) -> dt.datetime:
            end = bells.get(row["lesson__number"])
            if end is None:
                return dt.datetime.combine(row["lesson__date"] + dt.timedelta(days=1), dt.time(0), tz)
            return dt.datetime.combine(row["lesson__date"], end, tz) + dt.timedelta(hours=policy.homework_hours)

        late_homework = [
            {**row, "deadline": hw_deadline(row)}
            for row in homework.values(*hw_fields)
            if row["created_at"] > hw_deadline(row)
        ]
    else:
        bell_end = Subquery(
            Bell.objects.filter(school=school, number=OuterRef("lesson__number")).values("end_time")[:1]
        )
        after_bell = ExpressionWrapper(
            LocalMoment(F("lesson__date"), bell_end, school.time_zone)
            + Value(dt.timedelta(hours=policy.homework_hours)),
            output_field=DateTimeField(),
        )
        after_day = ExpressionWrapper(
            LocalMoment(F("lesson__date"), Value(dt.time(0)), school.time_zone) + Value(dt.timedelta(days=1)),
            output_field=DateTimeField(),
        )
        late_homework = (
            homework.annotate(deadline=Coalesce(after_bell, after_day, output_field=DateTimeField()))
            .filter(created_at__gt=F("deadline"))
            .values(*hw_fields, "deadline")
        )
    for row in late_homework:
        stat = stats[row["lesson__group_id"]]
        stat.late_homework += 1
        what = f"домашнее задание ({row['lesson__number']}-й урок)"
        deadline, entered = (f"{row[k].astimezone(tz):%d.%m.%Y %H:%M}" for k in ("deadline", "created_at"))
        stat.drills["late"].append(Row([f"{row['lesson__date']:%d.%m.%Y}", what, "", deadline, entered]))


def _changed_marks(
    stats: dict[int, GroupStats], group_ids: list[int], moment_from: dt.datetime, moment_to: dt.datetime
) -> None:
    """Metric 8: changes and removals of marks made in the month after the lesson's day (R4); one query."""
    tz = moment_from.tzinfo
    events = (
        JournalEvent.objects.filter(
            group_id__in=group_ids,
            object_type=EventObject.MARK,
            action__in=[EventAction.UPDATE, EventAction.DELETE],
            at__gte=moment_from,
            at__lt=moment_to,
        )
        .annotate(changed_on=TruncDate("at", tzinfo=tz))
        .filter(changed_on__gt=F("lesson__date"))
        .order_by("at", "pk")
        .values("group_id", "at", "action", "old", "new", "reason", "lesson__date", *STUDENT, *ACTOR)
    )
    for row in events:
        stat = stats[row["group_id"]]
        stat.changed += 1
        new = "удалена" if row["action"] == EventAction.DELETE else _mark_text(row["new"])
        when, change = f"{row['at'].astimezone(tz):%d.%m.%Y %H:%M}", f"{_mark_text(row['old'])} → {new}"
        who = _person(row["actor__last_name"], row["actor__first_name"], row["actor__patronymic"])
        cells = [f"{row['lesson__date']:%d.%m.%Y}", when, _student_of(row), change, row["reason"], who]
        stat.drills["changed"].append(Row(cells))
