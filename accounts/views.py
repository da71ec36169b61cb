"""Login and password change with the one-time passwords of the credential slips (R17).

A user whose password was issued on a slip (``must_change_password``) is taken to the password change
page right after logging in; changing the password clears the flag.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from . import ratelimits


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Too many failed logins from this address: refused before any password is checked (issue 8).
        return ratelimits.login_blocked(request) or super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:  # noqa: ANN001
        ratelimits.login_failed(self.request)
        return super().form_invalid(form)

    def get_success_url(self) -> str:
        if getattr(self.request.user, "must_change_password", False):
            return reverse("password_change")
        return super().get_success_url()


class PasswordChangeView(auth_views.PasswordChangeView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return ratelimits.password_change_blocked(request) or super().post(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:  # noqa: ANN001
        form.user.must_change_password = False  # saved together with the new password by the form
        return super().form_valid(form)


def locked_out(request, credentials=None, *args, **kwargs) -> HttpResponse:  # noqa: ANN001, ANN002, ANN003
    """django-axes' answer to a login that is locked after repeated failures (R17): 429 with the time left."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
