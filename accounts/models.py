"""Users, roles per school, parents' links, consent registry, object-permission tables, activity log.

Roles (DESIGN.md §4): director, deputy, administrator, secretary and teacher are ``StaffRole`` rows of a
school; class teacher, subject teacher and substitute follow from ``SchoolClass.class_teacher`` and
``TeachingAssignment``; parent from ``ParentLink``; student from ``Student.user``. What each may do is
stored as django-guardian object permissions in the direct foreign-key tables below, written only by
the services in ``accounts/services.py`` and read only by ``accounts/permissions.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from journal.models import School, SchoolClass, Student, TeachingGroup


class User(AbstractUser):
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    must_change_password = models.BooleanField(
        _("must change password"), default=False, help_text=_("Asked on the next login (one-time passwords).")
    )
    valid_until = models.DateTimeField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("A temporary login (R17) stops working at this moment; empty: no end."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def short_name(self) -> str:
        """«Иванова М. П.» — how the journal signs a teacher."""
        initials = "".join(f"{p[0]}. " for p in (self.first_name, self.patronymic) if p).strip()
        return f"{self.last_name} {initials}".strip() or self.username


class Role(models.TextChoices):
    DIRECTOR = "director", _("director")
    DEPUTY = "deputy", _("deputy director")
    ADMINISTRATOR = "administrator", _("administrator")
    SECRETARY = "secretary", _("secretary")
    TEACHER = "teacher", _("teacher")


class StaffRole(models.Model):
    """A user's staff role in one school. A teacher may work in two schools: two rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="staff_roles", verbose_name=_("user")
    )
    school = models.ForeignKey(School, models.CASCADE, related_name="staff_roles", verbose_name=_("school"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    position = models.CharField(_("position"), max_length=200, blank=True)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        ordering = ["school", "role", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "school", "role"], name="staff_role_unique")]
        indexes = [models.Index(fields=["school", "role"], name="staff_role_school_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.school})"


class Relation(models.TextChoices):
    MOTHER = "mother", _("mother")
    FATHER = "father", _("father")
    GUARDIAN = "guardian", _("guardian")
    OTHER = "other", _("other legal representative")


class ParentLink(models.Model):
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="children_links", verbose_name=_("parent")
    )
    student = models.ForeignKey(Student, models.CASCADE, related_name="parent_links", verbose_name=_("student"))
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices, default=Relation.MOTHER)

    class Meta:
        verbose_name = _("parent link")
        verbose_name_plural = _("parent links")
        constraints = [models.UniqueConstraint(fields=["parent", "student"], name="parent_link_unique")]

    def __str__(self) -> str:
        return f"{self.parent} — {self.student} ({self.get_relation_display()})"


class Consent(models.Model):
    """The consent registry (R16): written consent to personal-data processing, or its refusal."""

    student = models.ForeignKey(Student, models.CASCADE, related_name="consents", verbose_name=_("student"))
    given_by = models.CharField(_("legal representative"), max_length=300)
    given_on = models.DateField(_("date of written consent"), null=True, blank=True)
    refused_on = models.DateField(_("date of refusal"), null=True, blank=True)
    electronic_access_refused = models.BooleanField(_("electronic diary refused (paper extract)"), default=False)
    note = models.CharField(_("document"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consent registry")
        ordering = ["student", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(given_on__isnull=False) | Q(refused_on__isnull=False), name="consent_has_a_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.given_on or self.refused_on}"


class LoginEvent(models.Model):
    """One successful login: the activity report (R22) and parents' participation (R20) count these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="login_events", verbose_name=_("user")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("login")
        verbose_name_plural = _("activity log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="login_user_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.at:%d.%m.%Y %H:%M}"


class PersonalObject(models.TextChoices):
    STUDENT = "student", _("student")
    USER = "user", _("user")


class PersonalDataChange(models.Model):
    """One changed field of a student's or a person's data (R15, R16): who, when, old → new.

    Written by the services of ``accounts/personal.py`` in the same transaction as the change. A new
    password is recorded as an event (``field`` «password») without its value."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("changed by")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    object_type = models.CharField(_("object"), max_length=10, choices=PersonalObject.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    field = models.CharField(_("field"), max_length=50)
    old = models.TextField(_("before"), blank=True)
    new = models.TextField(_("after"), blank=True)

    class Meta:
        verbose_name = _("personal data change")
        verbose_name_plural = _("personal data changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"], name="personal_change_object")]

    def __str__(self) -> str:
        return f"{self.get_object_type_display()} {self.object_id}: {self.field}"


# django-guardian direct foreign-key permission tables (one per object type; no generic relations).


class SchoolUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("school permission")
        verbose_name_plural = _("school permissions")


class SchoolClassUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SchoolClass, models.CASCADE, verbose_name=_("class"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("class permission")
        verbose_name_plural = _("class permissions")


class TeachingGroupUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(TeachingGroup, models.CASCADE, verbose_name=_("group"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("group permission")
        verbose_name_plural = _("group permissions")


class StudentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Student, models.CASCADE, verbose_name=_("student"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("student permission")
        verbose_name_plural = _("student permissions")
