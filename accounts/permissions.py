"""THE authorization module (DESIGN.md §4). Views never call guardian or check roles by hand.

Grants live in django-guardian's direct foreign-key tables (``accounts.models.*UserObjectPermission``):

* School-wide staff hold codenames of :data:`ROLE_PERMISSIONS` on the ``School`` object;
* the class teacher holds ``lead_class`` on the ``SchoolClass``;
* a subject teacher holds ``teach_group`` on the ``TeachingGroup``;
* a substitute holds ``substitute_group`` on the group, valid only on the dates of a substitute
  ``TeachingAssignment`` — the dates are checked here, so an expired grant gives nothing even before
  the scheduled clean-up removes it;
* a parent (and a student with their own login) holds ``view_diary`` on the ``Student``.

Everything below answers with querysets already limited to the user's scope, and getters that raise
``Http404`` for objects out of scope, so an outsider never learns that an object exists.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from journal.models import (
    Enrollment,
    GroupMembership,
    Lesson,
    PeriodLock,
    School,
    SchoolClass,
    Student,
    TeachingAssignment,
    TeachingGroup,
)

from .models import (
    ParentLink,
    Role,
    SchoolClassUserObjectPermission,
    SchoolUserObjectPermission,
    StaffRole,
    StudentUserObjectPermission,
    TeachingGroupUserObjectPermission,
    User,
)

# What each school-wide role may do, as permissions on the School object (the table of DESIGN.md §4).
LOCKED_MESSAGE = gettext_lazy(
    "The period of this lesson is closed and archived: only the deputy director corrects it, with a reason."
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DIRECTOR: frozenset(
        {
            "view_all_journals",
            "view_personal_data",
            "edit_personal_data",
            "manage_enrollment",
            "view_reports",
            "sign_archive",
        }
    ),
    Role.DEPUTY: frozenset(
        {
            "view_all_journals",
            "correct_journal",
            "set_absence_reasons",
            "view_personal_data",
            "edit_personal_data",
            "manage_enrollment",
            "manage_year",
            "manage_subgroups",
            "view_reports",
            "produce_archive",
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        {
            "view_all_journals",
            "view_personal_data",
            "edit_personal_data",
            "manage_enrollment",
            "manage_year",
            "manage_accounts",
            "manage_staff_accounts",
            "view_reports",
            "produce_archive",
            "sign_archive",
            "register_archive",
            "manage_backups",
            "view_backup_registry",
        }
    ),
    Role.SECRETARY: frozenset(
        {
            "view_personal_data",
            "edit_personal_data",
            "manage_enrollment",
            "manage_staff_accounts",
            "register_archive",
            "view_backup_registry",
        }
    ),
    Role.TEACHER: frozenset(),
}


class Action(StrEnum):
    """What a user wants to do with a journal page (group / lesson)."""

    VIEW = "view"  # read the journal
    EDIT = "edit"  # enter marks, absences, topics, homework
    PERIOD_MARKS = "period_marks"  # set quarter / half / year marks (main teacher only)
    CORRECT = "correct"  # change after the fact with a reason (deputy)
    ABSENCE_REASONS = "absence_reasons"  # set Б / У / Н (class teacher, deputy)


class StudentAction(StrEnum):
    DIARY = "diary"  # read the child's diary (parent, the student)
    PERSONAL_VIEW = "personal_view"  # personal data
    PERSONAL_EDIT = "personal_edit"
    ENROLL = "enroll"  # admit, transfer, leave
    CREDENTIALS = "credentials"  # issue logins and one-time passwords to the student and the parents (R17)


def _school_ids(user: User, codename: str) -> QuerySet:
    return SchoolUserObjectPermission.objects.filter(user=user, permission__codename=codename).values(
        "content_object_id"
    )


def _group_ids(user: User, codename: str) -> QuerySet:
    return TeachingGroupUserObjectPermission.objects.filter(user=user, permission__codename=codename).values(
        "content_object_id"
    )


def _led_class_ids(user: User) -> QuerySet:
    return SchoolClassUserObjectPermission.objects.filter(user=user, permission__codename="lead_class").values(
        "content_object_id"
    )


def _diary_student_ids(user: User) -> QuerySet:
    return StudentUserObjectPermission.objects.filter(user=user, permission__codename="view_diary").values(
        "content_object_id"
    )


def _groups_of_classes(class_ids: QuerySet) -> QuerySet:
    return TeachingGroup.classes.through.objects.filter(schoolclass_id__in=class_ids).values("teachinggroup_id")


def has_school_perm(user: User, school: School | int, codename: str) -> bool:
    """Whether the user holds ``codename`` on the school (never a global permission)."""
    if not user.is_authenticated:
        return False
    school_id = school if isinstance(school, int) else school.pk
    return SchoolUserObjectPermission.objects.filter(
        user=user, content_object_id=school_id, permission__codename=codename
    ).exists()


def schools_with_perm(user: User, codename: str) -> QuerySet[School]:
    if not user.is_authenticated:
        return School.objects.none()
    return School.objects.filter(pk__in=_school_ids(user, codename))


def schools_for(user: User) -> QuerySet[School]:
    """Every school where the user has a staff role, a child, or is a student."""
    if not user.is_authenticated:
        return School.objects.none()
    return School.objects.filter(
        Q(pk__in=StaffRole.objects.filter(user=user).values("school_id"))
        | Q(pk__in=ParentLink.objects.filter(parent=user).values("student__school_id"))
        | Q(students__user=user)
    ).distinct()


# --- journal pages -------------------------------------------------------------------------------------


def _assigned(
    user: User, group_ref: str, role: str, *, day_ref: str | None = None, day: dt.date | None = None
) -> Exists:
    """An EXISTS over the user's teaching assignments of ``role`` to the outer group, valid on a date:
    the outer row's ``day_ref`` column (a lesson's date), else ``day``, else today in the active time zone.
    This is where a grant's dates are checked, so an ended or future assignment gives nothing."""
    day_value = OuterRef(day_ref) if day_ref else (day or timezone.localdate())
    return Exists(
        TeachingAssignment.objects.filter(
            group_id=OuterRef(group_ref), teacher=user, role=role, start__lte=day_value
        ).filter(Q(end__isnull=True) | Q(end__gte=day_value))
    )


