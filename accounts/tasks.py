"""Scheduled jobs of the accounts app. Thin: they call a service and are safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="accounts.expire_substitutions")
def expire_substitutions() -> int:
    """Remove the journal access of substitutes whose substitutions have ended (R12)."""
    return services.substitutions_expire()
