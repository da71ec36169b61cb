"""Year set-up (issue 7 point 1): academic years (from scratch or copied from the previous one), period
schemes per kind with their dates and marks deadlines, the period kind of classes by grade band, and
holidays / quarantine that cancel the planned lessons in their dates (R27).

Every service writes its line of the office's change log (``office.audit.record``) in its transaction.
Students are not moved here: that is the year-end rollover.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import StaffRole
from accounts.services import class_teacher_set_bulk, teacher_assign_bulk
from attendance.models import Absence
from grading.models import Mark
from journal.models import (
    AcademicYear,
    AssignmentRole,
    Enrollment,
    Holiday,
    HolidayKind,
    Homework,
    Lesson,
    LessonNote,
    LessonStatus,
    PeriodKind,
    PeriodLock,
    School,
    SchoolClass,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)

from .audit import record
from .models import ChangeRecord

# How many periods each scheme has (the year period comes on top).
PERIOD_COUNT = {PeriodKind.QUARTER: 4, PeriodKind.TRIMESTER: 3, PeriodKind.HALF: 2}
TOP_GRADE = 11


def _d(day: dt.date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else ""


def year_open_check(year: AcademicYear) -> None:
    """Refuse changes to the set-up of a closed year (R27: the year is closed at its end)."""
    if year.is_closed:
        raise ValidationError(_("The year %(name)s is closed: its set-up cannot change.") % {"name": year.name})


# --- academic years ---------------------------------------------------------------------------------------


@dataclass
class CopyResult:
    classes: int = 0
    groups: int = 0
    assignments: int = 0
    slots: int = 0
    skipped_teachers: list[str] = field(default_factory=list)


def _year_check(school: School, name: str, start: dt.date, end: dt.date, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError(_("Write the name of the year, for example 2027/2028."))
    if start >= end:
        raise ValidationError(_("The year must start before it ends."))
    same = AcademicYear.objects.filter(school=school, name=name).exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationError(_("The school already has the year %(name)s.") % {"name": name})
    overlapping = AcademicYear.objects.filter(school=school, start__lte=end, end__gte=start).exclude(pk=exclude_pk)
    clash = overlapping.first()
    if clash is not None:
        raise ValidationError(
            _("The dates overlap the year %(name)s (%(start)s–%(end)s).")
            % {"name": clash.name, "start": _d(clash.start), "end": _d(clash.end)}
        )
    return name


@transaction.atomic
def year_create(
    *,
    actor,  # noqa: ANN001
    school: School,
    name: str,
    start: dt.date,
    end: dt.date,
    copy_from: AcademicYear | None = None,
) -> tuple[AcademicYear, CopyResult | None]:
    """A new academic year of ``school``; with ``copy_from``, its structure is copied (see
    :func:`year_copy`). Refuses a duplicate name and dates overlapping another year of the school."""
    name = _year_check(school, name, start, end)
    year = AcademicYear.objects.create(school=school, name=name, start=start, end=end)
    record(
        actor=actor, school=school, action="create", object_type="year", object_id=year.pk,
        summary=_("Academic year %(name)s created (%(start)s–%(end)s)")
        % {"name": name, "start": _d(start), "end": _d(end)},
    )  # fmt: skip
    result = year_copy(actor=actor, source=copy_from, target=year) if copy_from is not None else None
    return year, result


@transaction.atomic
def year_edit(*, actor, year: AcademicYear, name: str, start: dt.date, end: dt.date) -> AcademicYear:  # noqa: ANN001
    """Rename or re-date a year that is not closed: a typo in August, or a year that the authorities
    lengthened. Every period, holiday and lesson must stay inside the new dates (the database refuses a
    lesson outside its year), so shrinking past them is refused with what is in the way; the start cannot
    move once students are enrolled in the year's classes (their enrollments begin on it)."""
    year_open_check(year)
    name = _year_check(year.school, name, start, end, exclude_pk=year.pk)
    outside = Q(date__lt=start) | Q(date__gt=end)
    lessons = Lesson.objects.filter(outside, group__year=year).count()
    periods = StudyPeriod.objects.filter(Q(start__lt=start) | Q(end__gt=end), year=year).exclude(kind=PeriodKind.YEAR)
    holidays = Holiday.objects.filter(Q(start__lt=start) | Q(end__gt=end), year=year).count()
    if start != year.start and Enrollment.objects.filter(school_class__year=year).exists():
        raise ValidationError(
            _("Students are already enrolled in the classes of %(name)s from %(date)s: the start of the year "
              "can no longer be moved.") % {"name": year.name, "date": _d(year.start)}
        )  # fmt: skip
    problems = []
    if periods.exists():
        problems.append(_("periods: %(names)s") % {"names": ", ".join(str(p) for p in periods)})
    if holidays:
        problems.append(_("holidays and quarantine: %(n)d") % {"n": holidays})
    if lessons:
        problems.append(_("lessons: %(n)d") % {"n": lessons})
    if problems:
        raise ValidationError(
            _("Outside the new dates there are %(what)s. Change or remove them first.") % {"what": "; ".join(problems)}
        )
    before = {"name": year.name, "start": _d(year.start), "end": _d(year.end)}
    year_period = StudyPeriod.objects.filter(year=year, kind=PeriodKind.YEAR).first()
    year.name, year.start, year.end = name, start, end
    year.save(update_fields=["name", "start", "end"])
    if year_period is not None and (year_period.start, year_period.end) != (start, end):
        # The year-marks period follows the year; its marks deadline moves with the end when it was later.
        year_period.start, year_period.end = start, end
        if year_period.marks_deadline is not None and year_period.marks_deadline < end:
            year_period.marks_deadline = end
        year_period.save(update_fields=["start", "end", "marks_deadline"])
    after = {"name": name, "start": _d(start), "end": _d(end)}
    record(
        actor=actor, school=year.school_id, action="update", object_type="year", object_id=year.pk,
        summary=_("Academic year %(old)s (%(old_start)s–%(old_end)s) is now %(name)s (%(start)s–%(end)s)")
        % {"old": before["name"], "old_start": before["start"], "old_end": before["end"], **after},
        data={"before": before, "after": after},
    )  # fmt: skip
    return year


