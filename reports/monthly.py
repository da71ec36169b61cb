"""The deputy's monthly check of the journal («Анализ работы с классным журналом», R20, R22).

A pure computation ``(school, params, progress) -> Document`` (:mod:`reports.tables`). Every metric is one
aggregate query over the whole school (or over the chosen teacher's / class's groups), so the number of
queries is fixed (about 15) whatever the number of groups, students and marks; Python only walks the
result rows (groups, members, the late and changed entries the drill tables list).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate

from accounts.models import LoginEvent, ParentLink, User
from attendance.models import Absence, AbsenceKind
from grading.models import EventAction, EventObject, JournalEvent, Mark, MarkCode
from journal.models import (
    AcademicYear,
    AssignmentRole,
    Bell,
    Enrollment,
    GroupMembership,
    Holiday,
    Homework,
    Lesson,
    LessonStatus,
    PeriodKind,
    PlanItem,
    School,
    SchoolClass,
    Student,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
)

from .policy import policy_for
from .tables import Document, Row, Table, percent

MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь"]  # fmt: skip

STUDENT = ("student__last_name", "student__first_name")
ACTOR = ("actor__last_name", "actor__first_name", "actor__patronymic")
TEACHER = ("teacher__last_name", "teacher__first_name", "teacher__patronymic")
LESSON_OF_MARK = ("column__lesson__group_id", "column__lesson__date")

GROUP_COLUMNS = [
    "Учитель",
    "Группа",
    "Проведено уроков",
    "Уроков без темы",
    "ДЗ записано, %",
    "Учеников",
    "Без отметок, %",
    "С одной отметкой, %",
    "Ниже нормы накопляемости",
    "Отметок с опозданием",
    "ДЗ с опозданием",
    "Изменено отметок после дня урока",
    "Замещённых уроков",
    "Часов проведено с начала года",
    "Часов по КТП к концу месяца",
    "Выполнение КТП, %",
]

GROUPS_NOTE = (
    "Строка — группа и её основной учитель на последний учебный день месяца. Уроки — проведённые уроки "
    "с датой в этом месяце; «без темы» — с пустой темой. «ДЗ записано» — доля проведённых уроков, к которым "
    "записано хотя бы одно домашнее задание. «Учеников» — состоявшие в группе в течение месяца; «без отметок» "
    "и «с одной отметкой» считаются по отметкам за уроки месяца («осв» — не отметка, «4/3» — две отметки). "
    "Отметка внесена с опозданием, если дата её внесения (по времени школы) позже даты урока плюс срок "
    "политики: устная — {oral} дн., письменная — {junior} дн. (2–9 классы) или {senior} дн. (10–11 классы). "
    "ДЗ с опозданием — записано позже чем через {hw} ч после звонка с урока (если звонка нет — после дня урока); "
    "заданное заранее опозданием не считается. «Изменено отметок» — изменения и удаления отметок, сделанные "
    "в этом месяце позже дня урока. Выполнение КТП — проведённые с начала года уроки (часы) к часам пунктов "
    "КТП с плановой датой не позже конца месяца (в итоге — по группам, у которых есть КТП). "
    "«—» — считать нечего (или в 1 классе отметок нет, R1)."
)

BELOW_NORM_NOTE = (
    "Накопляемость (R6). Берётся учебный период класса (четверть, триместр, полугодие), в который попадает "
    "конец месяца (или последний, закончившийся в этом месяце), и день проверки — конец месяца, но не позже "
    "конца периода. Для ученика отсчёт идёт с начала периода или с даты, когда он пришёл в группу, если позже. "
    "Пока с начала отсчёта прошло не больше льготных недель ({grace} нед., при 1 ч в неделю — {grace_one} нед.), "
    "ученик не проверяется; если это верно для начала периода — не проверяется вся группа («—»). Иначе нужно "
    "не меньше ⌈норма × прошедшие дни / дни периода⌉ отметок за уроки периода до дня проверки, где норма — "
    "{q1}/{q2} отметок за четверть или триместр и {h1}/{h2} за полугодие (1 ч / 2 и более ч в неделю). "
    "Ученики, не присутствовавшие ни на одном проведённом уроке группы за это время, не считаются."
)


# --- small helpers -------------------------------------------------------------------------------------


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for ``n``: 1 урок, 2 урока, 5 уроков."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _ru_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _mark_text(data: dict | None) -> str:
    """How the journal writes a mark stored in a history event: «5», «4/3», «зач», «—» for none."""
    if not data:
        return "—"
    code = data.get("code") or ""
    if code:
        return {"pass": "зач", "fail": "незач", "exempt": "осв"}.get(code, code)
    value, value2 = data.get("value"), data.get("value2")
    if value is None:
        return "—"
    return f"{value}/{value2}" if value2 else str(value)


def _person(last: str | None, first: str | None, patronymic: str | None = "") -> str:
    if not last and not first:
        return "—"
    initials = "".join(f"{p[0]}. " for p in (first, patronymic) if p).strip()
    return f"{last} {initials}".strip()


def _student(last: str | None, first: str | None) -> str:
    return f"{last or ''} {first or ''}".strip() or "—"


def _student_of(row: dict) -> str:
    return _student(row["student__last_name"], row["student__first_name"])


def _parse_month(value: Any) -> tuple[dt.date, dt.date]:
    try:
        year, month = (int(part) for part in str(value).split("-"))
        start = dt.date(year, month, 1)
    except (TypeError, ValueError) as error:
        raise ValidationError("Укажите месяц в виде ГГГГ-ММ.") from error
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


class LocalMoment(Func):
    """The instant of ``date + time`` on the clock of the time zone ``tz`` (PostgreSQL ``AT TIME ZONE``)."""

    output_field = DateTimeField()

    def __init__(self, date: Any, time: Any, tz: str) -> None:
        super().__init__(date, time, Value(tz))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        parts, params = [], []
        for expression in self.source_expressions:
            sql, sql_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(sql_params)
        date, time, tz = parts
        return f"(({date} + {time}) AT TIME ZONE {tz})", params


@dataclass
class GroupStats:
    """The numbers of one teacher × group row, filled metric by metric."""

    group_id: int
    name: str
    teacher_id: int | None
    teacher: str
    hours: Any
    has_marks: bool
    senior: bool
    period: StudyPeriod | None = None
    cutoff: dt.date | None = None
    held: int = 0
    no_topic: int = 0
    with_homework: int = 0
    substituted: int = 0
    held_in_year: int = 0
    planned_hours: int = 0
    students: int = 0
    no_marks: int = 0
    one_mark: int = 0
    below_norm: int | None = None
    late_marks: int = 0
    late_homework: int = 0
    changed: int = 0
    drills: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))


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


# --- the tables ----------------------------------------------------------------------------------------


def _coverage(stat: GroupStats) -> float | None:
    return percent(stat.held_in_year, stat.planned_hours)


def _groups_table(ordered: list[GroupStats], policy: Any) -> Table:
    table = Table(
        key="groups",
        title="Учителя и группы",
        columns=GROUP_COLUMNS,
        chart={"label": 1, "value": 4, "title": "Домашнее задание записано, % уроков", "max": 100},
        note=GROUPS_NOTE.format(
            oral=policy.oral_mark_days,
            junior=policy.written_mark_days_junior,
            senior=policy.written_mark_days_senior,
            hw=policy.homework_hours,
        )
        + " "
        + BELOW_NORM_NOTE.format(
            grace=policy.grace_weeks,
            grace_one=policy.grace_weeks_one_hour,
            q1=policy.min_marks_quarter_one_hour,
            q2=policy.min_marks_quarter_more_hours,
            h1=policy.min_marks_half_one_hour,
            h2=policy.min_marks_half_more_hours,
        ),
    )
    total = defaultdict(int)
    for stat in ordered:
        marks = stat.has_marks
        cells = [
            stat.teacher, stat.name, stat.held, stat.no_topic, percent(stat.with_homework, stat.held), stat.students,
            percent(stat.no_marks, stat.students) if marks else None,
            percent(stat.one_mark, stat.students) if marks else None,
            stat.below_norm, stat.late_marks if marks else None, stat.late_homework, stat.changed if marks else None,
            stat.substituted, stat.held_in_year, stat.planned_hours, _coverage(stat),
        ]  # fmt: skip
        warn = "warn" if _problems(stat) else ""
        table.rows.append(Row(cells, drill=f"group:{stat.group_id}", emphasis=warn))
        for name in ("held", "no_topic", "with_homework", "students", "late_homework", "substituted"):
            total[name] += getattr(stat, name)
        total["held_in_year"] += stat.held_in_year
        total["planned_hours"] += stat.planned_hours
        if stat.planned_hours:
            total["held_in_planned"] += stat.held_in_year  # coverage only over the groups that have a plan
        if marks:
            for name in ("no_marks", "one_mark", "late_marks", "changed"):
                total[name] += getattr(stat, name)
            total["marked_students"] += stat.students
        if stat.below_norm is not None:
            total["below_norm"] += stat.below_norm
            total["checked_groups"] += 1
    n = len(ordered)
    cells = [
        "Итого по школе", f"{n} {plural(n, 'группа', 'группы', 'групп')}", total["held"], total["no_topic"],
        percent(total["with_homework"], total["held"]), total["students"],
        percent(total["no_marks"], total["marked_students"]), percent(total["one_mark"], total["marked_students"]),
        total["below_norm"] if total["checked_groups"] else None, total["late_marks"], total["late_homework"],
        total["changed"], total["substituted"], total["held_in_year"], total["planned_hours"],
        percent(total["held_in_planned"], total["planned_hours"]),
    ]  # fmt: skip
    table.rows.append(Row(cells, emphasis="total"))
    return table


def _problems(stat: GroupStats) -> list[str]:
    """The remarks to send to the teacher of the group, in Russian (only what was found)."""
    marks = stat.has_marks
    counts = [
        (stat.no_topic, "{n} {w} без темы", ("урок", "урока", "уроков")),
        (stat.held - stat.with_homework, "к {n} {w} не записано домашнее задание", ("уроку", "урокам", "урокам")),
        (stat.no_marks if marks else 0, "у {n} {w} нет отметок за месяц", ("ученика", "учеников", "учеников")),
        (stat.one_mark if marks else 0, "у {n} {w} только одна отметка за месяц", ("ученика", "учеников", "учеников")),
        (stat.below_norm or 0, "{n} {w} ниже нормы накопляемости", ("ученик", "ученика", "учеников")),
        (stat.late_marks, "{n} {w} с опозданием", ("отметка внесена", "отметки внесены", "отметок внесено")),
        (stat.late_homework, "{n} {w} с опозданием",
         ("домашнее задание записано", "домашних задания записаны", "домашних заданий записано")),
        (stat.changed, "{n} {w} после дня урока", ("отметка изменена", "отметки изменены", "отметок изменено")),
    ]  # fmt: skip
    found = [text.format(n=n, w=plural(n, *words)) for n, text, words in counts if n]
    coverage = _coverage(stat)
    if coverage is not None and stat.held_in_year < stat.planned_hours:
        lag = stat.planned_hours - stat.held_in_year
        found.append(f"отставание от КТП на {lag} ч (выполнено {_ru_number(coverage)} %)")
    return found


def _remarks_table(ordered: list[GroupStats]) -> Table:
    table = Table(
        key="remarks",
        title="Замечания учителям",
        columns=["Учитель", "Группа", "Замечания"],
        note="По каждой группе — что найдено при проверке журнала за месяц; устранить в течение 7 дней (R4, R20).",
    )
    for stat in ordered:
        found = _problems(stat)
        remark = "; ".join(found) if found else "замечаний нет"
        table.rows.append(
            Row(
                [stat.teacher, stat.name, remark[:1].upper() + remark[1:]],
                drill=f"group:{stat.group_id}",
                emphasis="warn" if found else "",
                ref={"teacher": stat.teacher_id, "group": stat.group_id} if stat.teacher_id else {},
            )
        )
    return table


DRILLS = {
    "no_topic": ("Уроки без темы", ["Дата", "Урок", "Вёл урок"]),
    "no_homework": ("Уроки без домашнего задания", ["Дата", "Урок", "Вёл урок", "Тема"]),
    "no_marks": ("Ученики без отметок за месяц", ["Ученик"]),
    "one_mark": ("Ученики с одной отметкой за месяц", ["Ученик"]),
    "below_norm": (
        "Ученики ниже нормы накопляемости",
        ["Ученик", "Считается с", "Отметок в периоде", "Нужно к дню проверки", "Норма за период"],
    ),
    "late": ("Записи с опозданием", ["Дата урока", "Запись", "Ученик", "Срок", "Внесено"]),
    "changed": (
        "Отметки, изменённые после дня урока",
        ["Дата урока", "Изменено", "Ученик", "Было → стало", "Причина", "Кто"],
    ),
    "substituted": ("Замещённые уроки", ["Дата", "Урок", "Вёл урок", "Тема"]),
}


def _group_tables(stat: GroupStats) -> list[Table]:
    """The drill-down of one teacher × group: ``group:<id>`` lists its numbers, each with the key of the
    table of rows behind it (``no_topic:<id>``, ``below_norm:<id>``, ``late:<id>``, ``changed:<id>``…)."""
    tables = []
    for name, rows in stat.drills.items():
        title, columns = DRILLS[name]
        tables.append(
            Table(
                key=f"{name}:{stat.group_id}",
                title=f"{title}: {stat.name} ({stat.teacher})",
                columns=columns,
                rows=rows,
                detail=True,
            )
        )
    present = {t.key for t in tables}

    def drill(name: str) -> str:
        key = f"{name}:{stat.group_id}"
        return key if key in present else ""

    marks = stat.has_marks
    summary = [
        ("Проведено уроков", stat.held, ""),
        ("Уроков без темы", stat.no_topic, drill("no_topic")),
        ("Уроков без домашнего задания", stat.held - stat.with_homework, drill("no_homework")),
        ("Учеников в группе за месяц", stat.students, ""),
        ("Учеников без отметок", stat.no_marks if marks else None, drill("no_marks")),
        ("Учеников с одной отметкой", stat.one_mark if marks else None, drill("one_mark")),
        ("Ниже нормы накопляемости", stat.below_norm, drill("below_norm")),
        ("Отметок с опозданием", stat.late_marks if marks else None, drill("late")),
        ("ДЗ с опозданием", stat.late_homework, drill("late")),
        ("Изменено отметок после дня урока", stat.changed if marks else None, drill("changed")),
        ("Замещённых уроков", stat.substituted, drill("substituted")),
        ("Выполнение КТП, %", _coverage(stat), ""),
    ]
    period = stat.period
    note = f"Период накопляемости: {period}, {period.start:%d.%m}–{period.end:%d.%m.%Y}." if period else ""
    overview = Table(
        key=f"group:{stat.group_id}",
        title=f"{stat.name} ({stat.teacher})",
        columns=["Показатель", "Значение"],
        rows=[Row([label, value], drill=key) for label, value, key in summary],
        note=note,
        detail=True,
    )
    return [overview, *tables]


def _participation_tables(
    school: School,
    year: AcademicYear,
    group_ids: list[int],
    class_filter: int | None,
    teacher_filter: int | None,
    month_start: dt.date,
    month_end: dt.date,
    moment_from: dt.datetime,
    moment_to: dt.datetime,
) -> list[Table]:
    """Teachers', parents' and students' participation (R20), and the idle teachers behind the first
    number: three queries."""
    in_month = Q(at__gte=moment_from, at__lt=moment_to)
    teachers = list(
        TeachingAssignment.objects.filter(
            Q(end__isnull=True) | Q(end__gte=month_start),
            group_id__in=group_ids,
            role=AssignmentRole.MAIN,
            start__lte=month_end,
        )
        .annotate(
            active=Exists(
                JournalEvent.objects.filter(in_month, actor_id=OuterRef("teacher_id"), group__year__school=school)
            )
        )
        .values("teacher_id", "teacher__last_name", "teacher__first_name", "teacher__patronymic", "active")
        .order_by("teacher__last_name", "teacher__first_name", "teacher_id")
        .distinct()
    )
    idle = [t for t in teachers if not t["active"]]

    enrolled = Enrollment.objects.filter(
        Q(end__isnull=True) | Q(end__gte=month_start), start__lte=month_end, school_class__year=year
    )
    if class_filter is not None:
        enrolled = enrolled.filter(school_class_id=class_filter)
    students = Student.objects.filter(Exists(enrolled.filter(student_id=OuterRef("pk"))), school=school)
    if teacher_filter is not None:
        students = students.filter(
            Exists(
                GroupMembership.objects.filter(
                    Q(end__isnull=True) | Q(end__gte=month_start),
                    student_id=OuterRef("pk"),
                    group_id__in=group_ids,
                    start__lte=month_end,
                )
            )
        )
    logged_in = Exists(LoginEvent.objects.filter(in_month, user_id=OuterRef("user_id")))
    own = students.aggregate(total=Count("pk", filter=Q(user__isnull=False)), active=Count("pk", filter=Q(logged_in)))
    parents = User.objects.filter(Exists(ParentLink.objects.filter(parent_id=OuterRef("pk"), student__in=students)))
    family = parents.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(Exists(LoginEvent.objects.filter(in_month, user_id=OuterRef("pk"))))),
    )

    table = Table(
        key="participation",
        title="Участие в работе с журналом",
        columns=["Кто", "Всего", "Работали в журнале за месяц", "%"],
        note=(
            "Учителя — основные учителя групп, работавшие в месяце; «работали» — сделали хотя бы одну запись "
            "в журнале школы (история изменений). Родители — родители учеников, обучавшихся в месяце; ученики — "
            "те из них, у кого есть свой вход; «работали» — входили в систему хотя бы раз за месяц."
        ),
    )
    active_teachers = len(teachers) - len(idle)
    table.rows.append(
        Row(
            ["Учителя", len(teachers), active_teachers, percent(active_teachers, len(teachers))],
            drill="idle_teachers" if idle else "",
        )
    )
    table.rows.append(Row(["Родители", family["total"], family["active"], percent(family["active"], family["total"])]))
    table.rows.append(Row(["Ученики", own["total"], own["active"], percent(own["active"], own["total"])]))
    if not idle:
        return [table]
    return [
        table,
        Table(
            key="idle_teachers",
            title="Учителя без записей в журнале за месяц",
            columns=["Учитель"],
            rows=[
                Row([_person(t["teacher__last_name"], t["teacher__first_name"], t["teacher__patronymic"])])
                for t in idle
            ],
            detail=True,
        ),
    ]
