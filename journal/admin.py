"""Django admin of the school structure. Used only by platform superusers, to look and to fix set-up data.

Anything that grants access, mirrors enrollment or must leave history is shown read-only here and is
changed through the services, never by editing a row: enrollments (``journal.services``: they keep the
whole-class memberships in sync), teaching assignments and the class teacher (``accounts.services``: they
keep the guardian grants in sync), and lessons, homework and lesson notes (their topic, status, text…
are journal entries with history, R4). Rows that carry the legal record (school, year, class, student,
group, lesson) cannot be deleted here: deleting them would erase marks and absences without a trace.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import (
    AcademicYear,
    Bell,
    DiaryAcknowledgement,
    Enrollment,
    GroupMembership,
    Holiday,
    Homework,
    HomeworkAttachment,
    Lesson,
    LessonNote,
    PeriodLock,
    PlanItem,
    School,
    SchoolClass,
    Student,
    StudyPeriod,
    Subject,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)

# --- shared behaviour (also used by the admins of accounts, attendance and grading) ------------------------


class ReadOnlyAdminMixin:
    """View only: no add, change or delete, not even for a superuser. The rows change through services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Every field, the non-editable ones (created_at, hashes…) included, is shown on the view page.
        opts = self.model._meta  # type: ignore[attr-defined]
        return [f.name for f in (*opts.fields, *opts.many_to_many) if not f.auto_created]


