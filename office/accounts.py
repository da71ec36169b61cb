"""Accounts of a school (issue 7 point 6, R17): staff accounts and their roles, one-time password slips,
temporary student logins, unlocking a login locked by django-axes.

Who may do what (``accounts.permissions.office_scope``):

* the administrator (``accounts``) manages every staff account of the school and grants every role;
* the secretary (``staff_accounts``) creates and manages teachers and secretaries only: she grants and
  takes away the roles «teacher» and «secretary», and never touches the account of a director, a deputy
  or an administrator (a new password for them would hand her their access);
* nobody manages an account that also works in a school outside their own scope, a site superuser, or
  blocks or demotes themselves;
* temporary student logins are the administrator's (R17: staff get credentials from the administrator,
  students' temporary logins when the state login is unavailable).

Every change is written to the school's change log (``office.audit.record``) in the same transaction.
Passwords are never stored or logged: they appear only on the printed slip.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PersonalDataChange, PersonalObject, Role, StaffRole, User
from accounts.permissions import office_scope
from accounts.personal import PASSWORD_EVENT, credentials_issue, one_time_password
from accounts.services import staff_role_grant, staff_role_revoke, student_login_set_bulk
from journal.class_desk import class_students
from journal.models import School, SchoolClass, Student

from .audit import record

SECRETARY_ROLES = frozenset({Role.TEACHER, Role.SECRETARY})
TEMPORARY_DAYS = 14  # default validity of a temporary student login
TEMPORARY_MAX_DAYS = 92


# --- who may do what -------------------------------------------------------------------------------------


def grantable_roles(actor: User, school: School) -> list[str]:
    """The roles ``actor`` may grant and take away in ``school``, in the order of ``Role``."""
    scope = office_scope(actor)
    if school.pk in scope.accounts:
        return list(Role.values)
    if school.pk in scope.staff_accounts:
        return [r for r in Role.values if r in SECRETARY_ROLES]
    return []


def _check_staff_office(actor: User, school: School) -> None:
    if school.pk not in office_scope(actor).staff_accounts:
        raise PermissionDenied(_("You do not manage the accounts of this school."))


def _check_administrator(actor: User, school: School) -> None:
    if school.pk not in office_scope(actor).accounts:
        raise PermissionDenied(_("Only the school's administrator does this."))


def _check_manageable(actor: User, school: School, users: Iterable[User]) -> None:
    """Refuse unless ``actor`` may manage each of ``users`` (see the module's docstring)."""
    scope = office_scope(actor)
    if school.pk not in scope.staff_accounts:
        raise PermissionDenied(_("You do not manage the accounts of this school."))
    administrator = school.pk in scope.accounts
    users = list(users)
    roles: dict[int, list[tuple[int, str]]] = {u.pk: [] for u in users}
    for user_id, school_id, role in StaffRole.objects.filter(user__in=users).values_list(
        "user_id", "school_id", "role"
    ):
        roles[user_id].append((school_id, role))
    for user in users:
        held = roles[user.pk]
        if user.is_superuser or user.is_staff or not any(s == school.pk for s, _r in held):
            raise PermissionDenied(_("%(user)s is not on the staff of this school.") % {"user": user})
        if any(s not in scope.staff_accounts for s, _r in held):
            raise PermissionDenied(
                _("%(user)s also works at another school: ask its administrator.") % {"user": user.short_name}
            )
        if not administrator and any(r not in SECRETARY_ROLES for _s, r in held):
            raise PermissionDenied(
                _("Only the administrator manages the account of %(user)s.") % {"user": user.short_name}
            )


# --- reading ---------------------------------------------------------------------------------------------


@dataclass
class StaffRow:
    user: User
    roles: list[StaffRole] = field(default_factory=list)
    locked: bool = False  # too many wrong passwords (django-axes)

    @property
    def role_names(self) -> str:
        return ", ".join(str(r.get_role_display()) for r in self.roles)

    @property
    def position(self) -> str:
        return next((r.position for r in self.roles if r.position), "")


def staff_of(school: School) -> list[StaffRow]:
    """The school's staff (everybody with a role there), by surname, each with their roles in this school
    and whether django-axes has locked their login. Three queries, whatever the size."""
    users = (
        User.objects.filter(staff_roles__school=school)
        .distinct()
        .prefetch_related(Prefetch("staff_roles", StaffRole.objects.filter(school=school).order_by("role")))
        .order_by("last_name", "first_name", "patronymic", "pk")
    )
    rows = [StaffRow(user=u, roles=list(u.staff_roles.all())) for u in users]
    locked = locked_usernames([r.user.username for r in rows])
    for row in rows:
        row.locked = row.user.username in locked
    return rows


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of ``usernames`` django-axes locks now (failures at the limit within the cool-off time)."""
    if not usernames:
        return set()
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(
            username__in=usernames, failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
        ).values_list("username", flat=True)
    )


def staff_user_of(school: School, pk: int) -> User | None:
    """A member of the school's staff, or None."""
    return User.objects.filter(pk=pk, staff_roles__school=school).distinct().first()


# --- sessions --------------------------------------------------------------------------------------------


def user_sessions_end(user: User) -> int:
    """End every live session of ``user``: the database row AND (with the cached_db engine) its cache
    entry, through the session engine's own ``delete``. Returns how many were ended.

    Sessions are not indexed by user, so the live ones are decoded one by one in chunks (a school's
    few thousand sessions at most; this runs only when an account is blocked)."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    wanted = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000)
        if str(session.get_decoded().get(SESSION_KEY, "")) == wanted
    ]
    for key in keys:
        store_class(session_key=key).delete()
    return len(keys)


# --- staff accounts ----------------------------------------------------------------------------------------


def _check_roles(actor: User, school: School, roles: Iterable[str]) -> None:
    allowed = set(grantable_roles(actor, school))
    refused = [r for r in roles if r not in allowed]
    if refused:
        raise PermissionDenied(
            _("You may not grant or take away the role «%(role)s».") % {"role": Role(refused[0]).label}
        )


@transaction.atomic
def staff_account_create(
    *,
    actor: User,
    school: School,
    last_name: str,
    first_name: str,
    patronymic: str = "",
    username: str,
    email: str = "",
    phone: str = "",
    roles: Iterable[str],
    position: str = "",
) -> User:
    """Create a staff account with the given roles in ``school`` and an unusable password: the person
    gets a one-time password on a printed slip (:func:`staff_slips_issue`)."""
    _check_staff_office(actor, school)
    roles = list(dict.fromkeys(roles))
    if not roles:
        raise ValidationError(_("Choose at least one role."))
    _check_roles(actor, school, roles)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("The login «%(login)s» is already taken.") % {"login": username})
    user = User(
        username=username,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        patronymic=patronymic.strip(),
        email=email.strip(),
        phone=phone.strip(),
    )
    user.set_unusable_password()
    user.save()
    for role in roles:
        staff_role_grant(actor=actor, user=user, school=school, role=role, position=position.strip())
    record(
        actor=actor,
        school=school,
        action="create",
        object_type="account",
        object_id=user.pk,
        summary=_("Staff account %(login)s created: %(user)s, %(roles)s")
        % {"login": user.username, "user": user.full_name, "roles": ", ".join(str(Role(r).label) for r in roles)},
        data={"roles": roles, "position": position.strip()},
    )
    return user


@transaction.atomic
def staff_roles_set(*, actor: User, school: School, user: User, roles: Iterable[str], position: str = "") -> None:
    """Make ``roles`` exactly the user's roles in ``school`` (through ``staff_role_grant`` /
    ``staff_role_revoke``, so the permissions follow) and set the position. Roles the actor may not
    grant are left as they are; nobody takes their own administrator role away."""
    _check_manageable(actor, school, [user])
    wanted = set(roles)
    held = set(StaffRole.objects.filter(user=user, school=school).values_list("role", flat=True))
    allowed = set(grantable_roles(actor, school))
    _check_roles(actor, school, wanted - held)
    if not wanted | (held - allowed):
        raise ValidationError(_("Keep at least one role; to close the access, block the account."))
    if user.pk == actor.pk and Role.ADMINISTRATOR in held - wanted:
        raise ValidationError(_("You cannot take the administrator's role away from yourself."))
    added, removed = sorted(wanted - held), sorted((held - wanted) & allowed)
    for role in added:
        staff_role_grant(actor=actor, user=user, school=school, role=role, position=position.strip())
    for role in removed:
        staff_role_revoke(actor=actor, user=user, school=school, role=role)
    old_positions = set(StaffRole.objects.filter(user=user, school=school).values_list("position", flat=True))
    position_changed = old_positions != {position.strip()}
    StaffRole.objects.filter(user=user, school=school).update(position=position.strip())
    if added or removed or position_changed:
        record(
            actor=actor,
            school=school,
            action="change",
            object_type="account",
            object_id=user.pk,
            summary=_("Roles of %(login)s: added %(added)s; removed %(removed)s; position «%(position)s»")
            % {
                "login": user.username,
                "added": ", ".join(str(Role(r).label) for r in added) or "—",
                "removed": ", ".join(str(Role(r).label) for r in removed) or "—",
                "position": position.strip(),
            },
            data={"added": added, "removed": removed, "position": position.strip()},
        )


@transaction.atomic
def staff_account_block(*, actor: User, school: School, user: User, active: bool) -> int:
    """Block (``active=False``: the person cannot log in and every session ends) or unblock a staff
    account. Returns how many sessions were ended."""
    _check_manageable(actor, school, [user])
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot block your own account."))
    if user.is_active == active:
        return 0
    user.is_active = active
    user.save(update_fields=["is_active"])
    ended = 0 if active else user_sessions_end(user)
    record(
        actor=actor,
        school=school,
        action="change",
        object_type="account",
        object_id=user.pk,
        summary=(_("Account %(login)s unblocked") if active else _("Account %(login)s blocked"))
        % {"login": user.username},
        data={"is_active": active, "sessions_ended": ended},
    )
    return ended


@transaction.atomic
def staff_slips_issue(*, actor: User, school: School, users: Iterable[User]) -> list[tuple[User, str]]:
    """Give each staff member a new one-time password (changed at the next login) for a printed slip;
    returns ``(user, password)`` pairs — the only place the passwords appear. Printing again issues a
    new password. The event, never the password, is recorded."""
    users = list(users)
    if not users:
        raise ValidationError(_("Choose at least one person."))
    _check_manageable(actor, school, users)
    targets = list(User.objects.select_for_update().filter(pk__in=[u.pk for u in users]).order_by("last_name", "pk"))
    issued = []
    for user in targets:
        password = one_time_password()
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        issued.append((user, password))
    PersonalDataChange.objects.bulk_create(
        PersonalDataChange(actor=actor, object_type=PersonalObject.USER, object_id=u.pk, field=PASSWORD_EVENT)
        for u, _p in issued
    )
    record(
        actor=actor,
        school=school,
        action="change",
        object_type="account",
        summary=_("One-time passwords printed for: %(logins)s") % {"logins": ", ".join(u.username for u, _p in issued)},
        data={"users": [u.pk for u, _p in issued]},
    )
    return issued


@transaction.atomic
def login_unlock(*, actor: User, school: School, user: User) -> int:
    """Lift django-axes' lock of the user's login (too many wrong passwords) before its cool-off ends."""
    _check_manageable(actor, school, [user])
    removed = axes_reset(username=user.username)
    record(
        actor=actor,
        school=school,
        action="change",
        object_type="account",
        object_id=user.pk,
        summary=_("Login %(login)s unlocked") % {"login": user.username},
    )
    return removed


# --- temporary student logins (R17) ------------------------------------------------------------------------

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)


def _latin(text: str) -> str:
    out = "".join(_TRANSLIT.get(c, c) for c in text.lower()).replace("-", "")
    return re.sub(r"[^a-z0-9]", "", out)


def _free_usernames(students: list[Student]) -> dict[int, str]:
    """A new unique login per student: «ivanov.p», then «ivanov.p2», …"""
    bases = {s.pk: f"{_latin(s.last_name) or 'student'}.{_latin(s.first_name)[:1] or 's'}" for s in students}
    taken = set()
    for base in set(bases.values()):
        taken |= {u.lower() for u in User.objects.filter(username__istartswith=base).values_list("username", flat=True)}
    result = {}
    for pk, base in bases.items():
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}{n}"
        taken.add(name)
        result[pk] = name
    return result


def valid_until_of(school: School, day: dt.date) -> dt.datetime:
    """A temporary login given "until ``day``" works through that whole day in the school's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zoneinfo.ZoneInfo(school.time_zone))


