"""Staff: one row per person — names, login, e-mail, phone, roles in this school, position.

Rows are matched by login, else by e-mail; a new person gets an account without a usable password
(a one-time password comes on a printed slip, R17) and a generated login when the cell is empty.
Roles are only added (taking a role away is done on the accounts page), and only the roles the actor
may grant: the administrator any, the secretary «teacher» and «secretary». A person who is not on the
staff of this school, works at a school outside the actor's scope, is a site administrator, or holds a
role the actor may not manage is refused on their row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from import_export.fields import Field

from accounts.models import Role, StaffRole, User
from accounts.permissions import office_scope
from accounts.services import staff_roles_grant_bulk

from ..accounts import grantable_roles
from .base import OfficeResource, TextWidget, fold, text
from .names import assign_logins

COL_LAST, COL_FIRST, COL_PATRONYMIC = "Фамилия", "Имя", "Отчество"
COL_LOGIN, COL_EMAIL, COL_PHONE, COL_ROLES, COL_POSITION = "Логин", "E-mail", "Телефон", "Роли", "Должность"

ROLE_WORDS = {
    Role.DIRECTOR: "директор",
    Role.DEPUTY: "заместитель директора",
    Role.ADMINISTRATOR: "администратор",
    Role.SECRETARY: "секретарь",
    Role.TEACHER: "учитель",
}
_ROLE_ALIASES = {
    "завуч": Role.DEPUTY,
    "заместитель": Role.DEPUTY,
    "зам. директора": Role.DEPUTY,
    "замдиректора": Role.DEPUTY,
    "педагог": Role.TEACHER,
    "преподаватель": Role.TEACHER,
    "системный администратор": Role.ADMINISTRATOR,
    **{value: value for value in Role.values},
    **{fold(word): role for role, word in ROLE_WORDS.items()},
}


def parse_roles(value: Any) -> list[str]:
    words = [w for w in (fold(part).rstrip(".") for part in text(value).replace(";", ",").split(",")) if w]
    if not words:
        raise ValueError(_("Write at least one role: %(words)s.") % {"words": ", ".join(ROLE_WORDS.values())})
    unknown = [w for w in words if w not in _ROLE_ALIASES]
    if unknown:
        raise ValueError(
            _("«%(value)s» is not a role; write: %(words)s.")
            % {"value": unknown[0], "words": ", ".join(ROLE_WORDS.values())}
        )
    return list(dict.fromkeys(_ROLE_ALIASES[w] for w in words))


class StaffResource(OfficeResource):
    shape = "staff"
    title = "Сотрудники"
    required = (COL_LAST, COL_FIRST, COL_ROLES)

    last_name = Field(attribute="last_name", column_name=COL_LAST, widget=TextWidget(150, required=True))
    first_name = Field(attribute="first_name", column_name=COL_FIRST, widget=TextWidget(150, required=True))
    patronymic = Field(attribute="patronymic", column_name=COL_PATRONYMIC, widget=TextWidget(150))
    username = Field(attribute="username", column_name=COL_LOGIN, widget=TextWidget(150))
    email = Field(attribute="email", column_name=COL_EMAIL, widget=TextWidget(254))
    phone = Field(attribute="phone", column_name=COL_PHONE, widget=TextWidget(30))
    roles = Field(column_name=COL_ROLES, readonly=True)
    position = Field(column_name=COL_POSITION, readonly=True)

    class Meta(OfficeResource.Meta):
        model = User
        fields = ("last_name", "first_name", "patronymic", "username", "email", "phone", "roles", "position")
        import_order = export_order = fields
        import_id_fields = ("last_name",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        actor = self.actor
        self.grantable = set(grantable_roles(actor, self.school)) if actor is not None else set(Role.values)
        self.scope_schools = office_scope(actor).staff_accounts if actor is not None else None
        self.roles_of: dict[int, list[tuple[int, str, str]]] = defaultdict(list)

    def export_queryset(self) -> QuerySet:
        return (
            User.objects.filter(staff_roles__school=self.school)
            .distinct()
            .prefetch_related(
                Prefetch("staff_roles", queryset=StaffRole.objects.filter(school=self.school), to_attr="here")
            )
            .order_by("last_name", "first_name", "username")
        )

    def dehydrate_roles(self, user: User) -> str:
        return ", ".join(ROLE_WORDS[Role(r.role)] for r in sorted(user.here, key=lambda r: Role.values.index(r.role)))

    def dehydrate_position(self, user: User) -> str:
        return next((r.position for r in user.here if r.position), "")

    def import_field(
        self, field: Field, instance: User, row: dict[str, Any], is_m2m: bool = False, **kwargs: Any
    ) -> None:
        if field.attribute == "username" and instance.pk and not text(row.get(COL_LOGIN)):
            return  # matched by e-mail: the login stays
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def key_of(self, row: dict[str, Any]) -> Any:
        login, email = fold(row.get(COL_LOGIN)), fold(row.get(COL_EMAIL))
        if login:
            return ("login", login)
        return ("email", email) if email else None

    def load_existing(self, dataset: tablib.Dataset | None) -> dict[Any, User]:
        logins = {fold(v) for v in dataset[COL_LOGIN] if v} if dataset and COL_LOGIN in dataset.headers else set()
        emails = {fold(v) for v in dataset[COL_EMAIL] if v} if dataset and COL_EMAIL in dataset.headers else set()
        query = Q(pk__in=[])
        for login in logins:
            query |= Q(username__iexact=login)
        for email in emails:
            query |= Q(email__iexact=email)
        users = list(User.objects.filter(query)) if logins or emails else []
        for user_id, school_id, role, position in StaffRole.objects.filter(user__in=users).values_list(
            "user_id", "school_id", "role", "position"
        ):
            self.roles_of[user_id].append((school_id, role, position))
        found: dict[Any, User] = {}
        by_email: dict[str, list[User]] = defaultdict(list)
        for user in users:
            found[("login", user.username.casefold())] = user
            if user.email:
                by_email[fold(user.email)].append(user)
        for email, owners in by_email.items():
            # an e-mail shared by two accounts names nobody: the row must give the login
            found[("email", email)] = owners[0] if len(owners) == 1 else None  # type: ignore[assignment]
        return found

    def plan_row(self, instance: User, row: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        try:
            roles = parse_roles(row.get(COL_ROLES))
        except ValueError as exc:
            errors.setdefault(COL_ROLES, []).append(str(exc))
            roles = []
        refused = [r for r in roles if r not in self.grantable]
        if refused:
            errors.setdefault(COL_ROLES, []).append(
                _("You may not grant the role «%(role)s».") % {"role": ROLE_WORDS[Role(refused[0])]}
            )
        if instance.email and "email" not in errors:
            try:
                validate_email(instance.email)
            except ValidationError:
                errors.setdefault("email", []).append(
                    _("«%(value)s» is not an e-mail address.") % {"value": instance.email}
                )
        if instance.pk:
            problem = self._unmanageable(instance)
            if problem:
                errors.setdefault("__all__", []).append(problem)
        elif instance.username and User.objects.filter(username__iexact=instance.username).exists():
            errors.setdefault("username", []).append(
                _("The login «%(login)s» is already taken.") % {"login": instance.username}
            )
        elif not instance.username and not errors:
            assign_logins([instance], fallback="staff")
        if not instance.pk:
            instance.set_unusable_password()
        position = text(row.get(COL_POSITION))[:200]
        held = {
            (role, pos) for school_id, role, pos in self.roles_of.get(instance.pk, []) if school_id == self.school.pk
        }
        missing = [r for r in roles if r not in {role for role, _p in held}]
        reposition = bool(position) and any(pos != position for _r, pos in held)
        if not missing and not reposition and instance.pk:
            return None
        return {"roles": roles, "position": position}

    def _unmanageable(self, user: User) -> str:
        held = self.roles_of.get(user.pk, [])
        if user.is_superuser or user.is_staff or not any(s == self.school.pk for s, _r, _p in held):
            return _("%(user)s is not on the staff of this school; add them on the accounts page.") % {
                "user": user.username
            }
        if self.scope_schools is not None and any(s not in self.scope_schools for s, _r, _p in held):
            return _("%(user)s also works at another school: ask its administrator.") % {"user": user.short_name}
        if any(r not in self.grantable for s, r, _p in held if s == self.school.pk):
            return _("Only the administrator manages the account of %(user)s.") % {"user": user.short_name}
        return ""

    def apply_row(self, instance: User, row: dict[str, Any], plan: Any) -> None:
        staff_roles_grant_bulk(
            actor=self.actor, items=[(instance, self.school, role, plan["position"]) for role in plan["roles"]]
        )
        if plan["position"]:
            StaffRole.objects.filter(user=instance, school=self.school).update(position=plan["position"])

    def label_of(self, row: dict[str, Any]) -> str:
        return " ".join(text(row.get(c)) for c in (COL_LAST, COL_FIRST, COL_PATRONYMIC)) + (
            f" ({text(row.get(COL_LOGIN))})" if text(row.get(COL_LOGIN)) else ""
        )
