"""Writes of the class teacher's desk (issue 4): students' data, parents' contacts, the consent registry
(R16) and one-time passwords for the class's families (R17).

Each service checks the actor through ``accounts.permissions`` (``PermissionDenied`` otherwise), runs in
one transaction, and records every changed field in ``PersonalDataChange`` — who, when, old → new — so
nothing of a person's data is ever silently overwritten. Passwords are never recorded, only the event.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from journal.models import MedicalGroup, Sex, Student

from .models import Consent, ParentLink, PersonalDataChange, PersonalObject, StaffRole, User
from .permissions import StudentAction, students_for

STUDENT_FIELDS = (
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "sex",
    "personal_file_number",
    "medical_group",
    "address",
)
PARENT_FIELDS = ("last_name", "first_name", "patronymic", "phone", "email")
# No 0/O, 1/l/I: the password is read off paper and typed by hand.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 10
PASSWORD_EVENT = "password"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    return str(value)


def _apply(
    *, actor: User, obj: Any, object_type: str, fields: Iterable[str], data: dict[str, Any]
) -> list[PersonalDataChange]:
    """Set the changed fields on ``obj``, save them, and record one change row per field."""
    changes = []
    changed_fields = []
    for name in fields:
        if name not in data:
            continue
        new = data[name]
        if isinstance(new, str):
            new = new.strip()
        old = getattr(obj, name)
        if (old or None) == (new or None):
            continue
        setattr(obj, name, new)
        changed_fields.append(name)
        changes.append(
            PersonalDataChange(
                actor=actor,
                object_type=object_type,
                object_id=obj.pk,
                field=name,
                old=_as_text(old),
                new=_as_text(new),
            )
        )
    if changed_fields:
        obj.save(update_fields=changed_fields)
        PersonalDataChange.objects.bulk_create(changes)
    return changes


def _may_edit_student(actor: User, student: Student) -> None:
    if not students_for(actor, StudentAction.PERSONAL_EDIT).filter(pk=student.pk).exists():
        raise PermissionDenied(_("Only the class teacher or the school's staff change a student's data."))


def is_school_staff(user: User) -> bool:
    """Staff accounts belong to the administrator: the desk never edits them nor issues their passwords."""
    return user.is_staff or user.is_superuser or StaffRole.objects.filter(user=user).exists()


@transaction.atomic
def student_data_update(*, actor: User, student: Student, data: dict[str, Any]) -> list[PersonalDataChange]:
    """Change the student's personal data (names, birth date, sex, personal file number, medical group,
    address) and record each changed field. Refuses anybody but the class teacher of the student's class
    and school staff with ``edit_personal_data``; a personal file number must stay unique in the school."""
    _may_edit_student(actor, student)
    student = Student.objects.select_for_update().get(pk=student.pk)
    if (
        not (data.get("last_name") or student.last_name).strip()
        or not (data.get("first_name") or student.first_name).strip()
    ):
        raise ValidationError(_("The last name and the first name are required."))
    if "sex" in data and data["sex"] not in Sex.values:
        raise ValidationError(_("Choose the sex."))
    if "medical_group" in data and data["medical_group"] not in MedicalGroup.values:
        raise ValidationError(_("Choose the medical group."))
    number = (data.get("personal_file_number") or "").strip()
    if "personal_file_number" in data:
        if not number:
            raise ValidationError(_("The personal file number is required."))
        if (
            Student.objects.filter(school_id=student.school_id, personal_file_number=number)
            .exclude(pk=student.pk)
            .exists()
        ):
            raise ValidationError(
                _("Personal file number %(number)s is already another student's.") % {"number": number}
            )
    return _apply(actor=actor, obj=student, object_type=PersonalObject.STUDENT, fields=STUDENT_FIELDS, data=data)


def _may_edit_parent(actor: User, parent: User) -> None:
    children = ParentLink.objects.filter(parent=parent).values("student_id")
    if not students_for(actor, StudentAction.PERSONAL_EDIT).filter(pk__in=children).exists():
        raise PermissionDenied(_("Only the class teacher or the school's staff change a parent's contacts."))
    if is_school_staff(parent):
        raise PermissionDenied(_("This person works at a school: their account is kept by the administrator."))


@transaction.atomic
def parent_contacts_update(*, actor: User, parent: User, data: dict[str, Any]) -> list[PersonalDataChange]:
    """Change a parent's name, phone and e-mail and record each changed field. Only for a parent of a
    student whose data the actor may edit; never a staff account."""
    _may_edit_parent(actor, parent)
    parent = User.objects.select_for_update().get(pk=parent.pk)
    if "last_name" in data and not (data["last_name"] or "").strip():
        raise ValidationError(_("The last name is required."))
    email = (data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(_("Enter a valid e-mail address.")) from None
    return _apply(actor=actor, obj=parent, object_type=PersonalObject.USER, fields=PARENT_FIELDS, data=data)


@transaction.atomic
def consent_record(
    *,
    actor: User,
    student: Student,
    given_by: str,
    given_on: dt.date | None = None,
    refused_on: dt.date | None = None,
    electronic_access_refused: bool = False,
    note: str = "",
) -> Consent:
    """Record a legal representative's written consent to personal-data processing, or its refusal, and
    whether they refused the electronic diary (then they get a paper extract, R19) — R16."""
    _may_edit_student(actor, student)
    given_by = given_by.strip()
    if not given_by:
        raise ValidationError(_("Name the legal representative."))
    if given_on is None and refused_on is None:
        raise ValidationError(_("Give the date of the written consent or of the refusal."))
    if given_on is not None and refused_on is not None:
        raise ValidationError(_("A record is either a consent or a refusal: give one date."))
    return Consent.objects.create(
        student=student,
        given_by=given_by,
        given_on=given_on,
        refused_on=refused_on,
        electronic_access_refused=electronic_access_refused,
        note=note.strip(),
        recorded_by=actor,
    )


# --- credentials (R17) -------------------------------------------------------------------------------------


def one_time_password() -> str:
    """A random password for a slip: 10 characters that cannot be confused on paper."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))
        # at least one digit and one letter, so that it passes any sensible validator
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def family_users(actor: User) -> Q:
    """Users the actor may issue credentials to: the own login of, or a parent of, a student in the
    actor's CREDENTIALS scope (the class teacher's class, the administrator's school)."""
    students = students_for(actor, StudentAction.CREDENTIALS)
    return Q(student_profile__in=students) | Q(children_links__student__in=students)


