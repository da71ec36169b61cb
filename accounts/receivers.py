"""Records each successful login for the activity log (R20 parents' participation, R22 activity report).

A signal is the one place Django offers for this; it writes one row and carries no business rules.
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .models import LoginEvent


@receiver(user_logged_in, dispatch_uid="accounts.record_login")
def record_login(sender, request, user, **kwargs) -> None:  # noqa: ANN001
    meta = request.META if request is not None else {}
    LoginEvent.objects.create(
        user=user,
        ip=meta.get("REMOTE_ADDR") or None,
        user_agent=(meta.get("HTTP_USER_AGENT") or "")[:300],
    )
