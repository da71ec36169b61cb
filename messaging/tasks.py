"""Thin Celery tasks: they take ids or dates and call a service; running one twice sends nothing twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="messaging.notify_new_message")
def notify_new_message(message_id: int) -> int:
    """E-mail the participants of a new message (those who did not switch it off)."""
    return services.message_notify(message_id=message_id)


@shared_task(name="messaging.send_daily_digest")
def send_daily_digest(date_iso: str | None = None) -> int:
    """E-mail each parent who asked for it the day's new marks and absences of their children."""
    day = dt.date.fromisoformat(date_iso) if date_iso else timezone.localdate()
    return services.digest_send(day=day)
