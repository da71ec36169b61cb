"""The school office's own records (issue 7).

``ChangeRecord`` — who changed what in the school's set-up and when (years, periods, holidays, classes,
groups, assignments, timetable, imports, enrollment, accounts): the structure has no hash chain like the
journal, but every change through the office's services is written here in the same transaction.
``RolloverRun`` — a year-end rollover: the plan shown on the dry run, what applying it created and
ended, so that it can be undone until the new year starts (R27).
``CredentialLeak`` and ``VoidedOperation`` — R18: a user reported that their credentials leaked at a
moment; their account is blocked and every journal operation they made after that moment can be voided
by the deputy, which restores the previous value as a new recorded event (nothing is erased).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChangeRecord(models.Model):
    school = models.ForeignKey("journal.School", models.CASCADE, related_name="+", verbose_name=_("school"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=20)  # create / change / delete / import / generate / …
    object_type = models.CharField(_("object"), max_length=40)  # "class", "group", "slot", "holiday", …
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    summary = models.CharField(_("what"), max_length=500)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("change of the school's set-up")
        verbose_name_plural = _("changes of the school's set-up")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["school", "object_type", "object_id"], name="change_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"


class RolloverStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    APPLIED = "applied", _("applied")
    UNDONE = "undone", _("undone")


class RolloverRun(models.Model):
    school = models.ForeignKey("journal.School", models.CASCADE, related_name="+", verbose_name=_("school"))
    from_year = models.ForeignKey(
        "journal.AcademicYear", models.PROTECT, related_name="+", verbose_name=_("from academic year")
    )
    to_year = models.ForeignKey(
        "journal.AcademicYear", models.PROTECT, related_name="+", verbose_name=_("to academic year")
    )
    status = models.CharField(_("status"), max_length=8, choices=RolloverStatus.choices, default=RolloverStatus.PLANNED)
    plan = models.JSONField(_("plan"), default=list, blank=True)
    undo = models.JSONField(_("what to undo"), default=dict, blank=True)
    order_number = models.CharField(_("order number"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    created_at = models.DateTimeField(_("prepared at"), default=timezone.now)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("applied by")
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("undone by")
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("year-end rollover")
        verbose_name_plural = _("year-end rollovers")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_year} → {self.to_year} ({self.get_status_display()})"


class CredentialLeak(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="credential_leaks", verbose_name=_("user")
    )
    school = models.ForeignKey("journal.School", models.CASCADE, related_name="+", verbose_name=_("school"))
    reported_at = models.DateTimeField(_("leaked since"), help_text=_("When the school was told of the leak"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    sessions_ended = models.PositiveIntegerField(_("sessions ended"), default=0)

    class Meta:
        verbose_name = _("credential leak")
        verbose_name_plural = _("credential leaks")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.reported_at:%Y-%m-%d %H:%M}"


class VoidedOperation(models.Model):
    leak = models.ForeignKey(CredentialLeak, models.PROTECT, related_name="voided", verbose_name=_("leak"))
    event = models.OneToOneField(
        "grading.JournalEvent", models.PROTECT, related_name="voided_by", verbose_name=_("voided operation")
    )
    restoring_event = models.ForeignKey(
        "grading.JournalEvent",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("event that restored the previous value"),
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("voided by")
    )
    voided_at = models.DateTimeField(_("voided at"), default=timezone.now)

    class Meta:
        verbose_name = _("voided operation")
        verbose_name_plural = _("voided operations")
        ordering = ["-voided_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.leak})"
