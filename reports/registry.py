"""Every report the journal makes (issue 5): its code, Russian title, the computation (a dotted path to
``(school, params, progress) -> Document``, see reports/tables.py), the parameters it asks for, and who
may run it: ``school`` reports are the administration's (``view_reports``); ``class`` reports are also
run by a class teacher for the led class; the monthly analysis also by a teacher for their own groups."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ReportKind:
    code: str
    title: str
    compute: str  # dotted path
    params: tuple[str, ...]  # of: month, period, class, grade, start, end, step
    audience: str  # "school" | "class" | "teacher"
    pdf: bool = False  # also printed as PDF (the summary sheets)


KINDS: dict[str, ReportKind] = {
    kind.code: kind
    for kind in (
        ReportKind(
            "monthly", _("Monthly journal analysis"), "reports.monthly.monthly_analysis", ("month", "class"), "teacher"
        ),
        ReportKind("marks_summary", _("Summary sheet of marks"), "reports.period.marks_summary",
                   ("period", "class", "grade"), "class", pdf=True),
        ReportKind("attendance_summary", _("Summary sheet of attendance"), "reports.period.attendance_summary",
                   ("period", "class", "grade"), "class", pdf=True),
        ReportKind("class_results", _("Class results"), "reports.period.class_results",
                   ("period", "class", "grade"), "class", pdf=True),
        ReportKind("class_teacher_report", _("Class teacher's period report"),
                   "reports.period.class_teacher_report", ("period", "class"), "class", pdf=True),
        ReportKind("student_movement", _("Student movement"), "reports.period.student_movement",
                   ("period", "class", "grade"), "school"),
        ReportKind("class_sizes", _("Class sizes"), "reports.period.class_sizes", ("period", "grade"), "school"),
        ReportKind("missed_with_topics", _("Missed lessons with their topics"),
                   "reports.period.missed_with_topics", ("period", "class"), "class"),
        ReportKind("unsatisfactory_with_topics", _("Unsatisfactory marks with their topics"),
                   "reports.period.unsatisfactory_with_topics", ("period", "class"), "class"),
        ReportKind("forecast", _("Forecast of period marks"), "reports.period.forecast", ("period", "class"), "class"),
        ReportKind("user_activity", _("User activity"), "reports.period.user_activity",
                   ("start", "end", "step"), "school"),
    )
}  # fmt: skip


def available_kinds() -> list[ReportKind]:
    """The kinds whose computation exists in this build (a report still in the making is left out)."""
    from django.utils.module_loading import import_string

    kinds = []
    for kind in KINDS.values():
        try:
            import_string(kind.compute)
        except ImportError:
            continue
        kinds.append(kind)
    return kinds