@transaction.atomic
def credentials_issue(*, actor: User, users: Iterable[User]) -> list[tuple[User, str]]:
    """Give each user a new one-time password (they must change it at the next login) and return the
    ``(user, password)`` pairs for the slips — the only place the passwords ever appear. Refuses
    anybody who is not a parent or the login of a student of the actor's class (R17), and every staff
    account. The event, never the password, is recorded."""
    ids = {user.pk for user in users}
    if not ids:
        raise ValidationError(_("Choose at least one person."))
    allowed = set(User.objects.filter(family_users(actor), pk__in=ids).values_list("pk", flat=True))
    staff = set(StaffRole.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    targets = list(User.objects.select_for_update().filter(pk__in=ids).order_by("last_name", "first_name", "pk"))
    if allowed != ids or staff or any(u.is_staff or u.is_superuser for u in targets):
        raise PermissionDenied(_("You hand out passwords only to the students and parents of your class."))
    issued = []
    for user in targets:
        password = one_time_password()
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        issued.append((user, password))
    PersonalDataChange.objects.bulk_create(
        [
            PersonalDataChange(
                actor=actor,
                object_type=PersonalObject.USER,
                object_id=user.pk,
                field=PASSWORD_EVENT,
            )
            for user, _password in issued
        ]
    )
    return issued