def _teaches(user: User, group_ref: str, on: dt.date | None) -> Q:
    """Main teacher of the group, on ``on`` (default today)."""
    return Q(**{f"{group_ref}__in": _group_ids(user, "teach_group")}) & Q(_assigned(user, group_ref, "main", day=on))


def _substitutes(user: User, group_ref: str, *, day_ref: str | None = None, on: dt.date | None = None) -> Q:
    """Substitute in the group on the given date (a lesson's own date when ``day_ref`` is set)."""
    return Q(**{f"{group_ref}__in": _group_ids(user, "substitute_group")}) & Q(
        _assigned(user, group_ref, "substitute", day_ref=day_ref, day=on)
    )


def groups_for(user: User, action: Action = Action.VIEW, *, on: dt.date | None = None) -> QuerySet[TeachingGroup]:
    """Teaching groups whose journal the user may ``action`` (``on`` a date; today by default).

    VIEW: every group of schools with ``view_all_journals``; groups the user teaches; every group of a
    led class. (A substitute reads only the lessons substituted: see :func:`lessons_for`.)
    EDIT: groups the user teaches, and groups with a substitution on that date.
    PERIOD_MARKS: groups the user teaches (never a substitute, DESIGN.md §4).
    CORRECT: schools with ``correct_journal``. ABSENCE_REASONS: led classes, ``set_absence_reasons``.
    """
    if not user.is_authenticated:
        return TeachingGroup.objects.none()
    if action == Action.VIEW:
        scope = (
            Q(year__school_id__in=_school_ids(user, "view_all_journals"))
            | _teaches(user, "pk", on)
            | Q(pk__in=_groups_of_classes(_led_class_ids(user)))
        )
    elif action == Action.EDIT:
        scope = _teaches(user, "pk", on) | _substitutes(user, "pk", on=on)
    elif action == Action.PERIOD_MARKS:
        scope = _teaches(user, "pk", on)
    elif action == Action.CORRECT:
        scope = Q(year__school_id__in=_school_ids(user, "correct_journal"))
    elif action == Action.ABSENCE_REASONS:
        scope = Q(year__school_id__in=_school_ids(user, "set_absence_reasons")) | Q(
            pk__in=_groups_of_classes(_led_class_ids(user))
        )
    else:  # pragma: no cover - Action is closed
        raise ValueError(action)
    return TeachingGroup.objects.filter(scope)


