"""Django admin of users, roles and grants. Used only by platform superusers.

Access is never granted by editing a row: a staff role or a parent link added or removed here goes
through ``accounts.services`` (which writes the guardian permissions with it), and the guardian tables
themselves are read-only: they mirror the assignments and links and are written only by the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from journal.admin import ReadOnlyAdminMixin, ReadOnlyTabularInline

from . import services
from .models import (
    Consent,
    LoginEvent,
    ParentLink,
    PersonalDataChange,
    SchoolClassUserObjectPermission,
    SchoolUserObjectPermission,
    StaffRole,
    StudentUserObjectPermission,
    TeachingGroupUserObjectPermission,
    User,
)


class StaffRoleInline(ReadOnlyTabularInline):
    """Read-only: add roles on the staff role page, which grants them through the service."""

    model = StaffRole
    fields = ["school", "role", "position", "granted_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "patronymic", "email", "phone")}),
        (
            _("Permissions"),
            # No groups or global permissions: access is per school and per object (DESIGN.md §4).
            {"fields": ("is_active", "must_change_password", "is_staff", "is_superuser")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "last_name",
                    "first_name",
                    "patronymic",
                    "phone",
                    "must_change_password",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = [
        "username",
        "last_name",
        "first_name",
        "patronymic",
        "email",
        "phone",
        "is_active",
        "must_change_password",
        "is_staff",
        "is_superuser",
        "last_login",
    ]
    list_filter = ["is_active", "must_change_password", "is_staff", "is_superuser", "staff_roles__role"]
    search_fields = ["username", "last_name", "first_name", "patronymic", "email", "phone"]
    ordering = ["last_name", "first_name", "username"]
    filter_horizontal = ()
    inlines = [StaffRoleInline]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    """Adding and deleting call ``staff_role_grant`` / ``staff_role_revoke``; only the position is edited."""

    list_display = ["user", "school", "role", "position", "granted_at"]
    list_filter = ["role", "school"]
    list_select_related = ["user", "school"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "school__short_name", "position"]
    autocomplete_fields = ["user", "school"]
    date_hierarchy = "granted_at"

    def get_readonly_fields(self, request: HttpRequest, obj: StaffRole | None = None) -> list[str]:
        return ["user", "school", "role", "granted_at"] if obj is not None else ["granted_at"]

    def save_model(self, request: HttpRequest, obj: StaffRole, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        granted = services.staff_role_grant(
            actor=request.user, user=obj.user, school=obj.school, role=obj.role, position=obj.position
        )
        obj.pk = granted.pk
        obj.granted_at = granted.granted_at

    def delete_model(self, request: HttpRequest, obj: StaffRole) -> None:
        services.staff_role_revoke(actor=request.user, user=obj.user, school=obj.school, role=obj.role)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StaffRole]) -> None:
        for staff_role in queryset.select_related("user", "school"):
            self.delete_model(request, staff_role)


@admin.register(ParentLink)
class ParentLinkAdmin(admin.ModelAdmin):
    """Adding and deleting call ``parent_link`` / ``parent_unlink`` (the diary grant goes with the link)."""

    list_display = ["parent", "student", "relation", "school"]
    list_filter = ["relation", "student__school"]
    list_select_related = ["parent", "student__school"]
    search_fields = ["parent__username", "parent__last_name", "student__last_name", "student__first_name"]
    autocomplete_fields = ["parent", "student"]

    @admin.display(description=_("school"), ordering="student__school__short_name")
    def school(self, obj: ParentLink) -> Any:
        return obj.student.school

    def get_readonly_fields(self, request: HttpRequest, obj: ParentLink | None = None) -> list[str]:
        return ["parent", "student"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ParentLink, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        link = services.parent_link(actor=request.user, parent=obj.parent, student=obj.student, relation=obj.relation)
        obj.pk = link.pk

    def delete_model(self, request: HttpRequest, obj: ParentLink) -> None:
        services.parent_unlink(actor=request.user, parent=obj.parent, student=obj.student)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ParentLink]) -> None:
        for link in queryset.select_related("parent", "student"):
            self.delete_model(request, link)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """The consent registry (R16). Who recorded an entry is the superuser who saved it."""

    list_display = ["student", "given_by", "given_on", "refused_on", "electronic_access_refused", "recorded_by"]
    list_filter = ["electronic_access_refused", "student__school"]
    list_select_related = ["student", "recorded_by"]
    search_fields = ["student__last_name", "student__first_name", "given_by", "note"]
    raw_id_fields = ["student"]
    readonly_fields = ["recorded_by", "recorded_at"]
    date_hierarchy = "recorded_at"

    def save_model(self, request: HttpRequest, obj: Consent, form: ModelForm, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(LoginEvent)
class LoginEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The activity log (R20, R22): written at login, never edited."""

    list_display = ["at", "user", "ip", "user_agent"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name", "=ip"]
    date_hierarchy = "at"


@admin.register(PersonalDataChange)
class PersonalDataChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who changed which field of a student's or a parent's data, when, old → new: never edited."""

    list_display = ["at", "actor", "object_type", "object_id", "field", "old", "new"]
    list_select_related = ["actor"]
    list_filter = ["object_type", "field"]
    search_fields = ["actor__username", "actor__last_name", "=object_id"]
    date_hierarchy = "at"


class ObjectPermissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A django-guardian direct foreign-key table: read-only, written only by ``accounts.services``."""

    list_display = ["user", "codename", "content_object"]
    list_filter = ["permission__codename"]
    list_select_related = ["user", "permission", "content_object"]
    search_fields = ["user__username", "user__last_name", "permission__codename"]

    @admin.display(description=_("permission"), ordering="permission__codename")
    def codename(self, obj: Any) -> str:
        return obj.permission.codename


@admin.register(SchoolUserObjectPermission)
class SchoolUserObjectPermissionAdmin(ObjectPermissionAdmin):
    list_filter = ["permission__codename", "content_object"]
    search_fields = [*ObjectPermissionAdmin.search_fields, "content_object__short_name"]


@admin.register(SchoolClassUserObjectPermission)
class SchoolClassUserObjectPermissionAdmin(ObjectPermissionAdmin):
    list_filter = ["permission__codename", "content_object__year__school"]


@admin.register(TeachingGroupUserObjectPermission)
class TeachingGroupUserObjectPermissionAdmin(ObjectPermissionAdmin):
    list_filter = ["permission__codename", "content_object__year__school"]
    search_fields = [*ObjectPermissionAdmin.search_fields, "content_object__name"]


@admin.register(StudentUserObjectPermission)
class StudentUserObjectPermissionAdmin(ObjectPermissionAdmin):
    list_filter = ["permission__codename", "content_object__school"]
    search_fields = [*ObjectPermissionAdmin.search_fields, "content_object__last_name"]