def _renamer(mapping: dict[str, str]):  # noqa: ANN202
    """Replace whole class names («5А» but not the «5А» inside «15А») in one pass."""
    if not mapping:
        return lambda text: text
    pattern = re.compile(
        r"(?<![0-9])(" + "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)) + r")(?!\w)"
    )
    return lambda text: pattern.sub(lambda m: mapping[m.group(1)], text)


@transaction.atomic
def year_copy(*, actor, source: AcademicYear, target: AcademicYear) -> CopyResult:  # noqa: ANN001
    """Copy ``source``'s structure into the empty year ``target``, for review (R27):

    - classes promoted (grade + 1, same letter, period kind and class teacher; the 11th grade is not
      carried; a new 1st grade is added by hand);
    - teaching groups (subject, kind, hours, subgroup number, the name with the new class names) on the
      promoted classes — groups whose classes are all gone are dropped;
    - main teachers still assigned at the end of ``source`` are assigned from ``target.start``;
    - timetable slots still valid at the end of ``source``, valid from ``target.start``.

    Students are not moved (the rollover does that). Refused when ``target`` already has classes, so
    copying twice changes nothing."""
    if source.school_id != target.school_id:
        raise ValidationError(_("Both years must belong to the same school."))
    if source.pk == target.pk:
        raise ValidationError(_("Choose another year to copy from."))
    if source.start >= target.start:
        raise ValidationError(_("Copy from an earlier year: its classes are promoted by one grade."))
    year_open_check(target)
    target = AcademicYear.objects.select_for_update().get(pk=target.pk)
    if SchoolClass.objects.filter(year=target).exists():
        raise ValidationError(
            _("The year %(name)s already has classes: copying again is refused. Add what is missing by hand.")
            % {"name": target.name}
        )
    result = CopyResult()
    staff = set(StaffRole.objects.filter(school_id=source.school_id).values_list("user_id", flat=True))

    old_classes = list(SchoolClass.objects.filter(year=source, grade__lt=TOP_GRADE).select_related("class_teacher"))
    new_classes = SchoolClass.objects.bulk_create(
        SchoolClass(year=target, grade=c.grade + 1, letter=c.letter, period_kind=c.period_kind) for c in old_classes
    )
    class_map = {old.pk: new for old, new in zip(old_classes, new_classes, strict=True)}
    result.classes = len(new_classes)
    leads = []
    for old, new in zip(old_classes, new_classes, strict=True):
        if old.class_teacher_id and old.class_teacher_id in staff:
            leads.append((new, old.class_teacher))
        elif old.class_teacher_id:
            result.skipped_teachers.append(old.class_teacher.short_name)
    if leads:
        class_teacher_set_bulk(actor=actor, items=leads)
    rename = _renamer({old.name: new.name for old, new in zip(old_classes, new_classes, strict=True)})

    old_groups = list(TeachingGroup.objects.filter(year=source).prefetch_related("classes").order_by("pk"))
    kept = [(g, [class_map[c.pk] for c in g.classes.all() if c.pk in class_map]) for g in old_groups]
    kept = [(g, classes) for g, classes in kept if classes]
    new_groups = TeachingGroup.objects.bulk_create(
        TeachingGroup(
            year=target, subject_id=g.subject_id, kind=g.kind, name=rename(g.name)[:200],
            subgroup_number=g.subgroup_number, hours_per_week=g.hours_per_week,
        )
        for g, _classes in kept
    )  # fmt: skip
    through = TeachingGroup.classes.through
    through.objects.bulk_create(
        through(teachinggroup_id=new.pk, schoolclass_id=c.pk)
        for (_old, classes), new in zip(kept, new_groups, strict=True)
        for c in classes
    )
    group_map = {old.pk: new for (old, _classes), new in zip(kept, new_groups, strict=True)}
    result.groups = len(new_groups)

    still = Q(end__isnull=True) | Q(end__gte=source.end)
    assignments = (
        TeachingAssignment.objects.filter(still, group__year=source, role=AssignmentRole.MAIN)
        .select_related("teacher")
        .order_by("group_id", "teacher_id")
    )
    items, seen = [], set()
    for a in assignments:
        if a.group_id not in group_map or (a.group_id, a.teacher_id) in seen:
            continue
        seen.add((a.group_id, a.teacher_id))
        if a.teacher_id not in staff:
            result.skipped_teachers.append(a.teacher.short_name)
            continue
        items.append((group_map[a.group_id], a.teacher, target.start, None))
    if items:
        teacher_assign_bulk(actor=actor, items=items)
    result.assignments = len(items)

    slots = TimetableSlot.objects.filter(group__year=source).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=source.end)
    )
    new_slots, seen_slots = [], set()
    for s in slots.order_by("group_id", "weekday", "number", "-valid_from"):
        key = (s.group_id, s.weekday, s.number)
        if s.group_id not in group_map or key in seen_slots:
            continue
        seen_slots.add(key)
        new_slots.append(
            TimetableSlot(
                group=group_map[s.group_id], weekday=s.weekday, number=s.number, room=s.room, valid_from=target.start
            )
        )
    TimetableSlot.objects.bulk_create(new_slots)
    result.slots = len(new_slots)
    result.skipped_teachers = sorted(set(result.skipped_teachers))

    record(
        actor=actor, school=target.school_id, action="copy", object_type="year", object_id=target.pk,
        summary=_("Year %(target)s copied from %(source)s: %(classes)d classes, %(groups)d groups, "
                  "%(assignments)d assignments, %(slots)d timetable slots")
        % {"target": target.name, "source": source.name, "classes": result.classes, "groups": result.groups,
           "assignments": result.assignments, "slots": result.slots},
        data={"source": source.pk, "skipped_teachers": result.skipped_teachers},
    )  # fmt: skip
    return result


