"""School structure and the lessons of the journal (DESIGN.md §3).

Every row belongs to exactly one school, directly (``school``) or through its parent (a class through
its academic year, a lesson through its teaching group). Invariants that span rows (a lesson inside its
year, a period inside its year, enrollments of one student that do not overlap) are enforced by the
database on PostgreSQL (migration ``0002_postgres_integrity``) and validated in ``clean()`` / services
with a Russian message everywhere.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if tz.startswith(("Europe/", "Asia/")))


class School(models.Model):
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Moscow")
    address = models.CharField(_("address"), max_length=300, blank=True)
    director_name = models.CharField(_("director (full name)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]
        default_permissions = ("view", "change")
        # School-wide staff hold these on the School object, never globally (DESIGN.md §4).
        permissions = [
            ("view_all_journals", _("Read every journal of the school")),
            ("correct_journal", _("Correct journal entries with a reason")),
            ("set_absence_reasons", _("Set absence reasons")),
            ("view_personal_data", _("Read students' and parents' personal data")),
            ("edit_personal_data", _("Edit students' and parents' personal data")),
            ("manage_enrollment", _("Admit, transfer and graduate students")),
            ("manage_year", _("Set up the year, timetable and substitutions")),
            ("manage_subgroups", _("Form subgroups")),
            ("manage_accounts", _("Manage accounts and credential slips")),
            ("manage_staff_accounts", _("Issue staff credentials")),
            ("view_reports", _("Run control and period reports")),
            ("produce_archive", _("Produce archive copies")),
            ("sign_archive", _("Sign archive copies")),
            ("register_archive", _("Keep the archive registry")),
            ("manage_backups", _("Make and restore backups")),
            ("view_backup_registry", _("Keep the registry of backups")),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> dt.date:
        """Today's date in the school's own time zone."""
        return dt.datetime.now(self.tzinfo).date()


class AcademicYear(models.Model):
    school = models.ForeignKey(School, models.CASCADE, related_name="years", verbose_name=_("school"))
    name = models.CharField(_("name"), max_length=20, help_text=_("For example 2026/2027"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        ordering = ["school", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="year_unique_name"),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="year_start_before_end"),
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", _("quarter")
    TRIMESTER = "trimester", _("trimester")
    HALF = "half", _("half-year")
    YEAR = "year", _("year")


class StudyPeriod(models.Model):
    """A quarter, trimester, half or the whole year. A class follows one scheme (its ``period_kind``)."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, related_name="periods", verbose_name=_("academic year"))
    kind = models.CharField(_("kind"), max_length=10, choices=PeriodKind.choices)
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    marks_deadline = models.DateField(_("period marks deadline"), null=True, blank=True)

    class Meta:
        verbose_name = _("study period")
        verbose_name_plural = _("study periods")
        ordering = ["year", "kind", "number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind", "number"], name="period_unique_number"),
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="period_start_before_end"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=4), name="period_number_range"),
        ]

    def __str__(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return str(_("year"))
        return f"{self.number} {self.get_kind_display()}"

    def clean(self) -> None:
        if self.year_id and not (self.year.start <= self.start and self.end <= self.year.end):
            raise ValidationError(_("The period must lie inside its academic year."))


class HolidayKind(models.TextChoices):
    VACATION = "vacation", _("vacation")
    HOLIDAY = "holiday", _("public holiday")
    QUARANTINE = "quarantine", _("quarantine")


class Holiday(models.Model):
    """Days without lessons: vacations, public holidays, quarantine; optionally for some grades only."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, related_name="holidays", verbose_name=_("academic year"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=HolidayKind.choices, default=HolidayKind.VACATION)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    grade_from = models.PositiveSmallIntegerField(_("from grade"), null=True, blank=True)
    grade_to = models.PositiveSmallIntegerField(_("to grade"), null=True, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["year", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="holiday_start_before_end"),
        ]
        indexes = [models.Index(fields=["year", "start", "end"], name="holiday_year_dates")]

    def __str__(self) -> str:
        return f"{self.name} ({self.start:%d.%m}–{self.end:%d.%m})"

    def clean(self) -> None:
        if (
            self.year_id
            and self.start
            and self.end
            and not (self.year.start <= self.start and self.end <= self.year.end)
        ):
            raise ValidationError(_("The holiday must lie inside its academic year."))

    def applies_to_grade(self, grade: int) -> bool:
        return (self.grade_from is None or grade >= self.grade_from) and (
            self.grade_to is None or grade <= self.grade_to
        )


class SchoolClass(models.Model):
    year = models.ForeignKey(AcademicYear, models.CASCADE, related_name="classes", verbose_name=_("academic year"))
    grade = models.PositiveSmallIntegerField(_("grade"), validators=[MinValueValidator(1), MaxValueValidator(11)])
    letter = models.CharField(_("letter"), max_length=3)
    class_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_classes",
        verbose_name=_("class teacher"),
    )
    period_kind = models.CharField(
        _("period scheme"),
        max_length=10,
        choices=[c for c in PeriodKind.choices if c[0] != PeriodKind.YEAR],
        default=PeriodKind.QUARTER,
    )

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["year", "grade", "letter"]
        default_permissions = ("add", "change", "delete", "view")
        permissions = [("lead_class", _("Class teacher of the class"))]
        constraints = [
            models.UniqueConstraint(fields=["year", "grade", "letter"], name="class_unique_name"),
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=11), name="class_grade_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"

    @property
    def has_marks(self) -> bool:
        """R1: no marks in grade 1."""
        return self.grade > 1


class PeriodLock(models.Model):
    """A class's journal for a period is archived and closed (issue 6, R23). Its lessons, marks, absences,
    topics and period marks then take no entries; a deputy changes them only as a correction with a
    reason, which the history records (R4) and which makes the archived copy out of date."""

    period = models.ForeignKey(StudyPeriod, models.CASCADE, related_name="locks", verbose_name=_("study period"))
    school_class = models.ForeignKey(SchoolClass, models.CASCADE, related_name="period_locks", verbose_name=_("class"))
    locked_at = models.DateTimeField(_("locked at"), auto_now_add=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("locked by")
    )

    class Meta:
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")
        constraints = [models.UniqueConstraint(fields=["period", "school_class"], name="period_lock_unique")]

    def __str__(self) -> str:
        return f"{self.school_class} {self.period}"


class Sex(models.TextChoices):
    MALE = "m", _("male")
    FEMALE = "f", _("female")


class MedicalGroup(models.TextChoices):
    MAIN = "main", _("main")
    PREPARATORY = "preparatory", _("preparatory")
    SPECIAL = "special", _("special")
    EXEMPT = "exempt", _("exempt from physical education")


class Student(models.Model):
    """A child, persistent across years; where they study at a date is their ``Enrollment``."""

    school = models.ForeignKey(School, models.CASCADE, related_name="students", verbose_name=_("school"))
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    personal_file_number = models.CharField(_("personal file number"), max_length=30)
    medical_group = models.CharField(
        _("medical group"), max_length=12, choices=MedicalGroup.choices, default=MedicalGroup.MAIN
    )
    address = models.CharField(_("home address"), max_length=300, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="student_profile",
        verbose_name=_("student's own login"),
    )

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["last_name", "first_name", "patronymic"]
        default_permissions = ("add", "change", "delete", "view")
        permissions = [("view_diary", _("Read the diary of the student"))]
        constraints = [
            models.UniqueConstraint(fields=["school", "personal_file_number"], name="student_unique_file_number"),
        ]
        indexes = [models.Index(fields=["school", "last_name", "first_name"], name="student_school_name")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def short_name(self) -> str:
        """«Иванов Пётр» — how the journal lists a student."""
        return f"{self.last_name} {self.first_name}"


class EnrollmentReason(models.TextChoices):
    ADMITTED = "admitted", _("admitted")
    TRANSFERRED = "transferred", _("transferred")
    PROMOTED = "promoted", _("promoted to the next grade")
    RETAINED = "retained", _("retained in the grade")
    LEFT = "left", _("left the school")
    GRADUATED = "graduated", _("graduated")


class Enrollment(models.Model):
    """The student studies in ``school_class`` from ``start`` to ``end`` inclusive (open when empty).

    One student's enrollments never overlap (an exclusion constraint on PostgreSQL).
    """

    student = models.ForeignKey(Student, models.CASCADE, related_name="enrollments", verbose_name=_("student"))
    school_class = models.ForeignKey(SchoolClass, models.PROTECT, related_name="enrollments", verbose_name=_("class"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)
    reason = models.CharField(
        _("reason of admission"), max_length=12, choices=EnrollmentReason.choices, default=EnrollmentReason.ADMITTED
    )
    order_number = models.CharField(_("order number"), max_length=50, blank=True)
    end_reason = models.CharField(_("reason of leaving"), max_length=12, choices=EnrollmentReason.choices, blank=True)
    end_order_number = models.CharField(_("order number of leaving"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["student", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="enrollment_start_before_end"
            ),
        ]
        indexes = [
            models.Index(fields=["school_class", "start", "end"], name="enrollment_class_dates"),
            models.Index(fields=["student", "start"], name="enrollment_student_start"),
        ]

    def __str__(self) -> str:
        return f"{self.student} — {self.school_class} ({self.start:%d.%m.%Y}–{self.end or '…'})"

    def is_active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Assessment(models.TextChoices):
    GRADED = "graded", _("marks 1–5")
    PASS_FAIL = "pass_fail", _("pass / fail")


class SubjectKind(models.TextChoices):
    REGULAR = "regular", _("compulsory")
    ELECTIVE = "elective", _("elective")
    EXTRACURRICULAR = "extracurricular", _("extracurricular activity")
    ADDITIONAL = "additional", _("additional education")
    HOME = "home", _("home schooling")


class Subject(models.Model):
    school = models.ForeignKey(School, models.CASCADE, related_name="subjects", verbose_name=_("school"))
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=30)
    assessment = models.CharField(_("assessment"), max_length=10, choices=Assessment.choices, default=Assessment.GRADED)
    kind = models.CharField(_("kind"), max_length=16, choices=SubjectKind.choices, default=SubjectKind.REGULAR)
    allows_double_mark = models.BooleanField(
        _("two marks in one cell"), default=False, help_text=_("«4/3» for Russian language and literature (R2)")
    )

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["school", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="subject_unique_name")]

    def __str__(self) -> str:
        return self.name


class GroupKind(models.TextChoices):
    WHOLE_CLASS = "class", _("whole class")
    SUBGROUP = "subgroup", _("subgroup")
    STREAM = "stream", _("stream across classes")
    INDIVIDUAL = "individual", _("individual plan")


class TeachingGroup(models.Model):
    """One subject taught to one set of students: the unit a journal page belongs to."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, related_name="groups", verbose_name=_("academic year"))
    subject = models.ForeignKey(Subject, models.PROTECT, related_name="groups", verbose_name=_("subject"))
    kind = models.CharField(_("kind"), max_length=10, choices=GroupKind.choices, default=GroupKind.WHOLE_CLASS)
    classes = models.ManyToManyField(SchoolClass, related_name="groups", verbose_name=_("classes"))
    name = models.CharField(_("name"), max_length=200, help_text=_("For example «5А, английский, группа 1»"))
    subgroup_number = models.PositiveSmallIntegerField(_("subgroup number"), null=True, blank=True)
    hours_per_week = models.DecimalField(_("hours per week"), max_digits=4, decimal_places=1, default=1)

    class Meta:
        verbose_name = _("teaching group")
        verbose_name_plural = _("teaching groups")
        ordering = ["year", "name"]
        default_permissions = ("add", "change", "delete", "view")
        permissions = [
            ("teach_group", _("Keep the journal of the group")),
            ("substitute_group", _("Substitute in the group (dates of the substitution)")),
        ]
        indexes = [models.Index(fields=["year", "subject"], name="group_year_subject")]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """The student belongs to the group from ``start`` to ``end`` (open when empty)."""

    group = models.ForeignKey(TeachingGroup, models.CASCADE, related_name="memberships", verbose_name=_("group"))
    student = models.ForeignKey(Student, models.CASCADE, related_name="memberships", verbose_name=_("student"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["group", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="membership_start_before_end"
            ),
        ]
        indexes = [
            models.Index(fields=["group", "start", "end"], name="membership_group_dates"),
            models.Index(fields=["student", "start", "end"], name="membership_student_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.student} ∈ {self.group}"


class AssignmentRole(models.TextChoices):
    MAIN = "main", _("main teacher")
    SUBSTITUTE = "substitute", _("substitute")


class TeachingAssignment(models.Model):
    """Тарификация: who teaches a group, from when to when; substitutions are date-bounded (R12)."""

    group = models.ForeignKey(TeachingGroup, models.CASCADE, related_name="assignments", verbose_name=_("group"))
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="assignments", verbose_name=_("teacher")
    )
    role = models.CharField(_("role"), max_length=10, choices=AssignmentRole.choices, default=AssignmentRole.MAIN)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)
    replaces = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("teaching assignment")
        verbose_name_plural = _("teaching assignments")
        ordering = ["group", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="assignment_start_before_end"
            ),
            models.CheckConstraint(condition=Q(role="main") | Q(end__isnull=False), name="substitution_has_end"),
        ]
        indexes = [
            models.Index(fields=["teacher", "start", "end"], name="assignment_teacher_dates"),
            models.Index(fields=["group", "role"], name="assignment_group_role"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} → {self.group}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Bell(models.Model):
    school = models.ForeignKey(School, models.CASCADE, related_name="bells", verbose_name=_("school"))
    number = models.PositiveSmallIntegerField(_("lesson number"))
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("bell")
        verbose_name_plural = _("bell schedule")
        ordering = ["school", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="bell_unique_number"),
            models.CheckConstraint(condition=Q(start_time__lt=models.F("end_time")), name="bell_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")


class TimetableSlot(models.Model):
    group = models.ForeignKey(TeachingGroup, models.CASCADE, related_name="slots", verbose_name=_("group"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    number = models.PositiveSmallIntegerField(_("lesson number"))
    room = models.CharField(_("room"), max_length=30, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("timetable slot")
        verbose_name_plural = _("timetable")
        ordering = ["group", "weekday", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=1, weekday__lte=6), name="slot_weekday_range"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="slot_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["weekday", "number"], name="slot_weekday_number")]

    def __str__(self) -> str:
        return f"{self.group}: {self.get_weekday_display()}, {self.number}"


class PlanItem(models.Model):
    """An item of the calendar-thematic plan (КТП) of a group (R10)."""

    group = models.ForeignKey(TeachingGroup, models.CASCADE, related_name="plan_items", verbose_name=_("group"))
    ordinal = models.PositiveIntegerField(_("number"))
    topic = models.CharField(_("topic"), max_length=500)
    hours = models.PositiveSmallIntegerField(_("hours"), default=1)
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    is_control_work = models.BooleanField(_("control work"), default=False)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("calendar-thematic plan")
        ordering = ["group", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["group", "ordinal"], name="plan_item_unique_ordinal")]

    def __str__(self) -> str:
        return f"{self.ordinal}. {self.topic}"


class LessonStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class Lesson(models.Model):
    """One lesson of a group on a date. Always inside the group's academic year (checked on PostgreSQL)."""

    group = models.ForeignKey(TeachingGroup, models.CASCADE, related_name="lessons", verbose_name=_("group"))
    date = models.DateField(_("date"))
    number = models.PositiveSmallIntegerField(_("lesson number"))
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons_taught",
        verbose_name=_("teacher who taught"),
    )
    is_substitution = models.BooleanField(_("substitution"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=LessonStatus.choices, default=LessonStatus.PLANNED)
    topic = models.CharField(_("topic"), max_length=500, blank=True)
    plan_item = models.ForeignKey(
        PlanItem, models.SET_NULL, null=True, blank=True, related_name="lessons", verbose_name=_("plan item")
    )
    room = models.CharField(_("room"), max_length=30, blank=True)
    # A transferred lesson remembers where it was (issue 7): the diary says «перенесён с …».
    moved_from_date = models.DateField(_("moved from date"), null=True, blank=True)
    moved_from_number = models.PositiveSmallIntegerField(_("moved from lesson number"), null=True, blank=True)
    status_note = models.CharField(
        _("note on the change"), max_length=300, blank=True, help_text=_("Why it was cancelled or moved")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "date", "number"], name="lesson_unique_slot"),
        ]
        indexes = [
            models.Index(fields=["teacher", "date"], name="lesson_teacher_date"),
            models.Index(fields=["date"], name="lesson_date"),
        ]

    def __str__(self) -> str:
        return f"{self.group} — {self.date:%d.%m.%Y}, {self.number}"


class Homework(models.Model):
    """Homework given on ``lesson`` (R11); may be set ahead for a future lesson."""

    lesson = models.ForeignKey(Lesson, models.CASCADE, related_name="homework", verbose_name=_("lesson"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    text = models.TextField(_("assignment"))
    pages = models.CharField(_("pages"), max_length=100, blank=True)
    exercises = models.CharField(_("exercises"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("homework")
        verbose_name_plural = _("homework")
        ordering = ["lesson", "id"]
        indexes = [models.Index(fields=["due_date"], name="homework_due_date")]

    def __str__(self) -> str:
        return self.text[:60]


def homework_upload_to(instance: HomeworkAttachment, filename: str) -> str:
    return f"homework/{instance.homework.lesson.group_id}/{filename}"


class HomeworkAttachment(models.Model):
    homework = models.ForeignKey(Homework, models.CASCADE, related_name="attachments", verbose_name=_("homework"))
    file = models.FileField(_("file"), upload_to=homework_upload_to)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size, bytes"))
    content_type = models.CharField(_("file type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("homework attachment")
        verbose_name_plural = _("homework attachments")

    def __str__(self) -> str:
        return self.original_name


class NoteKind(models.TextChoices):
    REMARK = "remark", _("remark")
    PRAISE = "praise", _("praise")
    MESSAGE = "message", _("message to parents")


class LessonNote(models.Model):
    """A remark, praise or message to parents about a student at a lesson (R14)."""

    lesson = models.ForeignKey(Lesson, models.CASCADE, related_name="notes", verbose_name=_("lesson"))
    student = models.ForeignKey(Student, models.CASCADE, related_name="lesson_notes", verbose_name=_("student"))
    kind = models.CharField(_("kind"), max_length=10, choices=NoteKind.choices, default=NoteKind.REMARK)
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lesson note")
        verbose_name_plural = _("lesson notes")
        ordering = ["lesson", "created_at"]
        indexes = [models.Index(fields=["student", "lesson"], name="note_student_lesson")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:40]}"


class DiaryAcknowledgement(models.Model):
    """A parent confirmed «ознакомлен(а)» with a child's diary week (R19). One per parent, child and week."""

    student = models.ForeignKey(Student, models.CASCADE, related_name="acknowledgements", verbose_name=_("student"))
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="acknowledgements", verbose_name=_("parent")
    )
    week_start = models.DateField(_("week (Monday)"))
    at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("diary acknowledgement")
        verbose_name_plural = _("diary acknowledgements")
        ordering = ["student", "-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["student", "parent", "week_start"], name="acknowledgement_unique_week"),
            models.CheckConstraint(condition=Q(week_start__week_day=2), name="acknowledgement_week_starts_monday"),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.week_start:%d.%m.%Y}"
