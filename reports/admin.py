from django.contrib import admin

from .models import GradingPolicy, ReportRun


@admin.register(GradingPolicy)
class GradingPolicyAdmin(admin.ModelAdmin):
    """Each school's rules of timeliness and accumulation (R5–R7); a school without a row uses the
    defaults of REGULATIONS.md."""

    list_display = ["school", "min_marks_quarter_one_hour", "min_marks_quarter_more_hours", "grace_weeks",
                    "written_mark_days_junior", "written_mark_days_senior", "homework_hours"]  # fmt: skip
    list_select_related = ["school"]
    fieldsets = [
        (None, {"fields": ["school"]}),
        ("R6", {"fields": ["min_marks_quarter_one_hour", "min_marks_quarter_more_hours", "min_marks_half_one_hour",
                           "min_marks_half_more_hours", "grace_weeks", "grace_weeks_one_hour"]}),
        ("R5", {"fields": ["oral_mark_days", "written_mark_days_junior", "written_mark_days_senior",
                           "homework_hours", "late_entry_days", "grade_one_homework"]}),
        ("R7", {"fields": ["period_mark_days_after"]}),
    ]  # fmt: skip


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["kind", "school", "status", "progress", "requested_by", "created_at", "finished_at"]
    list_filter = ["kind", "status", "school"]
    list_select_related = ["school", "requested_by"]
    readonly_fields = [f.name for f in ReportRun._meta.fields]
    exclude = ["result"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False
