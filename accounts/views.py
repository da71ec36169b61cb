"""Login and password change with the one-time passwords of the credential slips (R17).

A user whose password was issued on a slip (``must_change_password``) is taken to the password change
page right after logging in; changing the password clears the flag.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        if getattr(self.request.user, "must_change_password", False):
            return reverse("password_change")
        return super().get_success_url()


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form) -> HttpResponse:  # noqa: ANN001
        form.user.must_change_password = False  # saved together with the new password by the form
        return super().form_valid(form)


def locked_out(request, credentials=None, *args, **kwargs) -> HttpResponse:  # noqa: ANN001, ANN002, ANN003
    """django-axes' answer to a login that is locked after repeated failures (R17): 429 with the time left."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