def get_group_for(user: User, pk: int, action: Action = Action.VIEW) -> TeachingGroup:
    """The group, or 404 when it is out of the user's scope for ``action``."""
    group = groups_for(user, action).select_related("subject", "year__school").filter(pk=pk).first()
    if group is None:
        raise Http404
    return group


def lessons_for(user: User, action: Action = Action.VIEW) -> QuerySet[Lesson]:
    """Lessons the user may ``action``. A substitute reaches (reads and edits) only the lessons dated
    inside their substitution; a main teacher reads every lesson of a group they teach today and edits
    those dated inside their assignment."""
    if not user.is_authenticated:
        return Lesson.objects.none()
    substituted = _substitutes(user, "group_id", day_ref="date")
    if action == Action.EDIT:
        # Assigned today, and the lesson itself dated inside the assignment: a teacher who takes a
        # group over mid-year does not rewrite the predecessor's lessons (that is a deputy's correction).
        scope = (
            _teaches(user, "group_id", None) & Q(_assigned(user, "group_id", "main", day_ref="date"))
        ) | substituted
    elif action == Action.VIEW:
        scope = (
            Q(group__year__school_id__in=_school_ids(user, "view_all_journals"))
            | _teaches(user, "group_id", None)
            | Q(group_id__in=_groups_of_classes(_led_class_ids(user)))
            | substituted
        )
    else:
        return Lesson.objects.filter(group__in=groups_for(user, action))
    return Lesson.objects.filter(scope)


def _write_mode_annotations(user: User) -> dict:
    """What :func:`lesson_write_mode` needs, as annotations of a lesson query (one round trip)."""
    return {
        "wm_locked": Exists(
            PeriodLock.objects.filter(
                school_class__groups=OuterRef("group_id"),
                period__start__lte=OuterRef("date"),
                period__end__gte=OuterRef("date"),
            )
        ),
        "wm_entry": Exists(lessons_for(user, Action.EDIT).filter(pk=OuterRef("pk"))),
        "wm_correction": Exists(groups_for(user, Action.CORRECT).filter(pk=OuterRef("group_id"))),
        # R1 (no marks in the first grade) is asked by every mark write and by the page: read it here too.
        "wm_first_grade": Exists(SchoolClass.objects.filter(groups=OuterRef("group_id"), grade=1)),
    }


def _write_mode(locked: bool, entry: bool, correction: bool) -> str:
    if locked:
        # An archived period: a deputy's correction with a reason, or nothing (issue 6, R23).
        if correction:
            return "correction"
        raise ValidationError(LOCKED_MESSAGE)
    if entry:
        return "entry"
    if correction:
        return "correction"
    raise PermissionDenied(_("You cannot change this journal."))


def lesson_page_mode(user: User, lesson: Lesson) -> str | None:
    """How the lesson page lets ``user`` write: ``"entry"``, ``"correction"`` (a deputy: every change
    asks for a reason; the only way into an archived period) or ``None`` (read-only)."""
    try:
        return lesson_write_mode(user, lesson)
    except (PermissionDenied, ValidationError):
        return None


