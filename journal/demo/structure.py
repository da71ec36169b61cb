"""The school itself: year, periods, holidays, bells, subjects, work types, classes and teaching groups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from grading.models import WorkType
from journal.models import (
    AcademicYear,
    Assessment,
    Bell,
    GroupKind,
    Holiday,
    PeriodKind,
    School,
    SchoolClass,
    StudyPeriod,
    Subject,
    TeachingGroup,
)

from .context import ClassInfo, GroupInfo, SchoolBuild
from .fastinsert import insert
from .people import DEMO_DIRECTOR, TOWN
from .refdata import DOUBLE_MARK_SUBJECTS, PE_SUBJECT, bells, curriculum, curriculum_for, work_types

LETTERS = "АБВГДЕЖИКЛМНОПРСТУФХЦЧШЭЮЯ"
# Classes per grade at scale 1: 25 classes.
BASE_CLASSES = {1: 3, 2: 3, 3: 3, 4: 2, 5: 3, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2, 11: 1}
BASE_STUDENTS = 600
# Written works are checked within 5 days in grades 2–9 and 7 days in grades 10–11 (R5).
CHECK_DAYS_JUNIOR, CHECK_DAYS_SENIOR = 5, 7


def school_names(number: int) -> tuple[str, str]:
    return f"МБОУ «Средняя общеобразовательная школа № {number}»", f"СОШ № {number}"


def create_school(ctx: SchoolBuild) -> None:
    """The School with its year, study periods, holidays and bell schedule."""
    name, short = school_names(ctx.number)
    rng = ctx.rng("school")
    ctx.school = School.objects.create(
        name=name,
        short_name=short,
        time_zone="Europe/Moscow",
        address=f"{TOWN}, ул. {rng.choice(('Школьная', 'Мира', 'Ленина', 'Гагарина', 'Садовая'))}, д. {ctx.number}",
        director_name=DEMO_DIRECTOR.full if ctx.is_demo else "",
    )
    cal = ctx.calendar
    ctx.year = AcademicYear.objects.create(school=ctx.school, name=cal.name, start=cal.start, end=cal.end)
    periods = StudyPeriod.objects.bulk_create(
        StudyPeriod(
            year=ctx.year,
            kind=spec.kind,
            number=spec.number,
            start=spec.start,
            end=spec.end,
            marks_deadline=spec.marks_deadline,
        )
        for spec in cal.periods
    )
    ctx.periods = {(period.kind, period.number): period for period in periods}
    Holiday.objects.bulk_create(
        Holiday(
            year=ctx.year,
            name=spec.name,
            kind=spec.kind,
            start=spec.start,
            end=spec.end,
            grade_from=spec.grade_from,
            grade_to=spec.grade_to,
        )
        for spec in cal.holidays
    )
    Bell.objects.bulk_create(
        Bell(school=ctx.school, number=row.number, start_time=row.start, end_time=row.end) for row in bells()
    )
    ctx.bells = {row.number: row for row in bells()}


def create_subjects(ctx: SchoolBuild) -> None:
    """One Subject per distinct curriculum name, and the school's work types with the subjects they allow."""
    seen: dict[str, Subject] = {}
    for row in curriculum():
        if row.subject not in seen:
            seen[row.subject] = Subject(
                school=ctx.school,
                name=row.subject,
                short_name=row.short,
                assessment=Assessment.PASS_FAIL if row.pass_fail else Assessment.GRADED,
                allows_double_mark=row.subject in DOUBLE_MARK_SUBJECTS,
            )
    Subject.objects.bulk_create(seen.values())
    ctx.subjects = seen

    types = []
    for number, row in enumerate(work_types(), 1):
        types.append(
            WorkType(
                school=ctx.school,
                name=row.name,
                short_name=row.short,
                weight=row.weight,
                is_control_work=row.is_control_work,
                is_written=row.is_written,
                check_days_junior=CHECK_DAYS_JUNIOR if row.is_written else 0,
                check_days_senior=CHECK_DAYS_SENIOR if row.is_written else 0,
                ordering_number=number,
            )
        )
    WorkType.objects.bulk_create(types)
    through = WorkType.subjects.through
    links = []
    for work_type, row in zip(types, work_types(), strict=True):
        if row.applies_to:
            links += [
                through(worktype_id=work_type.pk, subject_id=subject.pk)
                for subject in seen.values()
                if row.applies(subject.name)
            ]
    through.objects.bulk_create(links)
    ctx.work_types = {work_type.short_name: work_type for work_type in types}


