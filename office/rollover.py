"""The year-end rollover (issue 7 §5, R27): students move class to class by order, 9th and 11th graders
graduate, some are retained.

- :func:`rollover_plan` — the dry run: every student still enrolled in a class of the year with the
  proposed outcome (promoted to grade + 1, same letter; graduated: all 11th, and the 9th unless they
  continue in a 10th class; retained: the same grade and letter next year), counts and the problems
  (a missing class next year, a student already enrolled next year) and a fingerprint of it all.
- :func:`rollover_classes_create` — the missing classes of the next year (grade, letter, period kind).
- :func:`rollover_apply` — in one transaction: refuses a stale plan (another fingerprint) or a second
  application; ends each enrollment at the year's end (promoted / graduated / retained, the order),
  admits into the next year's class from its start (whole-class groups follow) and keeps what it did
  in a ``RolloverRun`` for undo.
- :func:`rollover_undo` — until the new year starts, and only while nothing refers to the new
  enrollments (no marks, absences, notes, period marks, other groups): deletes exactly what the run
  created and reopens exactly what it ended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import Absence
from grading.models import JournalEvent, Mark, PeriodMark
from journal.models import (
    AcademicYear,
    Enrollment,
    EnrollmentReason,
    GroupKind,
    GroupMembership,
    LessonNote,
    SchoolClass,
)
from journal.services import enrollment_admit, enrollment_end

from .audit import record
from .enrollment import order_text
from .models import RolloverRun, RolloverStatus

PROMOTE, GRADUATE, RETAIN = "promote", "graduate", "retain"
CONTINUE = "to"  # "to<class id>": a 9th grader continues in that 10th class
OUTCOMES = {
    PROMOTE: EnrollmentReason.PROMOTED,
    GRADUATE: EnrollmentReason.GRADUATED,
    RETAIN: EnrollmentReason.RETAINED,
}
TOP_GRADE = 11
BASIC_GRADE = 9  # the end of basic school: graduates unless they continue in the 10th


def next_year(year: AcademicYear) -> AcademicYear | None:
    """The school's first year that starts after ``year`` ends."""
    return AcademicYear.objects.filter(school_id=year.school_id, start__gt=year.end).order_by("start").first()


@dataclass
class PlanRow:
    enrollment: Enrollment
    choice: str  # PROMOTE / GRADUATE / RETAIN / "to<id>"
    options: list[tuple[str, str]]
    outcome: str  # PROMOTE / GRADUATE / RETAIN
    target: SchoolClass | None = None
    target_name: str = ""  # also when the class is missing
    problem: str = ""

    @property
    def student(self):  # noqa: ANN201
        return self.enrollment.student