class NoDeleteMixin:
    """Editable, but never deleted from the admin: the row carries part of the legal record."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields or ())


# --- school and year ----------------------------------------------------------------------------------------


@admin.register(School)
class SchoolAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "time_zone", "director_name", "is_active"]
    list_filter = ["is_active", "time_zone"]
    search_fields = ["name", "short_name", "address", "director_name"]


class InsideYearFormSet(BaseInlineFormSet):
    """Periods and holidays must lie inside the year as edited on the same page (the trigger's rule,
    said in Russian before the database has to refuse it)."""

    def clean(self) -> None:
        super().clean()
        year = self.instance
        if year.start is None or year.end is None:
            return
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("start") or not data.get("end"):
                continue
            if data["start"] < year.start or data["end"] > year.end:
                form.add_error(None, _("The dates must lie inside the academic year."))


class StudyPeriodInline(admin.TabularInline):
    model = StudyPeriod
    formset = InsideYearFormSet
    extra = 0
    fields = ["kind", "number", "start", "end", "marks_deadline"]


class HolidayInline(admin.TabularInline):
    model = Holiday
    formset = InsideYearFormSet
    extra = 0
    fields = ["name", "kind", "start", "end", "grade_from", "grade_to"]


class AcademicYearForm(forms.ModelForm):
    class Meta:
        model = AcademicYear
        fields = ["school", "name", "start", "end", "is_closed"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if self.instance.pk and start and end:
            outside = Lesson.objects.filter(group__year=self.instance).filter(Q(date__lt=start) | Q(date__gt=end))
            if outside.exists():
                raise ValidationError(_("Some lessons of this year would fall outside its new dates."))
        return data


@admin.register(AcademicYear)
class AcademicYearAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = AcademicYearForm
    list_display = ["name", "school", "start", "end", "is_closed"]
    list_filter = ["is_closed", "school"]
    list_select_related = ["school"]
    search_fields = ["name", "school__name", "school__short_name"]
    autocomplete_fields = ["school"]
    date_hierarchy = "start"
    inlines = [StudyPeriodInline, HolidayInline]


@admin.register(StudyPeriod)
class StudyPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "year", "school", "kind", "number", "start", "end", "marks_deadline"]
    list_filter = ["kind", "year__school", "year__is_closed"]
    list_select_related = ["year__school"]
    search_fields = ["year__name", "year__school__short_name"]
    autocomplete_fields = ["year"]
    date_hierarchy = "start"

    @admin.display(description=_("school"), ordering="year__school__short_name")
    def school(self, obj: StudyPeriod) -> School:
        return obj.year.school


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "school", "kind", "start", "end", "grade_from", "grade_to"]
    list_filter = ["kind", "year__school"]
    list_select_related = ["year__school"]
    search_fields = ["name", "year__name", "year__school__short_name"]
    autocomplete_fields = ["year"]
    date_hierarchy = "start"

    @admin.display(description=_("school"), ordering="year__school__short_name")
    def school(self, obj: Holiday) -> School:
        return obj.year.school


# --- classes and students -----------------------------------------------------------------------------------


@admin.register(SchoolClass)
class SchoolClassAdmin(NoDeleteMixin, admin.ModelAdmin):
    """The class teacher is read-only: ``accounts.services.class_teacher_set`` moves the grant with it."""

    list_display = ["name", "year", "school", "grade", "letter", "class_teacher", "period_kind"]
    list_filter = ["year__school", "grade", "period_kind", "year__is_closed"]
    list_select_related = ["year__school", "class_teacher"]
    search_fields = ["letter", "=grade", "year__name", "year__school__short_name", "class_teacher__last_name"]
    autocomplete_fields = ["year"]
    readonly_fields = ["class_teacher"]
    ordering = ["year__school__short_name", "-year__start", "grade", "letter"]

    @admin.display(description=_("class"), ordering="grade")
    def name(self, obj: SchoolClass) -> str:
        return obj.name

    @admin.display(description=_("school"), ordering="year__school__short_name")
    def school(self, obj: SchoolClass) -> School:
        return obj.year.school


class EnrollmentInline(ReadOnlyTabularInline):
    """Read-only: admission, transfer and leaving go through ``journal.services`` (memberships follow)."""

    model = Enrollment
    fk_name = "student"
    fields = ["school_class", "start", "end", "reason", "order_number", "end_reason", "end_order_number"]


@admin.register(Student)
class StudentAdmin(NoDeleteMixin, admin.ModelAdmin):
    """The student's own login is read-only: ``accounts.services.student_login_set`` grants the diary."""

    list_display = ["full_name", "school", "birth_date", "sex", "personal_file_number", "medical_group", "user"]
    list_filter = ["school", "sex", "medical_group"]
    list_select_related = ["school", "user"]
    search_fields = ["last_name", "first_name", "patronymic", "=personal_file_number"]
    autocomplete_fields = ["school"]
    readonly_fields = ["user"]
    inlines = [EnrollmentInline]

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, obj: Student) -> str:
        return obj.full_name


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: ``enrollment_admit`` / ``enrollment_end`` / ``enrollment_transfer`` keep memberships in step."""

    list_display = ["student", "school_class", "start", "end", "reason", "order_number", "end_reason"]
    list_filter = ["reason", "end_reason", "school_class__year__school", "school_class__grade"]
    list_select_related = ["student", "school_class__year"]
    search_fields = ["student__last_name", "student__first_name", "=order_number", "=end_order_number"]
    date_hierarchy = "start"


# --- subjects, groups, timetable ----------------------------------------------------------------------------


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "school", "assessment", "kind", "allows_double_mark"]
    list_filter = ["school", "assessment", "kind", "allows_double_mark"]
    list_select_related = ["school"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["school"]


class GroupMembershipFormSet(BaseInlineFormSet):
    """A group's members come from the group's own school (the service's rule, R13)."""

    def clean(self) -> None:
        super().clean()
        group = self.instance
        if not group.year_id:
            return
        for form in self.forms:
            student = getattr(form, "cleaned_data", {}).get("student")
            if student is not None and student.school_id != group.year.school_id:
                form.add_error("student", _("The student and the group belong to different schools."))


class GroupMembershipInline(admin.TabularInline):
    model = GroupMembership
    formset = GroupMembershipFormSet
    extra = 0
    raw_id_fields = ["student"]
    fields = ["student", "start", "end"]


class TeachingAssignmentInline(ReadOnlyTabularInline):
    """Read-only: ``teacher_assign`` / ``substitution_start`` write the guardian grant with the row."""

    model = TeachingAssignment
    fk_name = "group"
    raw_id_fields = ["teacher", "replaces"]
    fields = ["teacher", "role", "start", "end", "replaces", "note"]


class TimetableSlotInline(admin.TabularInline):
    model = TimetableSlot
    extra = 0
    fields = ["weekday", "number", "room", "valid_from", "valid_to"]


@admin.register(TeachingGroup)
class TeachingGroupAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "subject", "kind", "year", "school", "subgroup_number", "hours_per_week"]
    list_filter = ["kind", "year__school", "subject__kind", "year__is_closed"]
    list_select_related = ["subject", "year__school"]
    search_fields = ["name", "subject__name", "year__school__short_name"]
    autocomplete_fields = ["year", "subject", "classes"]
    inlines = [GroupMembershipInline, TeachingAssignmentInline, TimetableSlotInline]

    @admin.display(description=_("school"), ordering="year__school__short_name")
    def school(self, obj: TeachingGroup) -> School:
        return obj.year.school


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ["student", "group", "start", "end"]
    list_filter = ["group__kind", "group__year__school"]
    list_select_related = ["student", "group"]
    search_fields = ["student__last_name", "student__first_name", "group__name"]
    raw_id_fields = ["student", "group"]
    date_hierarchy = "start"


