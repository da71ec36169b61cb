"""The journal's authentication backend: Django's ModelBackend that also refuses a temporary login
(``User.valid_until``, R17 — given to students while the state login is unavailable) after its end."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone


class JournalModelBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        valid_until = getattr(user, "valid_until", None)
        return valid_until is None or timezone.now() < valid_until