def create_classes(ctx: SchoolBuild) -> None:
    """Classes of grades 1–11, ``BASE_CLASSES`` scaled (at least one per grade); 10–11 follow halves."""
    classes = []
    for grade, base in BASE_CLASSES.items():
        count = max(1, round(base * ctx.scale))
        for letter in LETTERS[:count]:
            classes.append(
                SchoolClass(
                    year=ctx.year,
                    grade=grade,
                    letter=letter,
                    period_kind=PeriodKind.HALF if grade >= 10 else PeriodKind.QUARTER,
                )
            )
    SchoolClass.objects.bulk_create(classes)
    ctx.classes = [ClassInfo(obj, obj.grade, obj.letter, index) for index, obj in enumerate(classes)]


def class_sizes(ctx: SchoolBuild) -> list[int]:
    """How many students each class starts the year with: about 600 × scale in all, seniors a bit fewer."""
    rng = ctx.rng("class-sizes")
    total = BASE_STUDENTS * ctx.scale
    weights = [0.85 if cls.grade >= 10 else 1.0 for cls in ctx.classes]
    unit = total / sum(weights)
    return [max(4, min(32, round(unit * weight) + rng.randint(-2, 2))) for weight in weights]


def group_name(cls: ClassInfo, subject: str, short: str, subgroup: int | None, note: str = "") -> str:
    if subgroup is None:
        return f"{cls.name} — {subject}"
    return f"{cls.name} — {short}, гр. {subgroup}{note}"


def create_groups(ctx: SchoolBuild) -> None:
    """Per class and curriculum subject: one whole-class group, or two subgroups for the subjects the
    curriculum splits and for PE in grades 10–11 (boys / girls). Members are added by the roster phase."""
    specs: list[GroupInfo] = []
    for cls in ctx.classes:
        for row in curriculum_for(cls.grade):
            subject = ctx.subjects[row.subject]
            pe_split = row.subject == PE_SUBJECT and cls.grade >= 10
            if row.split or pe_split:
                for number in (1, 2):
                    note = (" (юноши)" if number == 1 else " (девушки)") if pe_split else ""
                    group = TeachingGroup(
                        year=ctx.year,
                        subject=subject,
                        kind=GroupKind.SUBGROUP,
                        name=group_name(cls, row.subject, row.short, number, note),
                        subgroup_number=number,
                        hours_per_week=Decimal(row.hours),
                    )
                    specs.append(GroupInfo(group, cls, subject, row, GroupKind.SUBGROUP, number))
            else:
                group = TeachingGroup(
                    year=ctx.year,
                    subject=subject,
                    kind=GroupKind.WHOLE_CLASS,
                    name=group_name(cls, row.subject, row.short, None),
                    hours_per_week=Decimal(row.hours),
                )
                specs.append(GroupInfo(group, cls, subject, row, GroupKind.WHOLE_CLASS, None))
    insert([spec.obj for spec in specs])
    through = TeachingGroup.classes.through
    insert([through(teachinggroup_id=spec.pk, schoolclass_id=spec.cls.obj.pk) for spec in specs])
    ctx.groups = specs


def year_lesson_dates(ctx: SchoolBuild, weekly: dict[int, list[tuple[int, int]]]) -> None:
    """Fill every group's ``year_dates``: (date, lesson number) of each lesson of the whole year, in order.

    ``weekly`` maps a group pk to its timetable as (weekday 1–5, lesson number) pairs.
    """
    days_by_grade: dict[int, list[dt.date]] = {}
    for group in ctx.groups:
        grade = group.cls.grade
        if grade not in days_by_grade:
            days_by_grade[grade] = ctx.calendar.school_days(grade)
        by_weekday: dict[int, list[int]] = {}
        for weekday, number in weekly.get(group.pk, []):
            by_weekday.setdefault(weekday, []).append(number)
        for numbers in by_weekday.values():
            numbers.sort()
        group.year_dates = [
            (day, number) for day in days_by_grade[grade] for number in by_weekday.get(day.isoweekday(), ())
        ]
