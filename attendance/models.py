"""Absences and lateness at a lesson (R8), with the reason the class teacher records from documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from journal.models import Lesson, Student


class AbsenceKind(models.TextChoices):
    ABSENT = "absent", _("absent")
    LATE = "late", _("late")


class AbsenceReason(models.TextChoices):
    UNKNOWN = "unknown", _("reason not yet known")
    ILLNESS = "illness", _("illness")
    EXCUSED = "excused", _("excused")
    UNEXCUSED = "unexcused", _("unexcused")


class Absence(models.Model):
    """The teacher marks who is absent or late; the class teacher sets the reason (Б, У, Н)."""

    lesson = models.ForeignKey(Lesson, models.CASCADE, related_name="absences", verbose_name=_("lesson"))
    student = models.ForeignKey(Student, models.CASCADE, related_name="absences", verbose_name=_("student"))
    kind = models.CharField(_("kind"), max_length=6, choices=AbsenceKind.choices, default=AbsenceKind.ABSENT)
    minutes_late = models.PositiveSmallIntegerField(_("minutes late"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=10, choices=AbsenceReason.choices, default=AbsenceReason.UNKNOWN)
    note = models.CharField(_("document"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("marked by")
    )
    reason_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reason set by"),
    )
    reason_set_at = models.DateTimeField(_("reason set at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["lesson", "student"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "student"], name="absence_unique_student"),
            models.CheckConstraint(
                condition=Q(kind="absent", minutes_late__isnull=True)
                | Q(kind="late", minutes_late__isnull=True)
                | Q(kind="late", minutes_late__gte=1, minutes_late__lte=45),
                name="absence_minutes_only_when_late",
            ),
        ]
        indexes = [models.Index(fields=["student", "lesson"], name="absence_student_lesson")]

    def __str__(self) -> str:
        return f"{self.student}: {self.code}"

    @property
    def code(self) -> str:
        """The journal's letter (R8): О late; Б illness, У excused, Н unexcused or not yet known."""
        if self.kind == AbsenceKind.LATE:
            return "О"
        return {AbsenceReason.ILLNESS: "Б", AbsenceReason.EXCUSED: "У"}.get(self.reason, "Н")
