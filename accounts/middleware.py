"""Per-request account rules: the time zone of the user's school (so "today" and every time shown are the
school's), and the password change a one-time password requires (R17)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "school_tz"


def _school_tz_of(user) -> str | None:  # noqa: ANN001
    from journal.models import School

    from .permissions import schools_for

    school = schools_for(user).order_by("pk").values_list("time_zone", flat=True).first()
    return school or School._meta.get_field("time_zone").default


class SchoolTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            tz_name = request.session.get(SESSION_KEY)
            if tz_name is None:
                tz_name = _school_tz_of(user)
                request.session[SESSION_KEY] = tz_name
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        else:
            timezone.deactivate()
        return self.get_response(request)


# Paths a user with a one-time password may still open: changing it, leaving, and what the pages load.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz")


class PasswordChangeRequiredMiddleware:
    """A user whose password came on a credential slip (R17) changes it before anything else: every other
    page sends them to the password change (htmx requests are told to go there too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            target = reverse("password_change")
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)