@admin.register(TeachingAssignment)
class TeachingAssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the assignment and its guardian grant are written together by ``accounts.services``."""

    list_display = ["teacher", "group", "role", "start", "end", "replaces", "created_by", "created_at"]
    list_filter = ["role", "group__year__school"]
    list_select_related = ["teacher", "group", "replaces", "created_by"]
    search_fields = ["teacher__last_name", "teacher__username", "group__name"]
    date_hierarchy = "start"


@admin.register(Bell)
class BellAdmin(admin.ModelAdmin):
    list_display = ["school", "number", "start_time", "end_time"]
    list_filter = ["school"]
    list_select_related = ["school"]
    search_fields = ["school__short_name"]
    autocomplete_fields = ["school"]


@admin.register(TimetableSlot)
class TimetableSlotAdmin(admin.ModelAdmin):
    list_display = ["group", "weekday", "number", "room", "valid_from", "valid_to"]
    list_filter = ["weekday", "group__year__school"]
    list_select_related = ["group"]
    search_fields = ["group__name", "room"]
    raw_id_fields = ["group"]


@admin.register(PlanItem)
class PlanItemAdmin(admin.ModelAdmin):
    list_display = ["group", "ordinal", "topic", "hours", "planned_date", "is_control_work"]
    list_filter = ["is_control_work", "group__year__school"]
    list_select_related = ["group"]
    search_fields = ["topic", "group__name"]
    raw_id_fields = ["group"]
    date_hierarchy = "planned_date"


# --- lessons and what is written at them (history-bearing: read-only) ---------------------------------------


@admin.register(Lesson)
class LessonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the topic and status are journal entries with history (R4, R10), and deleting a lesson
    would take its marks and absences with it."""

    list_display = ["date", "number", "group", "teacher", "status", "is_substitution", "topic"]
    list_filter = ["status", "is_substitution", "group__year__school"]
    list_select_related = ["group", "teacher"]
    search_fields = ["topic", "group__name", "teacher__last_name"]
    date_hierarchy = "date"


class HomeworkAttachmentInline(ReadOnlyTabularInline):
    model = HomeworkAttachment
    fields = ["original_name", "file", "size", "content_type", "uploaded_at"]


@admin.register(Homework)
class HomeworkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: homework is a journal entry with history (R4, R11)."""

    list_display = ["__str__", "lesson", "due_date", "created_by", "created_at"]
    list_filter = ["lesson__group__year__school"]
    list_select_related = ["lesson__group", "created_by"]
    search_fields = ["text", "lesson__group__name"]
    date_hierarchy = "created_at"
    inlines = [HomeworkAttachmentInline]


@admin.register(HomeworkAttachment)
class HomeworkAttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["original_name", "homework", "size", "content_type", "uploaded_at"]
    list_select_related = ["homework"]
    search_fields = ["original_name"]
    date_hierarchy = "uploaded_at"


@admin.register(LessonNote)
class LessonNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: remarks and praise are journal entries with history (R14)."""

    list_display = ["student", "kind", "lesson", "text", "created_by", "created_at"]
    list_filter = ["kind", "lesson__group__year__school"]
    list_select_related = ["student", "lesson__group", "created_by"]
    search_fields = ["student__last_name", "text"]
    date_hierarchy = "created_at"


@admin.register(DiaryAcknowledgement)
class DiaryAcknowledgementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a parent's «ознакомлен(а)» is their own statement (R19)."""

    list_display = ["student", "parent", "week_start", "at"]
    list_filter = ["student__school"]
    list_select_related = ["student", "parent"]
    search_fields = ["student__last_name", "parent__last_name"]
    date_hierarchy = "week_start"


@admin.register(PeriodLock)
class PeriodLockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a period is closed by an archive run (issue 6), never by hand."""

    list_display = ["school_class", "period", "locked_at", "locked_by"]
    list_filter = ["school_class__year__school"]
    list_select_related = ["school_class", "period", "locked_by"]
