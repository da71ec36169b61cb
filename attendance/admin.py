"""Django admin of attendance. Used only by platform superusers, and read-only: an absence and its reason
are journal entries, and every change goes through the attendance services so that it leaves its
history event (R4, R8). A row edited here would change the legal record without a trace.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from journal.admin import ReadOnlyAdminMixin

from .models import Absence


@admin.register(Absence)
class AbsenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: every change goes through the attendance services, which write the history (R4)."""

    list_display = ["lesson_date", "student", "code", "kind", "reason", "minutes_late", "lesson", "created_by"]
    list_filter = ["kind", "reason", "lesson__group__year__school"]
    list_select_related = ["lesson__group", "student", "created_by"]
    search_fields = ["student__last_name", "student__first_name", "lesson__group__name", "note"]
    date_hierarchy = "lesson__date"

    @admin.display(description=_("date"), ordering="lesson__date")
    def lesson_date(self, obj: Absence) -> object:
        return obj.lesson.date

    @admin.display(description=_("code"))
    def code(self, obj: Absence) -> str:
        return obj.code