@dataclass
class TemporaryLogin:
    user: User
    password: str
    student: Student


@transaction.atomic
def temporary_logins_issue(*, actor: User, school_class: SchoolClass, until: dt.date) -> list[TemporaryLogin]:
    """Every student of the class today gets (or keeps) a login of their own, a new one-time password and
    the end of its validity: the login stops working after ``until`` (R17: while the state login is
    unavailable). Returns what goes on the slips."""
    school = school_class.year.school
    _check_administrator(actor, school)
    today = timezone.localdate()
    if until < today:
        raise ValidationError(_("The end of validity is in the past."))
    if until > today + dt.timedelta(days=TEMPORARY_MAX_DAYS):
        raise ValidationError(_("A temporary login is given for at most three months."))
    students = list(class_students(school_class, today).select_related("user"))
    if not students:
        raise ValidationError(_("The class has no students today."))
    new = [s for s in students if s.user_id is None]
    names = _free_usernames(new)
    created = []
    for student in new:
        user = User(
            username=names[student.pk],
            last_name=student.last_name,
            first_name=student.first_name,
            patronymic=student.patronymic,
        )
        user.set_unusable_password()
        created.append(user)
    User.objects.bulk_create(created)
    student_login_set_bulk(actor=actor, items=list(zip(new, created, strict=True)))
    users = [s.user for s in students]
    ends = valid_until_of(school, until)
    User.objects.filter(pk__in=[u.pk for u in users]).update(valid_until=ends)
    issued = dict((u.pk, p) for u, p in credentials_issue(actor=actor, users=users))
    for user in users:
        user.valid_until = ends
    record(
        actor=actor,
        school=school,
        action="change",
        object_type="temporary_login",
        object_id=school_class.pk,
        summary=_("Temporary logins of class %(cls)s until %(date)s: %(count)d (new: %(new)d)")
        % {"cls": school_class.name, "date": f"{until:%d.%m.%Y}", "count": len(users), "new": len(created)},
        data={"users": [u.pk for u in users], "until": until.isoformat()},
    )
    return [TemporaryLogin(user=s.user, password=issued[s.user.pk], student=s) for s in students]


def temporary_logins_of(school_class: SchoolClass) -> list[Student]:
    """Students of the class today whose own login is temporary (has an end), with the login."""
    return list(
        class_students(school_class, timezone.localdate())
        .filter(user__valid_until__isnull=False)
        .select_related("user")
    )


@transaction.atomic
def temporary_logins_end(*, actor: User, school_class: SchoolClass) -> int:
    """End the class's temporary logins now (their sessions too). Returns how many were ended."""
    school = school_class.year.school
    _check_administrator(actor, school)
    now = timezone.now()
    users = list(
        User.objects.filter(
            Q(valid_until__gt=now),
            student_profile__in=class_students(school_class, timezone.localdate()),
        )
    )
    User.objects.filter(pk__in=[u.pk for u in users]).update(valid_until=now)
    for user in users:
        user_sessions_end(user)
    record(
        actor=actor,
        school=school,
        action="change",
        object_type="temporary_login",
        object_id=school_class.pk,
        summary=_("Temporary logins of class %(cls)s ended early: %(count)d")
        % {"cls": school_class.name, "count": len(users)},
        data={"users": [u.pk for u in users]},
    )
    return len(users)