def lesson_takes_entries(user: User, lesson: Lesson) -> bool:
    """Whether the lesson page is editable for ``user``: its teacher (or the substitute on the day) and a
    period that is not locked. Uses what ``get_lesson_for(..., write_mode=True)`` read."""
    try:
        return lesson_write_mode(user, lesson) == "entry"
    except (PermissionDenied, ValidationError):
        return False


def lesson_write_mode(user: User, lesson: Lesson) -> str:
    """How ``user`` may write on ``lesson``: ``"entry"`` (its teacher, or the substitute on the
    substitution's dates) or ``"correction"`` (a deputy; the services then require a reason).
    Anybody else gets ``PermissionDenied`` — a read-only user cannot write through any service.
    In a locked (archived) period only a deputy's correction is possible; anybody else gets
    ``ValidationError`` (:data:`LOCKED_MESSAGE`).

    A lesson fetched with ``get_lesson_for(..., write_mode=True)`` carries the answer for that user,
    read in the same query; otherwise it is read here."""
    if getattr(lesson, "wm_user_id", None) == user.pk:
        return _write_mode(lesson.wm_locked, lesson.wm_entry, lesson.wm_correction)
    row = Lesson.objects.filter(pk=lesson.pk).annotate(**_write_mode_annotations(user))
    flags = row.values("wm_locked", "wm_entry", "wm_correction", "wm_first_grade").first()
    if flags is None:
        raise PermissionDenied(_("You cannot change this journal."))
    for name, value in flags.items():
        setattr(lesson, name, value)
    lesson.wm_user_id = user.pk
    return _write_mode(flags["wm_locked"], flags["wm_entry"], flags["wm_correction"])


@functools.lru_cache(maxsize=512)
def _lessons_with_write_mode(user_id: int, today: dt.date) -> QuerySet[Lesson]:
    """Lessons annotated with what :func:`lesson_write_mode` asks, for one user on one day (the dates of
    the grants are checked against ``today``). Built once per worker process and (user, day): building
    these nested EXISTS was 3.5 of the 6 CPU-milliseconds of every mark and attendance save (issue 8,
    bench/RESULTS.md). Only the query's shape is kept, never its rows: each use clones it (``filter``) and
    reads the grants from the database as they are now, as Django's class-based views do with their
    ``queryset`` attribute."""
    user = User(pk=user_id)
    return Lesson.objects.select_related("group__subject", "group__year__school", "teacher").annotate(
        **_write_mode_annotations(user)
    )


def get_lesson_for(user: User, pk: int, action: Action = Action.VIEW, *, write_mode: bool = False) -> Lesson:
    """The lesson, or 404 when it is out of the user's scope for ``action``; with ``write_mode`` it also
    carries what the write services ask :func:`lesson_write_mode` (read in the same query)."""
    if not (write_mode and action == Action.VIEW):
        lessons = lessons_for(user, action).select_related("group__subject", "group__year__school", "teacher")
        if write_mode:
            lessons = lessons.annotate(**_write_mode_annotations(user))
        lesson = lessons.filter(pk=pk).first()
        if lesson is None:
            raise Http404
        if write_mode:
            lesson.wm_user_id = user.pk
        return lesson
    # The write endpoints: whoever may enter marks on the lesson may read it (lessons_for's EDIT scope is
    # inside its VIEW scope), so the wider VIEW query is asked only of everybody else — a reader who
    # posts (403 from the service) or a stranger (404). The common write costs one query.
    if not user.is_authenticated:
        raise Http404
    lesson = _lessons_with_write_mode(user.pk, timezone.localdate()).filter(pk=pk).first()
    if lesson is None:
        raise Http404
    if not lesson.wm_entry and not lessons_for(user, Action.VIEW).filter(pk=pk).exists():
        raise Http404
    lesson.wm_user_id = user.pk
    return lesson


# --- classes and students ------------------------------------------------------------------------------