# --- study periods ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodDates:
    start: dt.date
    end: dt.date
    marks_deadline: dt.date | None = None


def _period_name(kind: str, number: int) -> str:
    return str(StudyPeriod(kind=kind, number=number))


def _dates_check(year: AcademicYear, name: str, dates: PeriodDates) -> None:
    if dates.start > dates.end:
        raise ValidationError(_("%(period)s: the start is after the end.") % {"period": name})
    if not (year.start <= dates.start and dates.end <= year.end):
        raise ValidationError(
            _("%(period)s must lie inside the academic year (%(start)s–%(end)s).")
            % {"period": name, "start": _d(year.start), "end": _d(year.end)}
        )
    if dates.marks_deadline is not None and dates.marks_deadline < dates.end:
        raise ValidationError(_("%(period)s: the marks deadline is before the end of the period.") % {"period": name})


def _locked(period: StudyPeriod) -> bool:
    return PeriodLock.objects.filter(period=period).exists()


def _changed(period: StudyPeriod, dates: PeriodDates) -> bool:
    return (period.start, period.end, period.marks_deadline) != (dates.start, dates.end, dates.marks_deadline)


@transaction.atomic
def period_scheme_set(
    *,
    actor,  # noqa: ANN001
    year: AcademicYear,
    kind: str,
    periods: Sequence[PeriodDates],
) -> list[StudyPeriod]:
    """Create (or re-date) the periods of ``kind`` in ``year`` — 4 quarters, 3 trimesters or 2 halves —
    and the year period if it is missing. The dates must lie inside the year, in order, without
    overlapping; a closed period (journal.PeriodLock) keeps its dates. All or nothing."""
    year_open_check(year)
    if kind not in PERIOD_COUNT:
        raise ValidationError(_("Choose quarters, trimesters or halves."))
    if len(periods) != PERIOD_COUNT[kind]:
        raise ValidationError(_("The scheme needs %(n)d periods with their dates.") % {"n": PERIOD_COUNT[kind]})
    for number, dates in enumerate(periods, start=1):
        _dates_check(year, _period_name(kind, number), dates)
        if number > 1 and dates.start <= periods[number - 2].end:
            raise ValidationError(
                _("%(period)s starts before the previous period ends.") % {"period": _period_name(kind, number)}
            )
    existing = {p.number: p for p in StudyPeriod.objects.select_for_update().filter(year=year, kind=kind)}
    saved = []
    for number, dates in enumerate(periods, start=1):
        period = existing.get(number)
        if period is None:
            period = StudyPeriod.objects.create(
                year=year, kind=kind, number=number, start=dates.start, end=dates.end,
                marks_deadline=dates.marks_deadline,
            )  # fmt: skip
        elif _changed(period, dates):
            if _locked(period):
                raise ValidationError(
                    _("%(period)s is closed (archived): its dates cannot change.") % {"period": period}
                )
            period.start, period.end, period.marks_deadline = dates.start, dates.end, dates.marks_deadline
            period.save(update_fields=["start", "end", "marks_deadline"])
        saved.append(period)
    if not StudyPeriod.objects.filter(year=year, kind=PeriodKind.YEAR).exists():
        StudyPeriod.objects.create(year=year, kind=PeriodKind.YEAR, number=1, start=year.start, end=year.end)
    record(
        actor=actor, school=year.school_id, action="change", object_type="periods", object_id=year.pk,
        summary=_("Periods (%(kind)s) of %(year)s: %(dates)s")
        % {"kind": PeriodKind(kind).label, "year": year.name,
           "dates": "; ".join(f"{_d(p.start)}–{_d(p.end)}" for p in saved)},
    )  # fmt: skip
    return saved


