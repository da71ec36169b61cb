"""User activity (10, R22): logins by role per week or month."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncWeek

from accounts.models import LoginEvent, Role, StaffRole, User
from journal.models import School

from ..tables import Document, Row, Table, percent
from .base import MONTHS, Progress, _noop

# --- 10. user activity (R22) ------------------------------------------------------------------------------

STAFF_ROLES = {
    Role.DIRECTOR: "Директор",
    Role.DEPUTY: "Заместители директора",
    Role.ADMINISTRATOR: "Администраторы",
    Role.SECRETARY: "Секретари",
    Role.TEACHER: "Учителя",
}
PARENTS, STUDENTS = "parents", "students"
ROLE_NAMES = {**STAFF_ROLES, PARENTS: "Родители", STUDENTS: "Учащиеся"}
MAX_DAYS = 731


def _date(params: dict, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(params.get(key, "")))
    except ValueError:
        raise ValidationError("Укажите даты начала и конца в формате ГГГГ-ММ-ДД.") from None


def _buckets(start: dt.date, end: dt.date, step: str) -> list[tuple[dt.date, str]]:
    """(first day, label) of every week (from Monday) or month that meets [start, end]."""
    out = []
    if step == "week":
        day = start - dt.timedelta(days=start.weekday())
        while day <= end:
            last = day + dt.timedelta(days=6)
            out.append((day, f"{max(day, start):%d.%m}–{min(last, end):%d.%m.%Y}"))
            day += dt.timedelta(days=7)
    else:
        day = start.replace(day=1)
        while day <= end:
            out.append((day, f"{MONTHS[day.month - 1]} {day.year}"))
            day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def user_activity(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Активность пользователей (R22): per week or month of [start, end], for each role of the school
    (staff by their role, parents of its students, students with their own login) the users who logged in
    at least once, their share of all users of the role and the number of logins. Days are the school's
    own (its time zone). Nine queries, whatever the number of users or logins."""
    start, end = _date(params, "start"), _date(params, "end")
    step = params.get("step") or "week"
    if step not in ("week", "month"):
        raise ValidationError("Выберите шаг: неделя или месяц.")
    if start > end:
        raise ValidationError("Начало периода позже его конца.")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError("Выберите период не длиннее двух лет.")
    tz = school.tzinfo
    since = dt.datetime.combine(start, dt.time.min, tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz)
    logins = LoginEvent.objects.filter(at__gte=since, at__lt=until)
    trunc = (TruncWeek if step == "week" else TruncMonth)("at", tzinfo=tz)
    # Staff logins are grouped by the staff role; a parent's logins count once however many children.
    sources = {
        "staff": logins.filter(user__staff_roles__school=school),
        PARENTS: logins.filter(user__children_links__student__school=school),
        STUDENTS: logins.filter(user__student_profile__school=school),
    }
    population: Counter = Counter(
        {
            r["role"]: r["n"]
            for r in StaffRole.objects.filter(school=school)
            .values("role")
            .annotate(n=Count("user", distinct=True))
            .order_by()
        }
    )
    population[PARENTS] = User.objects.filter(children_links__student__school=school).distinct().count()
    population[STUDENTS] = User.objects.filter(student_profile__school=school).count()
    progress(30)
    per_bucket: dict[tuple[str, dt.date], tuple[int, int]] = {}
    overall: dict[str, tuple[int, int]] = {}
    for key, qs in sources.items():
        fields = ["user__staff_roles__role"] if key == "staff" else []
        counted = {"users": Count("user_id", distinct=True), "n": Count("id", distinct=True)}
        for r in qs.values(*fields, bucket=trunc).annotate(**counted).order_by():
            role = r["user__staff_roles__role"] if fields else key
            per_bucket[(role, r["bucket"].astimezone(tz).date())] = (r["users"], r["n"])
        if fields:
            for r in qs.values(*fields).annotate(**counted).order_by():
                overall[r["user__staff_roles__role"]] = (r["users"], r["n"])
        else:
            r = qs.aggregate(**counted)
            overall[key] = (r["users"], r["n"])
    progress(80)
    buckets = _buckets(start, end, step)
    doc = Document(
        "Активность пользователей",
        f"{school} · {start:%d.%m.%Y}–{end:%d.%m.%Y} · по {'неделям' if step == 'week' else 'месяцам'}",
    )
    summary = Table(
        "roles",
        "За весь период",
        ["Роль", "Пользователей", "Входили", "Входили, %", "Входов"],
        note="Пользователи роли — все, у кого она есть в школе сейчас; входили — хотя бы один вход за период. "
        "Пользователь с двумя ролями считается в каждой.",
    )
    doc.tables.append(summary)
    for key, title in ROLE_NAMES.items():
        users, n = overall.get(key, (0, 0))
        summary.rows.append(
            Row([title, population[key], users, percent(users, population[key]), n], drill=f"role:{key}")
        )
        table = Table(
            f"role:{key}",
            f"{title} — по {'неделям' if step == 'week' else 'месяцам'}",
            ["Период", "Входили", "Входили, %", "Входов"],
        )
        for day, label in buckets:
            b_users, b_n = per_bucket.get((key, day), (0, 0))
            table.rows.append(Row([label, b_users, percent(b_users, population[key]), b_n]))
        table.rows.append(Row(["За весь период", users, percent(users, population[key]), n], emphasis="total"))
        doc.tables.append(table)
    progress(100)
    return doc
