"""Django admin of grading. Used only by platform superusers.

Work types are set-up data and are edited here. Everything else is the journal itself and is read-only:
mark columns, marks and period marks change only through the grading services, which append a
``JournalEvent`` in the same transaction (R4: "исправление отметок не допускается" — every change is
kept, attributed and visible to the deputy); the history itself can be neither added to, changed nor
deleted (on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE anyway).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from journal.admin import ReadOnlyAdminMixin

from .models import JournalEvent, Mark, MarkColumn, PeriodMark, WorkType


@admin.register(WorkType)
class WorkTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "short_name",
        "school",
        "weight",
        "is_control_work",
        "is_written",
        "check_days_junior",
        "check_days_senior",
        "ordering_number",
    ]
    list_filter = ["school", "is_control_work", "is_written"]
    list_select_related = ["school"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["school", "subjects"]


@admin.register(MarkColumn)
class MarkColumnAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: columns are created and renamed through the grading services (history, R3–R4)."""

    list_display = ["__str__", "lesson", "work_type", "is_correction", "created_by", "created_at"]
    list_filter = ["is_correction", "work_type__is_control_work", "lesson__group__year__school"]
    list_select_related = ["lesson__group", "work_type", "created_by"]
    search_fields = ["title", "work_type__name", "lesson__group__name"]
    date_hierarchy = "lesson__date"


@admin.register(Mark)
class MarkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: every change of a mark goes through the grading services so that it leaves history (R4)."""

    list_display = ["student", "display", "lesson_date", "column", "version", "is_late", "created_by", "updated_at"]
    list_filter = ["code", "is_late", "column__work_type__is_control_work", "column__lesson__group__year__school"]
    list_select_related = ["student", "column__lesson__group", "column__work_type", "created_by"]
    search_fields = ["student__last_name", "student__first_name", "column__lesson__group__name", "comment"]
    date_hierarchy = "column__lesson__date"

    @admin.display(description=_("mark"))
    def display(self, obj: Mark) -> str:
        return obj.display

    @admin.display(description=_("date"), ordering="column__lesson__date")
    def lesson_date(self, obj: Mark) -> Any:
        return obj.column.lesson.date


@admin.register(PeriodMark)
class PeriodMarkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: period marks are set and corrected through the grading services with history (R4, R7)."""

    list_display = ["student", "display", "period", "group", "is_deferred", "version", "created_by", "updated_at"]
    list_filter = ["code", "is_deferred", "period__kind", "group__year__school"]
    list_select_related = ["student", "period", "group", "created_by"]
    search_fields = ["student__last_name", "student__first_name", "group__name"]
    date_hierarchy = "updated_at"

    @admin.display(description=_("mark"))
    def display(self, obj: PeriodMark) -> str:
        return obj.display


@admin.register(JournalEvent)
class JournalEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Strictly read-only: the append-only history of the journal (R4). It may be viewed, nothing more."""

    list_display = ["group", "seq", "at", "actor", "action", "object_type", "object_id", "is_late", "reason"]
    list_filter = ["action", "object_type", "is_late", "group__year__school"]
    list_select_related = ["group", "actor"]
    search_fields = ["group__name", "actor__username", "actor__last_name", "=object_id", "reason", "=hash"]
    date_hierarchy = "at"