@transaction.atomic
def period_edit(*, actor, period: StudyPeriod, dates: PeriodDates) -> StudyPeriod:  # noqa: ANN001
    """Change one period's dates and marks deadline; refused for a closed period, outside the year, or
    overlapping another period of the same scheme."""
    period = StudyPeriod.objects.select_for_update().select_related("year").get(pk=period.pk)
    year_open_check(period.year)
    if not _changed(period, dates):
        return period
    if _locked(period):
        raise ValidationError(_("%(period)s is closed (archived): its dates cannot change.") % {"period": period})
    _dates_check(period.year, str(period), dates)
    if period.kind != PeriodKind.YEAR:
        clash = (
            StudyPeriod.objects.filter(year=period.year, kind=period.kind, start__lte=dates.end, end__gte=dates.start)
            .exclude(pk=period.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError(_("The dates overlap %(period)s.") % {"period": clash})
        out_of_order = StudyPeriod.objects.filter(year=period.year, kind=period.kind).filter(
            Q(number__lt=period.number, start__gt=dates.start) | Q(number__gt=period.number, start__lt=dates.start)
        )
        if out_of_order.exists():
            raise ValidationError(_("The periods must follow each other in order."))
    old = f"{_d(period.start)}–{_d(period.end)}"
    period.start, period.end, period.marks_deadline = dates.start, dates.end, dates.marks_deadline
    period.save(update_fields=["start", "end", "marks_deadline"])
    record(
        actor=actor, school=period.year.school_id, action="change", object_type="period", object_id=period.pk,
        summary=_("%(period)s of %(year)s: %(old)s → %(new)s")
        % {"period": period, "year": period.year.name, "old": old, "new": f"{_d(period.start)}–{_d(period.end)}"},
    )  # fmt: skip
    return period


@transaction.atomic
def period_kind_apply(
    *,
    actor,  # noqa: ANN001
    year: AcademicYear,
    kind: str,
    grade_from: int,
    grade_to: int,
) -> int:
    """Classes of grades ``grade_from``–``grade_to`` of ``year`` follow the scheme ``kind`` (e.g. quarters
    for 2–9, halves for 10–11). Refused until the year has the periods of that kind. Returns how many
    classes changed."""
    year_open_check(year)
    if kind not in PERIOD_COUNT:
        raise ValidationError(_("Choose quarters, trimesters or halves."))
    if not (1 <= grade_from <= grade_to <= TOP_GRADE):
        raise ValidationError(_("Grades go from 1 to 11, the first not above the last."))
    if not StudyPeriod.objects.filter(year=year, kind=kind).exists():
        raise ValidationError(
            _("The year has no %(kind)s yet: set their dates first.") % {"kind": PeriodKind(kind).label}
        )
    changed = (
        SchoolClass.objects.filter(year=year, grade__gte=grade_from, grade__lte=grade_to)
        .exclude(period_kind=kind)
        .update(period_kind=kind)
    )
    record(
        actor=actor, school=year.school_id, action="change", object_type="class", object_id="",
        summary=_("Grades %(a)d–%(b)d of %(year)s follow: %(kind)s (%(n)d classes changed)")
        % {"a": grade_from, "b": grade_to, "year": year.name, "kind": PeriodKind(kind).label, "n": changed},
    )  # fmt: skip
    return changed


# --- holidays and quarantine (R27) ------------------------------------------------------------------------


def _concerned_lessons(year: AcademicYear, start: dt.date, end: dt.date, grade_from, grade_to) -> QuerySet[Lesson]:  # noqa: ANN001
    """Lessons of ``year`` dated ``start``–``end`` of groups with at least one class in the grade range."""
    classes = SchoolClass.objects.filter(year=year)
    if grade_from is not None:
        classes = classes.filter(grade__gte=grade_from)
    if grade_to is not None:
        classes = classes.filter(grade__lte=grade_to)
    groups = TeachingGroup.objects.filter(year=year, classes__in=classes).values("pk")
    return Lesson.objects.filter(group_id__in=groups, date__gte=start, date__lte=end)


def _with_data(lessons: QuerySet[Lesson]) -> QuerySet[Lesson]:
    return lessons.annotate(
        has_marks=Exists(Mark.objects.filter(column__lesson=OuterRef("pk"))),
        has_absences=Exists(Absence.objects.filter(lesson=OuterRef("pk"))),
        has_homework=Exists(Homework.objects.filter(lesson=OuterRef("pk"))),
        has_notes=Exists(LessonNote.objects.filter(lesson=OuterRef("pk"))),
    )


@dataclass
class HolidayResult:
    holiday: Holiday
    cancelled: int = 0
    kept: list[Lesson] = field(default_factory=list)  # lessons with entries: not touched


def holiday_note(holiday: Holiday) -> str:
    """The note a cancelled lesson carries (the diary and the journal show it): the holiday's name, written
    by the school in Russian («Осенние каникулы», «Карантин по гриппу»), so it reads the same in any UI
    language and the lessons it cancelled can be told from others."""
    return holiday.name[:300]


@transaction.atomic
def holiday_add(
    *,
    actor,  # noqa: ANN001
    year: AcademicYear,
    name: str,
    kind: str,
    start: dt.date,
    end: dt.date,
    grade_from: int | None = None,
    grade_to: int | None = None,
) -> HolidayResult:
    """Add a vacation, public holiday or quarantine (optionally for some grades) and cancel the planned
    lessons in its dates of the classes it concerns (status «cancelled», the note says which holiday).

    Lessons that already have entries — held, a topic, marks, absences, homework or remarks — are not
    touched (nothing recorded is lost) and are returned in ``kept`` for the deputy to move or cancel by
    hand. The ids of the cancelled lessons go into the change log, so removing the holiday restores
    exactly them."""
    year_open_check(year)
    name = name.strip()
    if not name:
        raise ValidationError(_("Write the name, for example «Осенние каникулы» or «Карантин»."))
    if kind not in HolidayKind.values:
        raise ValidationError(_("Choose vacation, public holiday or quarantine."))
    if start > end:
        raise ValidationError(_("The first day is after the last day."))
    if not (year.start <= start and end <= year.end):
        raise ValidationError(
            _("The dates must lie inside the academic year (%(start)s–%(end)s).")
            % {"start": _d(year.start), "end": _d(year.end)}
        )
    for grade in (grade_from, grade_to):
        if grade is not None and not 1 <= grade <= TOP_GRADE:
            raise ValidationError(_("Grades go from 1 to 11, the first not above the last."))
    if grade_from is not None and grade_to is not None and grade_from > grade_to:
        raise ValidationError(_("Grades go from 1 to 11, the first not above the last."))
    if Holiday.objects.filter(year=year, name=name, start__lte=end, end__gte=start).exists():
        raise ValidationError(
            _("The year already has «%(name)s» on these dates: change the dates or the name.") % {"name": name}
        )
    holiday = Holiday.objects.create(
        year=year, name=name, kind=kind, start=start, end=end, grade_from=grade_from, grade_to=grade_to
    )
    result = HolidayResult(holiday)
    lessons = _with_data(_concerned_lessons(year, start, end, grade_from, grade_to).exclude(
        status=LessonStatus.CANCELLED
    )).select_related("group").select_for_update(of=("self",)).order_by("date", "number", "group__name")  # fmt: skip
    to_cancel = []
    for lesson in lessons:
        entries = lesson.status != LessonStatus.PLANNED or lesson.topic or lesson.has_marks or lesson.has_absences
        if entries or lesson.has_homework or lesson.has_notes:
            result.kept.append(lesson)
        else:
            to_cancel.append(lesson.pk)
    result.cancelled = Lesson.objects.filter(pk__in=to_cancel).update(
        status=LessonStatus.CANCELLED, status_note=holiday_note(holiday), updated_at=timezone.now()
    )
    record(
        actor=actor, school=year.school_id, action="create", object_type="holiday", object_id=holiday.pk,
        summary=_("%(kind)s «%(name)s» %(start)s–%(end)s added: %(n)d lessons cancelled, %(kept)d with entries kept")
        % {"kind": holiday.get_kind_display(), "name": name, "start": _d(start), "end": _d(end),
           "n": result.cancelled, "kept": len(result.kept)},
        data={"cancelled": to_cancel, "kept": [lesson.pk for lesson in result.kept]},
    )  # fmt: skip
    return result


def holiday_cancelled_ids(holiday: Holiday) -> list[int]:
    """The lessons ``holiday_add`` cancelled for this holiday (from its line in the change log)."""
    line = (
        ChangeRecord.objects.filter(
            school_id=holiday.year.school_id, object_type="holiday", object_id=str(holiday.pk), action="create"
        )
        .order_by("-pk")
        .values_list("data", flat=True)
        .first()
    )
    return list((line or {}).get("cancelled", []))


@transaction.atomic
def holiday_remove(*, actor, holiday: Holiday) -> int:  # noqa: ANN001
    """Remove the holiday and restore the lessons it cancelled that are still cancelled by it (a lesson
    cancelled or changed since for another reason keeps that): planned again, note cleared. Returns how
    many were restored."""
    year = holiday.year
    year_open_check(year)
    restored = Lesson.objects.filter(
        pk__in=holiday_cancelled_ids(holiday), status=LessonStatus.CANCELLED, status_note=holiday_note(holiday)
    ).update(status=LessonStatus.PLANNED, status_note="", updated_at=timezone.now())
    record(
        actor=actor, school=year.school_id, action="delete", object_type="holiday", object_id=holiday.pk,
        summary=_("%(kind)s «%(name)s» %(start)s–%(end)s removed: %(n)d lessons restored")
        % {"kind": holiday.get_kind_display(), "name": holiday.name, "start": _d(holiday.start),
           "end": _d(holiday.end), "n": restored},
    )  # fmt: skip
    holiday.delete()
    return restored
