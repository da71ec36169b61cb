"""КТП rows and the lessons of the year up to the end of the current week, with the demo substitution."""

from __future__ import annotations

import datetime as dt

from accounts.services import substitution_start
from journal.models import GroupKind, Lesson, LessonStatus, PlanItem

from .calendar import lessons_until
from .context import GroupInfo, SchoolBuild
from .fastinsert import insert, insert_rows
from .plan import build_plan

SUBSTITUTION_NOTE = "Замена на время болезни учителя (приказ по школе)"


def create_plan_items(ctx: SchoolBuild) -> None:
    """Every group's КТП: one item per lesson of the whole year, dated by the timetable (R10)."""
    rng = ctx.rng("plan")
    rows: list[tuple] = []
    for group in ctx.groups:
        group.plan = build_plan(group.subject.name, group.cls.grade, group.row.hours, len(group.year_dates), rng)
        rows += [
            (group.pk, number, entry.topic, 1, day, entry.is_control_work)
            for number, (entry, (day, _n)) in enumerate(zip(group.plan, group.year_dates, strict=True), 1)
        ]
    columns = ("group_id", "ordinal", "topic", "hours", "planned_date", "is_control_work")
    ids = iter(insert_rows(PlanItem, columns, rows))
    for group in ctx.groups:
        group.plan_item_ids = [next(ids) for _entry in group.plan]
    ctx.counts["plan_items"] = len(rows)


def _week(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=4)


def pick_substitution(ctx: SchoolBuild, weekly: dict[int, list[tuple[int, int]]]) -> GroupInfo | None:
    """In school 1, a group of another teacher (grades 5–9) whose lessons never clash with ``teacher``'s
    own timetable, for ``teacher`` to substitute in this week: one with a lesson today if possible."""
    if not ctx.is_demo:
        return None
    teacher = ctx.staff["teacher"]
    own = {slot for group in ctx.groups if group.teacher.user.pk == teacher.pk for slot in weekly.get(group.pk, [])}
    candidates = [
        group
        for group in ctx.groups
        if group.teacher.user.pk != teacher.pk
        and group.kind == GroupKind.WHOLE_CLASS
        and 5 <= group.cls.grade <= 9
        and weekly.get(group.pk)
        and not own.intersection(weekly[group.pk])
    ]
    today = ctx.today.isoweekday()

    def preference(group: GroupInfo) -> tuple:
        # A lesson today (the home page shows it), more than one this week, mathematics if possible.
        has_today = any(weekday == today for weekday, _n in weekly[group.pk])
        return (not has_today, group.row.hours < 2, group.family != "math", -group.row.hours, group.cls.index)

    candidates.sort(key=preference)
    return candidates[0] if candidates else None


def create_lessons(ctx: SchoolBuild, weekly: dict[int, list[tuple[int, int]]]) -> None:
    """Lessons from the timetable for every school day up to the Friday of this week.

    Before today: held, taught by the group's teacher, topic from the КТП. From today on: planned,
    with the teacher who will teach and the planned КТП item but no topic yet. In school 1 ``teacher``
    substitutes in one group this week (``substitution_start``), so those lessons are substitutions.
    """
    until = lessons_until(ctx.calendar, ctx.today)
    substituted = pick_substitution(ctx, weekly)
    monday, friday = _week(ctx.today)
    if substituted is not None and ctx.year.start <= monday and friday <= ctx.year.end:
        substitution_start(
            actor=ctx.staff["deputy"],
            group=substituted.obj,
            substitute=ctx.staff["teacher"],
            start=monday,
            end=friday,
            replaces=substituted.teacher.user,
            note=SUBSTITUTION_NOTE,
        )
    else:
        substituted = None
    prepared = ctx.at(ctx.year.start - dt.timedelta(days=1), dt.time(10, 0))
    lessons: list[Lesson] = []
    for group in ctx.groups:
        group.lessons = []
        for index, (day, number) in enumerate(group.year_dates):
            if day > until:
                break
            held = day < ctx.today
            teacher = group.teacher.user
            is_substitution = substituted is group and monday <= day <= friday
            if is_substitution:
                teacher = ctx.staff["teacher"]
            topic_at = ctx.at(day, ctx.bells[number].start, 180)
            lesson = Lesson(
                group_id=group.pk,
                date=day,
                number=number,
                teacher_id=teacher.pk,
                is_substitution=is_substitution,
                status=LessonStatus.HELD if held else LessonStatus.PLANNED,
                topic=group.plan[index].topic if held else "",
                plan_item_id=group.plan_item_ids[index],
                room=group.teacher.room,
                created_at=prepared,
                updated_at=topic_at if held else prepared,
            )
            group.lessons.append(lesson)
            lessons.append(lesson)
    insert(lessons)
    ctx.counts["lessons"] = len(lessons)