def classes_for(user: User, *, lead_only: bool = False) -> QuerySet[SchoolClass]:
    """Classes the user may look at as a whole: led classes, or every class of schools they oversee."""
    if not user.is_authenticated:
        return SchoolClass.objects.none()
    scope = Q(pk__in=_led_class_ids(user))
    if not lead_only:
        scope |= Q(year__school_id__in=_school_ids(user, "view_personal_data"))
    return SchoolClass.objects.filter(scope)


def get_class_for(user: User, pk: int, *, lead_only: bool = False) -> SchoolClass:
    school_class = classes_for(user, lead_only=lead_only).select_related("year__school").filter(pk=pk).first()
    if school_class is None:
        raise Http404
    return school_class


def _leads_or_holds(user: User, school_class: SchoolClass, codename: str) -> bool:
    if not user.is_authenticated:
        return False
    return (
        _led_class_ids(user).filter(content_object_id=school_class.pk).exists()
        or _school_ids(user, codename).filter(content_object_id=school_class.year.school_id).exists()
    )


def can_edit_class_people(user: User, school_class: SchoolClass) -> bool:
    """Whether the user keeps the personal data and the consent registry of the class (R15, R16): its
    class teacher, or school staff with ``edit_personal_data``."""
    return _leads_or_holds(user, school_class, "edit_personal_data")


def can_issue_credentials(user: User, school_class: SchoolClass) -> bool:
    """Whether the user hands out logins and one-time passwords to the class's families (R17): its class
    teacher, or the school's administrator (``manage_accounts``)."""
    return _leads_or_holds(user, school_class, "manage_accounts")


def can_set_absence_reasons(user: User, school_class: SchoolClass) -> bool:
    """Whether the user records absence reasons of the class (R8): its class teacher or a deputy."""
    return _leads_or_holds(user, school_class, "set_absence_reasons")


def students_for(user: User, action: StudentAction = StudentAction.DIARY) -> QuerySet[Student]:
    """Students the user may ``action``.

    DIARY: own children and oneself. PERSONAL_VIEW: the school (``view_personal_data``), the led class,
    members of own groups (read), own children, oneself. PERSONAL_EDIT: the school
    (``edit_personal_data``) and the led class. ENROLL: the school (``manage_enrollment``).
    CREDENTIALS: the led class and the school (``manage_accounts``, the administrator) — R17.
    """
    if not user.is_authenticated:
        return Student.objects.none()
    today = timezone.localdate()
    # Students enrolled in a led class today (one Q, so the three conditions bind to the same enrollment).
    led_students = Q(
        Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=today),
        enrollments__school_class_id__in=_led_class_ids(user),
        enrollments__start__lte=today,
    )
    if action == StudentAction.DIARY:
        scope = Q(pk__in=_diary_student_ids(user))
    elif action == StudentAction.PERSONAL_VIEW:
        scope = (
            Q(school_id__in=_school_ids(user, "view_personal_data"))
            | led_students
            | Q(memberships__group_id__in=_group_ids(user, "teach_group"))
            | Q(pk__in=_diary_student_ids(user))
        )
    elif action == StudentAction.PERSONAL_EDIT:
        scope = Q(school_id__in=_school_ids(user, "edit_personal_data")) | led_students
    elif action == StudentAction.ENROLL:
        scope = Q(school_id__in=_school_ids(user, "manage_enrollment"))
    elif action == StudentAction.CREDENTIALS:
        scope = Q(school_id__in=_school_ids(user, "manage_accounts")) | led_students
    else:  # pragma: no cover
        raise ValueError(action)
    return Student.objects.filter(pk__in=Student.objects.filter(scope).values("pk"))


def get_student_for(user: User, pk: int, action: StudentAction = StudentAction.DIARY) -> Student:
    student = students_for(user, action).select_related("school").filter(pk=pk).first()
    if student is None:
        raise Http404
    return student


# --- who the user is, for the home page ---------------------------------------------------------------


