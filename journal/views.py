"""Pages of the core app. Thin: scope through accounts.permissions, read through selectors, render."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Role, User
from accounts.permissions import roles_of

from . import health, selectors
from .diary_cache import Rendered, cached_child_card
from .models import Student

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
        context["child_cards"] = _child_cards(user, day)
    context["glances"] = [
        (sorted(str(Role(r).label) for r in held), selectors.school_glance(roles.schools[school_id], day))
        for school_id, held in sorted(roles.staff.items())
        if held & SCHOOL_STAFF
    ]
    context["has_any_role"] = bool(
        roles.staff or roles.is_parent or roles.is_student or roles.is_class_teacher or roles.teaches
    )
    return render(request, "journal/home.html", context)


def _child_cards(user: User, day: dt.date) -> list[str]:
    """Each child's card of the family's home, rendered once for all its readers and cached under the
    child's diary stamps (journal/diary_cache.py): the peak's third most read page."""
    cards = []
    for student in selectors.children_of(user):

        def build(student: Student = student) -> Rendered:
            summary = selectors.child_summary(student, day)
            return Rendered(render_to_string("journal/partials/_home_child.html", {"child": summary}))

        cards.append(cached_child_card(student, day, build).safe_html)
    return cards


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and monitoring: database and broker status as JSON.

    200 when the database answers (the broker may be down: marks are still saved); 503 otherwise. The
    full check of the configuration is ``manage.py health`` (journal/health.py), which this shares.
    """
    started = time.monotonic()
    status: dict = {"database": {"ok": True, "vendor": connection.vendor}}
    if (error := health.database_error()) is not None:
        # Only the class of the error: this answer is public.
        status["database"] = {"ok": False, "vendor": connection.vendor, "error": error.__class__.__name__}
    if health.eager_mode():
        status["broker"] = {"ok": True, "mode": "eager"}
    elif (broker_error := health.redis_error(settings.REDIS_URL)) is not None:
        status["broker"] = {"ok": False, "mode": "redis", "error": broker_error.__class__.__name__}
    else:
        status["broker"] = {"ok": True, "mode": "redis"}
    status["ok"] = status["database"]["ok"] and status["broker"]["ok"]
    status["ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse(status, status=200 if status["database"]["ok"] else 503)


# The superuser's page of `manage.py health`: what each check is called, in Russian.
HEALTH_LABELS = {
    "database": _("Database"),
    "migrations": _("Database migrations"),
    "broker": _("Redis (task broker)"),
    "worker": _("Celery workers"),
    "beat": _("Celery beat (scheduled jobs)"),
    "storage:media": _("Uploaded files"),
    "storage:archive-a": _("Archive storage A"),
    "storage:archive-b": _("Archive storage B"),
    "storage:var": _("Working directory (VAR_DIR)"),
    "storage:render-cache": _("Render cache of the archive"),
    "certificate": _("Signing certificate"),
    "backups": _("Backups"),
}
HEALTH_STATUSES = {
    health.OK: _("OK"),
    health.WARN: _("Warning"),
    health.FAIL: _("Failure"),
    health.SKIP: _("Not used"),
}


@never_cache
@login_required
@require_GET
def health_page(request: HttpRequest) -> HttpResponse:
    """``manage.py health`` as a page (/admin/health/) for the platform's superusers; 404 for anybody else."""
    if not request.user.is_superuser:
        raise Http404
    checks = health.run_checks()
    rows = [
        {
            "name": check.name,
            "label": HEALTH_LABELS.get(check.name, check.name),
            "status": check.status,
            "status_label": HEALTH_STATUSES[check.status],
            "detail": check.detail,
        }
        for check in checks
    ]
    failed = sum(check.failed for check in checks)
    return render(request, "journal/health.html", {"rows": rows, "failed": failed})


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