@dataclass
class Plan:
    from_year: AcademicYear
    to_year: AcademicYear
    rows: list[PlanRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing: list[tuple[int, str, str]] = field(default_factory=list)  # (grade, letter, period kind)
    fingerprint: str = ""

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(r.outcome for r in self.rows)
        return {k: counted.get(k, 0) for k in (PROMOTE, GRADUATE, RETAIN)}

    @property
    def per_target(self) -> list[tuple[str, int, bool]]:
        """(class name, students, whether the class exists), in class order."""
        counted: Counter = Counter()
        exists: dict[str, bool] = {}
        order: dict[str, tuple[int, str]] = {}
        for r in self.rows:
            if r.outcome == GRADUATE:
                continue
            counted[r.target_name] += 1
            exists[r.target_name] = r.target is not None
            grade = r.target.grade if r.target else r.enrollment.school_class.grade + (r.outcome == PROMOTE)
            order[r.target_name] = (grade, r.target_name)
        return [(name, counted[name], exists[name]) for name in sorted(counted, key=order.__getitem__)]

    @property
    def ready(self) -> bool:
        return bool(self.rows) and not self.problems


def _default(grade: int) -> str:
    return GRADUATE if grade in (BASIC_GRADE, TOP_GRADE) else PROMOTE


def _options(grade: int, tenth: list[SchoolClass]) -> list[tuple[str, str]]:
    if grade == TOP_GRADE:
        return [(GRADUATE, _("graduates")), (RETAIN, _("retained"))]
    if grade == BASIC_GRADE:
        return [
            (GRADUATE, _("graduates")),
            *((f"{CONTINUE}{c.pk}", _("continues in %(class)s") % {"class": c.name}) for c in tenth),
            (RETAIN, _("retained")),
        ]
    return [(PROMOTE, _("promoted")), (RETAIN, _("retained"))]


def rollover_plan(*, from_year: AcademicYear, to_year: AcademicYear, choices: Mapping[int, str] | None = None) -> Plan:
    """The dry run: nothing is written. ``choices`` maps a student id to a choice (see ``PlanRow``);
    an unknown choice counts as the default. Students who left during the year are not included.
    Four queries."""
    choices = choices or {}
    plan = Plan(from_year, to_year)
    classes = {(c.grade, c.letter): c for c in SchoolClass.objects.filter(year=to_year)}
    tenth = sorted((c for c in classes.values() if c.grade == BASIC_GRADE + 1), key=lambda c: c.letter)
    by_pk = {c.pk: c for c in classes.values()}
    current = list(
        Enrollment.objects.filter(school_class__year=from_year, end__isnull=True)
        .select_related("student", "school_class")
        .order_by(
            "school_class__grade", "school_class__letter", "student__last_name", "student__first_name",
            "student__patronymic", "pk",
        )
    )  # fmt: skip
    later = {}
    for e in (
        Enrollment.objects.filter(student_id__in=[e.student_id for e in current], start__gt=from_year.end)
        .select_related("school_class__year")
        .order_by("start")
    ):
        later.setdefault(e.student_id, e)
    missing: dict[tuple[int, str], tuple[str, int]] = {}
    for e in current:
        grade = e.school_class.grade
        options = _options(grade, tenth)
        choice = choices.get(e.student_id, "")
        if choice not in {value for value, _label in options}:
            choice = _default(grade)
        row = PlanRow(enrollment=e, choice=choice, options=options, outcome=choice)
        if choice.startswith(CONTINUE):
            row.outcome, row.target = PROMOTE, by_pk[int(choice[len(CONTINUE) :])]
        elif choice != GRADUATE:
            key = (grade + (choice == PROMOTE), e.school_class.letter)
            row.target = classes.get(key)
            if row.target is None:
                name = f"{key[0]}{key[1]}"
                kind, n = missing.get(key, (e.school_class.period_kind, 0))
                missing[key] = (kind, n + 1)
                row.problem = _("no class %(class)s in %(year)s") % {"class": name, "year": to_year.name}
        if row.target is not None:
            row.target_name = row.target.name
        elif row.outcome != GRADUATE:
            row.target_name = f"{grade + (row.outcome == PROMOTE)}{e.school_class.letter}"
        clash = later.get(e.student_id)
        if clash is not None:
            row.problem = _("already enrolled in %(class)s from %(date)s") % {
                "class": clash.school_class.name,
                "date": f"{clash.start:%d.%m.%Y}",
            }
            plan.problems.append(
                _("%(student)s is already enrolled in %(class)s (%(year)s) from %(date)s.")
                % {
                    "student": e.student.short_name,
                    "class": clash.school_class.name,
                    "year": clash.school_class.year.name,
                    "date": f"{clash.start:%d.%m.%Y}",
                }
            )
        plan.rows.append(row)
    for (grade, letter), (kind, n) in sorted(missing.items()):
        plan.missing.append((grade, letter, kind))
        plan.problems.append(
            _("The year %(year)s has no class %(class)s for %(n)d students.")
            % {"year": to_year.name, "class": f"{grade}{letter}", "n": n}
        )
    plan.fingerprint = _fingerprint(plan, sorted(by_pk), later)
    return plan


def _fingerprint(plan: Plan, class_ids: list[int], later: dict) -> str:
    """Changes when any enrollment of the plan, its outcome or target, the next year's classes or the
    students' later enrollments change: an application checks it against the plan the user saw."""
    data = {
        "years": [plan.from_year.pk, plan.to_year.pk, str(plan.from_year.end), str(plan.to_year.start)],
        "classes": class_ids,
        "rows": [
            [r.enrollment.pk, r.enrollment.student_id, r.enrollment.school_class_id, str(r.enrollment.start),
             r.outcome, r.target.pk if r.target else None]
            for r in plan.rows
        ],
        "later": sorted(e.pk for e in later.values()),
    }  # fmt: skip
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def rollover_classes_create(*, actor, plan: Plan) -> list[SchoolClass]:  # noqa: ANN001
    """Create the next year's classes the plan misses (grade, same letter, same period kind). Classes
    that appeared meanwhile are left as they are."""
    created = []
    for grade, letter, kind in plan.missing:
        school_class, new = SchoolClass.objects.get_or_create(
            year=plan.to_year, grade=grade, letter=letter, defaults={"period_kind": kind}
        )
        if not new:
            continue
        created.append(school_class)
        record(
            actor=actor,
            school=plan.to_year.school_id,
            action="create",
            object_type="class",
            object_id=school_class.pk,
            summary=_("Class %(class)s created in %(year)s for the rollover")
            % {"class": school_class.name, "year": plan.to_year.name},
        )
    return created


@transaction.atomic
def rollover_apply(
    *,
    actor,  # noqa: ANN001
    from_year: AcademicYear,
    to_year: AcademicYear,
    choices: Mapping[int, str],
    fingerprint: str,
    order_number: str,
    order_date: dt.date,
) -> RolloverRun:
    """Apply the plan the user saw (``fingerprint``), all of it or nothing (R27)."""
    order = order_text(order_number, order_date)
    # One rollover of a year at a time: the second waits here, then finds the first one applied.
    AcademicYear.objects.select_for_update().get(pk=from_year.pk)
    if RolloverRun.objects.filter(from_year=from_year, status=RolloverStatus.APPLIED).exists():
        raise ValidationError(_("The rollover of %(year)s has already been applied.") % {"year": from_year.name})
    if next_year(from_year) != to_year:
        raise ValidationError(_("Students move only to the next academic year."))
    list(Enrollment.objects.select_for_update().filter(school_class__year=from_year, end__isnull=True))
    plan = rollover_plan(from_year=from_year, to_year=to_year, choices=choices)
    if plan.fingerprint != fingerprint:
        raise ValidationError(
            _("The plan has changed since it was shown (enrollments, classes or choices): check it again.")
        )
    if plan.problems:
        raise ValidationError(plan.problems)
    if not plan.rows:
        raise ValidationError(_("Nobody to move: no student is enrolled in %(year)s.") % {"year": from_year.name})

    end = from_year.end
    keys = ("created", "ended", "memberships_created", "memberships_ended", "memberships_deleted")
    undo: dict[str, list] = {key: [] for key in keys}
    rows = []
    for row in plan.rows:
        e = row.enrollment
        in_class = GroupMembership.objects.filter(student_id=e.student_id, group__classes=e.school_class_id)
        undo["memberships_ended"] += [
            [pk, old.isoformat() if old else None]
            for pk, old in in_class.filter(Q(end__isnull=True) | Q(end__gt=end), start__lte=end)
            .distinct()
            .values_list("pk", "end")
        ]
        undo["memberships_deleted"] += [
            [g, e.student_id, s.isoformat(), f.isoformat() if f else None]
            for g, s, f in in_class.filter(start__gt=end).distinct().values_list("group_id", "start", "end")
        ]
        enrollment_end(actor=actor, enrollment=e, end=end, reason=OUTCOMES[row.outcome], order_number=order)
        undo["ended"].append(e.pk)
        new = None
        if row.target is not None:
            new = enrollment_admit(
                actor=actor,
                student=e.student,
                school_class=row.target,
                start=to_year.start,
                order_number=order,
                reason=OUTCOMES[row.outcome],
            )
            undo["created"].append(new.pk)
            undo["memberships_created"] += list(
                GroupMembership.objects.filter(
                    student_id=e.student_id,
                    start=to_year.start,
                    group__classes=row.target,
                    group__kind=GroupKind.WHOLE_CLASS,
                )
                .distinct()
                .values_list("pk", flat=True)
            )
        rows.append(
            {
                "student": e.student_id,
                "name": e.student.full_name,
                "from": e.school_class.name,
                "outcome": row.outcome,
                "to": row.target_name,
                "ended": e.pk,
                "created": new.pk if new else None,
            }
        )
        record(
            actor=actor,
            school=from_year.school_id,
            action="rollover",
            object_type="enrollment",
            object_id=e.pk,
            summary=_("%(student)s: %(from)s → %(outcome)s, order %(order)s")
            % {
                "student": e.student.full_name,
                "from": e.school_class.name,
                "outcome": row.target_name if row.outcome != GRADUATE else _("graduated"),
                "order": order,
            },
            data={"created": new.pk if new else None, "outcome": row.outcome},
        )
    now = timezone.now()
    run = RolloverRun.objects.create(
        school_id=from_year.school_id,
        from_year=from_year,
        to_year=to_year,
        status=RolloverStatus.APPLIED,
        plan=rows,
        undo=undo,
        order_number=order,
        created_by=actor,
        created_at=now,
        applied_by=actor,
        applied_at=now,
    )
    counts = plan.counts
    record(
        actor=actor,
        school=from_year.school_id,
        action="apply",
        object_type="rollover",
        object_id=run.pk,
        summary=_(
            "Rollover %(from)s → %(to)s applied, order %(order)s: %(promoted)d promoted, %(graduated)d graduated, "
            "%(retained)d retained"
        )
        % {
            "from": from_year.name,
            "to": to_year.name,
            "order": order,
            "promoted": counts[PROMOTE],
            "graduated": counts[GRADUATE],
            "retained": counts[RETAIN],
        },
        data={"fingerprint": fingerprint},
    )
    return run


def undo_allowed(run: RolloverRun, today: dt.date) -> bool:
    return run.status == RolloverStatus.APPLIED and today < run.to_year.start


@transaction.atomic
def rollover_undo(*, actor, run: RolloverRun) -> RolloverRun:  # noqa: ANN001
    """Undo an applied rollover before the new year starts: delete exactly the enrollments (and their
    whole-class memberships) it created and reopen exactly those it ended. Refused, with nothing
    changed, once the new year has begun, or when anything already refers to a new enrollment."""
    run = RolloverRun.objects.select_for_update().select_related("from_year", "to_year", "school").get(pk=run.pk)
    if run.status != RolloverStatus.APPLIED:
        raise ValidationError(_("Only an applied rollover can be undone."))
    today = run.school.today()
    if today >= run.to_year.start:
        raise ValidationError(
            _("The year %(year)s began on %(date)s: the rollover can no longer be undone.")
            % {"year": run.to_year.name, "date": f"{run.to_year.start:%d.%m.%Y}"}
        )
    undo = run.undo
    end = run.from_year.end
    created = list(Enrollment.objects.select_for_update().filter(pk__in=undo["created"]).select_related("student"))
    ended = list(Enrollment.objects.select_for_update().filter(pk__in=undo["ended"]).select_related("student"))
    changed = [e for e in created if e.end is not None or e.start != run.to_year.start]
    changed += [e for e in ended if e.end != end]
    if len(created) != len(undo["created"]) or len(ended) != len(undo["ended"]) or changed:
        names = ", ".join(sorted({e.student.short_name for e in changed})) or "—"
        raise ValidationError(
            _("The enrollments have changed since the rollover (%(students)s): it can no longer be undone.")
            % {"students": names}
        )
    students = [e.student_id for e in ended]
    new_year = run.to_year
    in_new_year = [
        Mark.objects.filter(column__lesson__group__year=new_year),
        Absence.objects.filter(lesson__group__year=new_year),
        PeriodMark.objects.filter(group__year=new_year),
        LessonNote.objects.filter(lesson__group__year=new_year),
        JournalEvent.objects.filter(group__year=new_year),
        GroupMembership.objects.filter(group__year=new_year).exclude(pk__in=undo["memberships_created"]),
        Enrollment.objects.filter(start__gt=end).exclude(pk__in=undo["created"]),
    ]
    referenced: set[int] = set()
    for qs in in_new_year:
        referenced |= set(qs.filter(student_id__in=students).values_list("student_id", flat=True).distinct())
    if referenced:
        names = ", ".join(sorted(e.student.short_name for e in ended if e.student_id in referenced))
        raise ValidationError(
            _("The new year already has entries of %(students)s (marks, absences, notes, groups or enrollments): "
              "the rollover can no longer be undone.") % {"students": names}
        )  # fmt: skip

    GroupMembership.objects.filter(pk__in=undo["memberships_created"]).delete()
    Enrollment.objects.filter(pk__in=undo["created"]).delete()
    Enrollment.objects.filter(pk__in=undo["ended"]).update(end=None, end_reason="", end_order_number="")
    for pk, old in undo["memberships_ended"]:
        GroupMembership.objects.filter(pk=pk).update(end=dt.date.fromisoformat(old) if old else None)
    GroupMembership.objects.bulk_create(
        GroupMembership(
            group_id=g, student_id=s_id, start=dt.date.fromisoformat(s), end=dt.date.fromisoformat(f) if f else None
        )
        for g, s_id, s, f in undo["memberships_deleted"]
    )
    run.status = RolloverStatus.UNDONE
    run.undone_by = actor
    run.undone_at = timezone.now()
    run.save(update_fields=["status", "undone_by", "undone_at"])
    record(
        actor=actor,
        school=run.school_id,
        action="undo",
        object_type="rollover",
        object_id=run.pk,
        summary=_("Rollover %(from)s → %(to)s undone: %(created)d new enrollments removed, %(ended)d reopened")
        % {
            "from": run.from_year.name,
            "to": run.to_year.name,
            "created": len(undo["created"]),
            "ended": len(undo["ended"]),
        },
    )
    return run