@dataclass
class UserRoles:
    """The roles a user holds, school by school; the home page shows one panel per role."""

    staff: dict[int, set[str]] = field(default_factory=dict)  # school id → {"director", …}
    schools: dict[int, School] = field(default_factory=dict)
    teaches: bool = False
    substitutes: bool = False
    led_class_ids: list[int] = field(default_factory=list)
    child_ids: list[int] = field(default_factory=list)
    student_id: int | None = None

    def has(self, role: str) -> bool:
        return any(role in roles for roles in self.staff.values())

    @property
    def is_parent(self) -> bool:
        return bool(self.child_ids)

    @property
    def is_student(self) -> bool:
        return self.student_id is not None

    @property
    def is_class_teacher(self) -> bool:
        return bool(self.led_class_ids)


def roles_of(user: User, *, today: dt.date | None = None) -> UserRoles:
    """Everything the home page needs to know about who the user is, in a handful of queries."""
    roles = UserRoles()
    if not user.is_authenticated:
        return roles
    for staff_role in StaffRole.objects.filter(user=user).select_related("school"):
        roles.staff.setdefault(staff_role.school_id, set()).add(staff_role.role)
        roles.schools[staff_role.school_id] = staff_role.school
    group_perms = set(
        TeachingGroupUserObjectPermission.objects.filter(user=user).values_list("permission__codename", flat=True)
    )
    roles.teaches = "teach_group" in group_perms
    if "substitute_group" in group_perms:
        subs = TeachingAssignment.objects.filter(teacher=user, role="substitute")
        if today:
            subs = subs.filter(end__gte=today)
        roles.substitutes = subs.exists()
    roles.led_class_ids = list(_led_class_ids(user).values_list("content_object_id", flat=True))
    roles.child_ids = list(
        ParentLink.objects.filter(parent=user, student__in=_diary_student_ids(user)).values_list(
            "student_id", flat=True
        )
    )
    student = Student.objects.filter(user=user).values_list("pk", "school_id").first()
    if student:
        roles.student_id = student[0]
    return roles


# --- messages and announcements (messaging/) -------------------------------------------------------------

# Who parents may always write to, and who may announce to the whole school or its staff.
ADMINISTRATION = (Role.DIRECTOR, Role.DEPUTY, Role.ADMINISTRATOR)


def in_force_on(day: dt.date) -> Q:
    """A dated row (membership, enrollment, assignment) that is in force on ``day``."""
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def _teachers_of(student_ids: QuerySet, day: dt.date) -> QuerySet:
    """User ids of the teachers (main or substitute) teaching the students' groups on ``day``."""
    groups = GroupMembership.objects.filter(in_force_on(day), student_id__in=student_ids).values("group_id")
    return TeachingAssignment.objects.filter(in_force_on(day), group_id__in=groups).values("teacher_id")


def _class_teachers_of(student_ids: QuerySet, day: dt.date) -> QuerySet:
    """User ids of the class teachers of the classes the students are enrolled in on ``day``."""
    classes = Enrollment.objects.filter(in_force_on(day), student_id__in=student_ids).values("school_class_id")
    return SchoolClass.objects.filter(pk__in=classes, class_teacher__isnull=False).values("class_teacher_id")


