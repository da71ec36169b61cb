"""Pages of the core app. Thin: scope through accounts.permissions, read through selectors, render."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.permissions import roles_of

from . import selectors

SCHOOL_STAFF = {Role.DIRECTOR, Role.DEPUTY, Role.ADMINISTRATOR, Role.SECRETARY}


def _day_from(request: HttpRequest) -> dt.date:
    """The day the home page shows: today in the school's time zone, or ``?day=YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The role home page: one panel per role the user holds, about the chosen day (today by default)."""
    user = request.user
    day = _day_from(request)
    today = timezone.localdate()
    roles = roles_of(user, today=day)
    context: dict = {
        "day": day,
        "today": today,
        "is_today": day == today,
        "prev_day": day - dt.timedelta(days=3 if day.isoweekday() == 1 else 1),
        "next_day": day + dt.timedelta(days=3 if day.isoweekday() == 5 else 1),
        "roles": roles,
    }
    if roles.teaches or roles.substitutes or roles.has(Role.TEACHER):
        context["day_lessons"] = selectors.teacher_day(user, day)
    if roles.is_class_teacher:
        context["led_classes"] = selectors.led_classes(user, day)
    if roles.is_parent or roles.is_student:
        context["children"] = selectors.children_of(user, day)
    context["glances"] = [
        (sorted(str(Role(r).label) for r in held), selectors.school_glance(roles.schools[school_id], day))
        for school_id, held in sorted(roles.staff.items())
        if held & SCHOOL_STAFF
    ]
    context["has_any_role"] = bool(
        roles.staff or roles.is_parent or roles.is_student or roles.is_class_teacher or roles.teaches
    )
    return render(request, "journal/home.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and monitoring: database and broker status as JSON.

    200 when the database answers (the broker may be down: marks are still saved); 503 otherwise.
    """
    started = time.monotonic()
    status: dict = {"database": {"ok": False, "vendor": connection.vendor}}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        status["database"]["ok"] = True
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported as text
        status["database"]["error"] = exc.__class__.__name__
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        status["broker"] = {"ok": True, "mode": "eager"}
    else:
        status["broker"] = _broker_status()
    status["ok"] = status["database"]["ok"] and status["broker"]["ok"]
    status["ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse(status, status=200 if status["database"]["ok"] else 503)


def _broker_status() -> dict:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return {"ok": True, "mode": "redis"}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "mode": "redis", "error": exc.__class__.__name__}


@login_required
@require_GET
def journal_week(request: HttpRequest) -> HttpResponse:
    """The teacher's week (/journal/): every lesson one click from its page, flagged when held without
    a topic or without marks. ``?week=YYYY-MM-DD`` (any day of the week) switches weeks."""
    day = timezone.localdate()
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        pass
    monday = day - dt.timedelta(days=day.isoweekday() - 1)
    week = selectors.teacher_week(request.user, monday)
    return render(
        request,
        "journal/week.html",
        {
            "week": week,
            "monday": monday,
            "today": timezone.localdate(),
            "prev_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "has_lessons": any(week.values()),
            "groups": selectors.my_groups(request.user, timezone.localdate()),
        },
    )
