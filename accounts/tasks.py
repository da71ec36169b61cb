"""Scheduled jobs of the accounts app. Thin: they call a service and are safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="accounts.expire_assignments")
def expire_assignments() -> int:
    """Remove the journal access of teachers and substitutes whose assignments have ended (R12)."""
    return services.assignments_expire()
