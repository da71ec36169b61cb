"""Rate limits on logging in and on everything that issues or changes passwords (issue 8).

django-ratelimit keeps the counters in the default cache (Redis in production and in the tests, so every
web process shares them). Over the limit the user gets a Russian page with status 429 that says to wait;
it reads the same whatever login was typed, so it tells nobody whether an account exists.

- failed logins per client address (``LOGIN_RATE_LIMIT``); django-axes also locks a login itself;
- new one-time passwords issued by one user (``CREDENTIALS_RATE_LIMIT``);
- password change attempts of one user (``PASSWORD_CHANGE_RATE_LIMIT``).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

LOGIN = "login-failures"
CREDENTIALS = "credentials"
PASSWORD_CHANGE = "password-change"


def client_ip(request: HttpRequest) -> str:
    """The address of the person asking: the header the reverse proxy sets (``CLIENT_IP_HEADER``), else
    the connection's own address. Anything that is not an IP address counts as one shared unknown one."""
    candidates = []
    if settings.CLIENT_IP_HEADER:
        candidates.append(request.headers.get(settings.CLIENT_IP_HEADER, "").split(",")[0].strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return "0.0.0.0"


def _usage(request: HttpRequest, group: str, key: str, rate: str, increment: bool) -> dict[str, Any] | None:
    return get_usage(request, group=group, key=key, rate=rate, method=["POST"], increment=increment)


def too_many(request: HttpRequest, message: str, retry_after: int | None = None) -> HttpResponse:
    """The 429 page: what happened and that waiting helps."""
    response = render(request, "429.html", {"message": message}, status=429)
    if retry_after and retry_after > 0:
        response["Retry-After"] = str(retry_after)
    return response


# --- login ---------------------------------------------------------------------------------------------


def login_blocked(request: HttpRequest) -> HttpResponse | None:
    """The 429 answer when this address has used up its failed logins, before any password is checked."""
    usage = _usage(request, LOGIN, "ip", settings.LOGIN_RATE_LIMIT, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return None
    return too_many(
        request,
        _(
            "There were too many unsuccessful logins from your network in a short time. Wait a few minutes "
            "and try again. If you have forgotten the password, ask the class teacher or the school's "
            "administrator."
        ),
        usage["time_left"],
    )


def login_failed(request: HttpRequest) -> None:
    """Count one failed login of this address."""
    _usage(request, LOGIN, "ip", settings.LOGIN_RATE_LIMIT, increment=True)


# --- per user ------------------------------------------------------------------------------------------


def user_over_limit(request: HttpRequest, group: str, rate: str) -> dict[str, Any] | None:
    """Count this POST of the logged-in user in ``group``; the usage when it goes over ``rate``."""
    if not request.user.is_authenticated:
        return None
    usage = _usage(request, group, "user", rate, increment=True)
    return usage if usage is not None and usage["should_limit"] else None


def _too_often(request: HttpRequest, usage: dict[str, Any]) -> HttpResponse:
    return too_many(
        request,
        _("This was done too many times in a short time. Wait a while and try again; nothing was changed."),
        usage["time_left"],
    )


def limit_credentials(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Views that issue new passwords: at most ``CREDENTIALS_RATE_LIMIT`` POSTs per user, all of them
    together; over it the view does not run at all (no password is changed)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        usage = user_over_limit(request, CREDENTIALS, settings.CREDENTIALS_RATE_LIMIT)
        if usage is not None:
            return _too_often(request, usage)
        return view(request, *args, **kwargs)

    return wrapped


def password_change_blocked(request: HttpRequest) -> HttpResponse | None:
    """Count a password change attempt; the 429 answer when the user has made too many."""
    usage = user_over_limit(request, PASSWORD_CHANGE, settings.PASSWORD_CHANGE_RATE_LIMIT)
    return _too_often(request, usage) if usage is not None else None
