"""The deputy's control (issue 5): each school's grading policy (R5, R6, R7 — defaults from
REGULATIONS.md, editable in the admin) and the stored runs of every report (R20–R22)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from journal.models import School


class GradingPolicy(models.Model):
    """What "on time" and "enough marks" mean in a school. One row per school; a school without a row
    uses the defaults (:func:`reports.policy.policy_for`)."""

    school = models.OneToOneField(School, models.CASCADE, related_name="grading_policy", verbose_name=_("school"))
    # R6: accumulation for a fair period mark, by weekly hours and period kind.
    min_marks_quarter_one_hour = models.PositiveSmallIntegerField(_("marks per quarter, 1 hour a week"), default=3)
    min_marks_quarter_more_hours = models.PositiveSmallIntegerField(_("marks per quarter, 2+ hours a week"), default=5)
    min_marks_half_one_hour = models.PositiveSmallIntegerField(_("marks per half-year, 1 hour a week"), default=5)
    min_marks_half_more_hours = models.PositiveSmallIntegerField(_("marks per half-year, 2+ hours a week"), default=10)
    grace_weeks = models.PositiveSmallIntegerField(
        _("weeks not checked at a period's start"), default=2, help_text=_("R6: the first 2 weeks of a period")
    )
    grace_weeks_one_hour = models.PositiveSmallIntegerField(
        _("weeks not checked at a period's start, 1 hour a week"), default=3
    )
    # R5: timeliness.
    oral_mark_days = models.PositiveSmallIntegerField(
        _("days to enter an oral mark"), default=0, help_text=_("0 — on the day of the lesson")
    )
    written_mark_days_junior = models.PositiveSmallIntegerField(_("days to check written work, grades 2–9"), default=5)
    written_mark_days_senior = models.PositiveSmallIntegerField(
        _("days to check written work, grades 10–11"), default=7
    )
    homework_hours = models.PositiveSmallIntegerField(
        _("hours after the lesson to enter homework"), default=1, help_text=_("R5: during the lesson or within 1 hour")
    )
    late_entry_days = models.PositiveSmallIntegerField(
        _("days a late entry is accepted (system unreachable)"), default=3
    )
    # R7: period marks.
    period_mark_days_after = models.PositiveSmallIntegerField(
        _("days after a period's end to set its marks"), default=2
    )
    grade_one_homework = models.BooleanField(_("homework in the first grade"), default=False)

    class Meta:
        verbose_name = _("grading policy")
        verbose_name_plural = _("grading policies")

    def __str__(self) -> str:
        return str(self.school)

    def min_marks(self, period_kind: str, hours_per_week) -> int | None:  # noqa: ANN001 - Decimal
        """R6: the marks a student needs in a period of ``period_kind`` at ``hours_per_week``; None for the
        year (the year mark follows the period marks, not a count)."""
        one_hour = hours_per_week < 2
        if period_kind in ("quarter", "trimester"):
            return self.min_marks_quarter_one_hour if one_hour else self.min_marks_quarter_more_hours
        if period_kind == "half":
            return self.min_marks_half_one_hour if one_hour else self.min_marks_half_more_hours
        return None

    def grace(self, hours_per_week) -> int:  # noqa: ANN001 - Decimal
        """R6: weeks at the start of a period that are not checked."""
        return self.grace_weeks_one_hour if hours_per_week < 2 else self.grace_weeks


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ReportRun(models.Model):
    """One run of a report (R20–R22): who asked, for what, its progress and its result — a JSON table
    document (:mod:`reports.tables`). The same report with the same parameters is one row: asking again
    while it runs or once it is done gives that row back (``key``); "refresh" computes it anew."""

    kind = models.CharField(_("report"), max_length=40)
    school = models.ForeignKey(School, models.CASCADE, related_name="report_runs", verbose_name=_("school"))
    params = models.JSONField(_("parameters"), default=dict)
    key = models.CharField(_("key"), max_length=200, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["school", "kind", "-created_at"], name="reportrun_school_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.params} ({self.get_status_display()})"