def message_recipients_for(user: User, *, on: dt.date | None = None) -> QuerySet[User]:
    """Whom ``user`` may start a conversation with (DESIGN.md §4, "messages"), on ``on`` (today):

    * a parent — the teachers of their children's groups, the children's class teachers, and the
      director, deputies and administrators of the children's schools;
    * a student (own login) — their own teachers and class teacher;
    * staff — the staff of their schools, and the students and parents of the groups they teach and the
      classes they lead; the administration (director, deputy, administrator) — of their whole school.

    Never anybody of another school, never oneself, never an inactive account. Replies inside a thread
    are open to its participants whatever this says. One query when evaluated."""
    if not user.is_authenticated:
        return User.objects.none()
    day = on or timezone.localdate()
    children = ParentLink.objects.filter(parent=user, student__in=_diary_student_ids(user)).values("student_id")
    own = Student.objects.filter(user=user).values("pk")
    staff_schools = StaffRole.objects.filter(user=user).values("school_id")
    admin_schools = StaffRole.objects.filter(user=user, role__in=ADMINISTRATION).values("school_id")
    taught = TeachingAssignment.objects.filter(in_force_on(day), teacher=user).values("group_id")
    pupils = (
        Q(pk__in=GroupMembership.objects.filter(in_force_on(day), group_id__in=taught).values("student_id"))
        | Q(
            pk__in=Enrollment.objects.filter(in_force_on(day), school_class_id__in=_led_class_ids(user)).values(
                "student_id"
            )
        )
        | Q(
            pk__in=Enrollment.objects.filter(in_force_on(day), school_class__year__school_id__in=admin_schools).values(
                "student_id"
            )
        )
    )
    pupil_ids = Student.objects.filter(pupils).values("pk")
    children_schools = Student.objects.filter(pk__in=children).values("school_id")
    scope = (
        Q(pk__in=_teachers_of(children, day))
        | Q(pk__in=_class_teachers_of(children, day))
        | Q(pk__in=StaffRole.objects.filter(school_id__in=children_schools, role__in=ADMINISTRATION).values("user_id"))
        | Q(pk__in=_teachers_of(own, day))
        | Q(pk__in=_class_teachers_of(own, day))
        | Q(pk__in=StaffRole.objects.filter(school_id__in=staff_schools).values("user_id"))
        | Q(pk__in=ParentLink.objects.filter(student_id__in=pupil_ids).values("parent_id"))
        | Q(pk__in=Student.objects.filter(pk__in=pupil_ids, user__isnull=False).values("user_id"))
    )
    return User.objects.filter(scope, is_active=True).exclude(pk=user.pk)


def announcement_schools_for(user: User) -> QuerySet[School]:
    """Schools the user may announce to as a whole (or to their staff): the administration's."""
    if not user.is_authenticated:
        return School.objects.none()
    return School.objects.filter(
        pk__in=StaffRole.objects.filter(user=user, role__in=ADMINISTRATION).values("school_id")
    )


def announcement_classes_for(user: User) -> QuerySet[SchoolClass]:
    """Classes whose parents and students the user may announce to: the led classes, and every class of
    a school the user runs (director, deputy, administrator)."""
    if not user.is_authenticated:
        return SchoolClass.objects.none()
    return SchoolClass.objects.filter(
        Q(pk__in=_led_class_ids(user)) | Q(year__school_id__in=announcement_schools_for(user).values("pk"))
    )


def staff_schools_for(user: User) -> QuerySet[School]:
    """Schools where the user holds any staff role (announcements to the staff reach them)."""
    if not user.is_authenticated:
        return School.objects.none()
    return School.objects.filter(pk__in=StaffRole.objects.filter(user=user).values("school_id"))


def diary_parent_links() -> QuerySet[ParentLink]:
    """Parent links whose parent still holds the child's diary grant (the daily digest goes only there)."""
    return ParentLink.objects.filter(
        Exists(
            StudentUserObjectPermission.objects.filter(
                user_id=OuterRef("parent_id"),
                content_object_id=OuterRef("student_id"),
                permission__codename="view_diary",
            )
        )
    )


