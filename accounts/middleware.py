"""Activates the time zone of the user's school, so "today" and every time shown are the school's."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
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
