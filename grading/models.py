"""Work types, mark columns, marks, period marks and the append-only history of every change (R2–R4, R7).

Only the services in ``grading/services.py`` and ``grading/history.py`` write these rows, and every write
appends a ``JournalEvent`` in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from journal.models import Lesson, School, Student, StudyPeriod, Subject, TeachingGroup


class WorkType(models.Model):
    """Oral answer, test, dictation, lab work… with its weight in the weighted average (R3)."""

    school = models.ForeignKey(School, models.CASCADE, related_name="work_types", verbose_name=_("school"))
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=20)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    is_control_work = models.BooleanField(_("control work"), default=False)
    is_written = models.BooleanField(_("written work"), default=False)
    check_days_junior = models.PositiveSmallIntegerField(
        _("days to check, grades 2–9"), default=0, help_text=_("0 — the mark is due on the day of the lesson (R5)")
    )
    check_days_senior = models.PositiveSmallIntegerField(_("days to check, grades 10–11"), default=0)
    subjects = models.ManyToManyField(
        Subject, blank=True, related_name="work_types", verbose_name=_("subjects"), help_text=_("Empty — every subject")
    )
    ordering_number = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("work type")
        verbose_name_plural = _("work types")
        ordering = ["school", "ordering_number", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="work_type_unique_name"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=10), name="work_type_weight_range"),
        ]

    def __str__(self) -> str:
        return self.name


class MarkColumn(models.Model):
    """A column of the journal: one named piece of work at one lesson (R3)."""

    lesson = models.ForeignKey(Lesson, models.CASCADE, related_name="mark_columns", verbose_name=_("lesson"))
    work_type = models.ForeignKey(WorkType, models.PROTECT, related_name="columns", verbose_name=_("work type"))
    title = models.CharField(_("title"), max_length=300, blank=True)
    is_correction = models.BooleanField(
        _("correction column"), default=False, help_text=_("For students absent at the control work (R3)")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mark column")
        verbose_name_plural = _("mark columns")
        ordering = ["lesson", "id"]
        indexes = [models.Index(fields=["lesson"], name="column_lesson")]

    def __str__(self) -> str:
        return self.title or self.work_type.name


class MarkCode(models.TextChoices):
    """A result that is not a number (R2)."""

    NONE = "", _("mark 1–5")
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    EXEMPT = "exempt", _("exempt (осв.)")


class Mark(models.Model):
    column = models.ForeignKey(MarkColumn, models.CASCADE, related_name="marks", verbose_name=_("column"))
    student = models.ForeignKey(Student, models.CASCADE, related_name="marks", verbose_name=_("student"))
    value = models.PositiveSmallIntegerField(_("mark"), null=True, blank=True)
    value2 = models.PositiveSmallIntegerField(_("second mark"), null=True, blank=True, help_text=_("«4/3» (R2)"))
    code = models.CharField(_("result"), max_length=6, choices=MarkCode.choices, blank=True, default="")
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_late = models.BooleanField(_("entered late"), default=False)
    late_reason = models.CharField(_("reason of late entry"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("entered by")
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        ordering = ["column", "student"]
        constraints = [
            models.UniqueConstraint(fields=["column", "student"], name="mark_unique_per_column"),
            models.CheckConstraint(
                condition=(Q(code="") & Q(value__isnull=False, value__gte=1, value__lte=5))
                | (~Q(code="") & Q(value__isnull=True)),
                name="mark_value_or_code",
            ),
            models.CheckConstraint(
                condition=Q(value2__isnull=True) | Q(value2__gte=1, value2__lte=5, value__isnull=False),
                name="mark_second_value_range",
            ),
        ]
        indexes = [models.Index(fields=["student", "column"], name="mark_student_column")]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        if self.code:
            return {"pass": "зач", "fail": "незач", "exempt": "осв"}[self.code]
        return f"{self.value}/{self.value2}" if self.value2 else str(self.value)


class PeriodMarkCode(models.TextChoices):
    NONE = "", _("mark 1–5")
    NOT_ASSESSED = "na", _("not assessed (н/а)")
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    EXEMPT = "exempt", _("exempt (осв.)")


class PeriodMark(models.Model):
    """A quarter / trimester / half / year mark of a student in a group (R7)."""

    group = models.ForeignKey(TeachingGroup, models.CASCADE, related_name="period_marks", verbose_name=_("group"))
    student = models.ForeignKey(Student, models.CASCADE, related_name="period_marks", verbose_name=_("student"))
    period = models.ForeignKey(StudyPeriod, models.PROTECT, related_name="period_marks", verbose_name=_("period"))
    value = models.PositiveSmallIntegerField(_("mark"), null=True, blank=True)
    code = models.CharField(_("result"), max_length=6, choices=PeriodMarkCode.choices, blank=True, default="")
    is_deferred = models.BooleanField(_("deferred"), default=False, help_text=_("Missed over 50 % (R7)"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("set by")
    )
    created_at = models.DateTimeField(_("set at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("period mark")
        verbose_name_plural = _("period marks")
        ordering = ["group", "period", "student"]
        constraints = [
            models.UniqueConstraint(fields=["group", "student", "period"], name="period_mark_unique"),
            models.CheckConstraint(
                condition=(Q(code="") & Q(value__isnull=False, value__gte=1, value__lte=5))
                | (~Q(code="") & Q(value__isnull=True)),
                name="period_mark_value_or_code",
            ),
        ]
        indexes = [models.Index(fields=["student", "period"], name="period_mark_student")]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        if self.code:
            return {"na": "н/а", "pass": "зач", "fail": "незач", "exempt": "осв"}[self.code]
        return str(self.value)


class EventAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")


class EventObject(models.TextChoices):
    MARK = "mark", _("mark")
    PERIOD_MARK = "period_mark", _("period mark")
    ABSENCE = "absence", _("absence")
    TOPIC = "topic", _("lesson topic")
    LESSON_STATUS = "lesson_status", _("lesson status")
    HOMEWORK = "homework", _("homework")
    COLUMN = "column", _("mark column")
    NOTE = "note", _("remark")


class JournalEvent(models.Model):
    """Append-only history: one row per create / change / delete in a group's journal (R4).

    Each group (one journal page) has its own hash chain: ``hash = sha256(prev_hash + canonical row)``,
    ``seq`` counting from 1. On PostgreSQL a trigger rejects UPDATE, DELETE and TRUNCATE of this table.
    """

    group = models.ForeignKey(TeachingGroup, models.PROTECT, related_name="events", verbose_name=_("group"))
    seq = models.PositiveBigIntegerField(_("number in the chain"))
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="journal_events", verbose_name=_("who")
    )
    action = models.CharField(_("action"), max_length=6, choices=EventAction.choices)
    object_type = models.CharField(_("object"), max_length=14, choices=EventObject.choices)
    object_id = models.BigIntegerField(_("object id"))
    lesson = models.ForeignKey(
        Lesson,
        models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("lesson"),
    )
    student = models.ForeignKey(
        Student,
        models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("student"),
    )
    old = models.JSONField(_("before"), null=True, blank=True)
    new = models.JSONField(_("after"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    is_late = models.BooleanField(_("after the lesson day"), default=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("journal event")
        verbose_name_plural = _("journal history")
        ordering = ["group", "seq"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["group", "seq"], name="event_unique_seq")]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="event_object"),
            models.Index(fields=["lesson", "student"], name="event_lesson_student"),
            models.Index(fields=["at"], name="event_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()} {self.get_object_type_display()}"