# --- reports (issue 5) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """What reports a user may run and read (R20–R22): every report of the schools they oversee
    (``view_reports``: director, deputy, administrator), the class reports of the classes they lead, and
    the monthly analysis of their own groups. Parents and students: nothing."""

    school_ids: frozenset[int] = frozenset()  # whole-school reports
    class_ids: frozenset[int] = frozenset()  # class reports of led classes
    class_school_ids: frozenset[int] = frozenset()  # the schools of those classes
    teacher_school_ids: frozenset[int] = frozenset()  # schools where the user teaches a group this year

    @property
    def any(self) -> bool:
        return bool(self.school_ids or self.class_ids or self.teacher_school_ids)


def report_scope(user: User) -> ReportScope:
    """Three small queries; the report pages ask nothing else about who the user is."""
    if not user.is_authenticated:
        return ReportScope()
    school_ids = frozenset(_school_ids(user, "view_reports").values_list("content_object_id", flat=True))
    led = list(SchoolClass.objects.filter(pk__in=_led_class_ids(user)).values_list("pk", "year__school_id"))
    teaching = frozenset(
        TeachingGroup.objects.filter(pk__in=_group_ids(user, "teach_group")).values_list("year__school_id", flat=True)
    )
    return ReportScope(
        school_ids=school_ids,
        class_ids=frozenset(pk for pk, _school in led),
        class_school_ids=frozenset(school for _pk, school in led),
        teacher_school_ids=teaching,
    )


@dataclass(frozen=True)
class ArchiveScope:
    """Which schools' archive a user may see and run (issue 6, R23–R26): the registry is read by those
    who keep, produce or sign it (secretary, deputy, director, administrator); copies are produced by a
    deputy or the administrator; backups are made and restored by the administrator, whose page the
    secretary reads too (the registry of backup use). Teachers, parents and students: nothing."""

    view: frozenset[int] = frozenset()
    produce: frozenset[int] = frozenset()
    backups: frozenset[int] = frozenset()
    backup_registry: frozenset[int] = frozenset()


ARCHIVE_CODENAMES = ("produce_archive", "sign_archive", "register_archive", "manage_backups", "view_backup_registry")


def archive_scope(user: User) -> ArchiveScope:
    """One query."""
    if not user.is_authenticated:
        return ArchiveScope()
    held: dict[str, set[int]] = {codename: set() for codename in ARCHIVE_CODENAMES}
    rows = SchoolUserObjectPermission.objects.filter(user=user, permission__codename__in=ARCHIVE_CODENAMES).values_list(
        "permission__codename", "content_object_id"
    )
    for codename, school_id in rows:
        held[codename].add(int(school_id))
    return ArchiveScope(
        view=frozenset(held["produce_archive"] | held["sign_archive"] | held["register_archive"]),
        produce=frozenset(held["produce_archive"]),
        backups=frozenset(held["manage_backups"]),
        backup_registry=frozenset(held["manage_backups"] | held["view_backup_registry"]),
    )


@dataclass(frozen=True)
class OfficeScope:
    """Which schools' set-up a user may run (issue 7; DESIGN.md §4): the year, structure, timetable and
    substitutions (``manage_year``: deputy, administrator), enrollment and rollover (``manage_enrollment``:
    director, deputy, administrator, secretary), staff accounts (``manage_staff_accounts``: administrator,
    secretary), all accounts and credential leaks (``manage_accounts``: administrator), voiding operations
    after a leak (``correct_journal``: deputy). Teachers, parents and students: nothing."""

    year: frozenset[int] = frozenset()
    enrollment: frozenset[int] = frozenset()
    staff_accounts: frozenset[int] = frozenset()
    accounts: frozenset[int] = frozenset()
    correct: frozenset[int] = frozenset()

    @property
    def any(self) -> frozenset[int]:
        return self.year | self.enrollment | self.staff_accounts | self.accounts | self.correct


OFFICE_CODENAMES = {
    "manage_year": "year",
    "manage_enrollment": "enrollment",
    "manage_staff_accounts": "staff_accounts",
    "manage_accounts": "accounts",
    "correct_journal": "correct",
}


def office_scope(user: User) -> OfficeScope:
    """One query."""
    if not user.is_authenticated:
        return OfficeScope()
    held: dict[str, set[int]] = {field: set() for field in OFFICE_CODENAMES.values()}
    rows = SchoolUserObjectPermission.objects.filter(
        user=user, permission__codename__in=list(OFFICE_CODENAMES)
    ).values_list("permission__codename", "content_object_id")
    for codename, school_id in rows:
        held[OFFICE_CODENAMES[codename]].add(int(school_id))
    return OfficeScope(**{field: frozenset(ids) for field, ids in held.items()})
